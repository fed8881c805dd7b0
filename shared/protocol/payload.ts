// Implements docs/protocol.md §4.2 (payload inside the ratchet: canonical JSON, padding, validation).
import { MAX_CARD_TEXT } from '../crypto/contact-card.js';
import { isValidChunk, MAX_FILE_SIZE } from '../crypto/file-stream.js';
import { MAX_ITEM } from '../crypto/social-item.js';
import { fromBase64Url, toBase64Url, utf8 } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { Id } from './api.js';
import { isId, SID_SALT_BYTES } from './body.js';
import { SNARK_SCALAR_FIELD } from '../zk/field.js';

export const PAD_BLOCK = 64;
export const MAX_PAYLOAD = 64 * 1024;
/** `social` and `social-batch` payloads carry items with pictures (§7.5). */
export const MAX_SOCIAL_PAYLOAD = 250 * 1024;
export const SYNC_PAGE = 200;
export const MAX_NOTE_CHARS = 280;
export const MAX_BODY_CHARS = 8000;
export const MAX_RECEIPT_IDS = 100;

export type ReceiptState = 'delivered' | 'read';
export type Payload =
  | { t: 'request'; id: Id; sentAt: number; card: string; note: string; sidSalt: string }
  | { t: 'msg'; id: Id; seq: number; sentAt: number; body: string }
  | { t: 'receipt'; ids: Id[]; state: ReceiptState }
  | { t: 'resend' }
  | { t: 'accept'; id: Id; card: string }
  | { t: 'removed'; id: Id }
  | { t: 'card'; id: Id; card: string }
  | { t: 'hold'; id: Id; on: boolean }
  | { t: 'holding'; id: Id; re: Id; cap: string; okey: string }
  | { t: 'mailto'; id: Id; key: string; secret: string; holders: MailtoHolder[] }
  | { t: 'tokens-low'; id: Id }
  | FilePayload
  | { t: 'file-get'; id: Id; file: Id; from: number }
  | { t: 'file-ack'; file: Id; next: number }
  | { t: 'file-done'; id: Id; file: Id }
  | { t: 'file-cancel'; id: Id; file: Id; reason: string }
  | { t: 'audience-key'; id: Id; aid: Id; epoch: number; key: string }
  | { t: 'social'; id: Id; item: string }
  | { t: 'social-submit'; id: Id; c: string }
  | { t: 'social-sync'; since: number }
  | { t: 'social-batch'; items: string[]; upTo: number; more: boolean }
  | { t: 'zk-join'; id: Id; commitment: string }
  | ZkGroupPayload
  | ZkPollPayload;

/** A signed version of the sender's friends group (§8.2–8.3). */
export interface ZkGroupPayload {
  t: 'zk-group';
  id: Id;
  gid: Id;
  ver: number;
  exp: number;
  key: string;
  members: string[];
  sig: string;
}

/** A poll in the sender's friends group, or its new tally (§8.3). */
export interface ZkPollPayload {
  t: 'zk-poll';
  id: Id;
  gid: Id;
  poll: Id;
  q: string;
  opts: string[];
  closes: number;
  tally: number[];
}

export const MAX_GROUP = 512;
export const MAX_POLL_OPTIONS = 8;
const COMMITMENT_RE = /^[0-9a-f]{64}$/;
/** A commitment as 64 hex characters: canonical, non-zero, below the BN254 scalar field (§8.3). */
export function isCommitmentHex(x: unknown): x is string {
  if (typeof x !== 'string' || !COMMITMENT_RE.test(x)) return false;
  const v = BigInt(`0x${x}`);
  return v > 0n && v < SNARK_SCALAR_FIELD;
}

const isSocial = (t: unknown): boolean => t === 'social' || t === 'social-batch';
const MAX_U32 = 0xffffffff;
/** base64url of 1..n bytes. */
function isB64Max(x: unknown, n: number): x is string {
  return typeof x === 'string' && x.length >= 2 && x.length <= Math.ceil((n * 4) / 3) && B64URL.test(x);
}
function isCounter(x: unknown, min: number): x is number {
  return isTime(x) && x >= min && x <= MAX_U32;
}

/** A file offer (docs/protocol.md §6.1): a chat message whose body is a file. */
export interface FilePayload {
  t: 'file';
  id: Id;
  seq: number;
  sentAt: number;
  name: string;
  size: number;
  type: string;
  chunk: number;
  key: string;
  nonce: string;
  hash: string;
}

export const MAX_FILE_NAME = 255;
export const MAX_FILE_TYPE = 100;
const FILE_TYPE_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const BAD_NAME_RE = /[\p{Cc}/\\]/u;

export function isFileName(x: unknown): x is string {
  return isText(x, 1, MAX_FILE_NAME) && !BAD_NAME_RE.test(x) && x.trim().length > 0;
}
export function isFileType(x: unknown): x is string {
  return typeof x === 'string' && (x === '' || (x.length <= MAX_FILE_TYPE && FILE_TYPE_RE.test(x)));
}

/** One holder in a `mailto` (docs/protocol.md §5.2): its onion, token key and deposit tokens. */
export interface MailtoHolder {
  onion: string;
  okey: string;
  tokens: string[];
}

export const MAX_MAILTO_HOLDERS = 5;
export const MAX_MAILTO_TOKENS = 64;
const CAP_BYTES = 32;
const OKEY_BYTES = 40;
const TOKEN_BYTES = 96;
const ONION_RE = /^[a-z2-7]{56}$/;

const LONE_SURROGATE = /\p{Cs}/u;
const B64URL = /^[A-Za-z0-9_-]+$/;

function bad(reason: string): ChattorError {
  return new ChattorError('E_BAD_INPUT', `payload: ${reason}`);
}

export function isText(x: unknown, min: number, max: number): x is string {
  if (typeof x !== 'string' || LONE_SURROGATE.test(x)) return false;
  const n = [...x].length;
  return n >= min && n <= max;
}

function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** base64url of exactly `n` bytes. */
function isB64(x: unknown, n: number): x is string {
  return typeof x === 'string' && x.length === Math.ceil((n * 4) / 3) && B64URL.test(x);
}

function isMailtoHolder(x: unknown): x is MailtoHolder {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const h = x as Record<string, unknown>;
  if (Object.keys(h).join() !== 'onion,okey,tokens') return false;
  return (
    typeof h.onion === 'string' &&
    ONION_RE.test(h.onion) &&
    isB64(h.okey, OKEY_BYTES) &&
    Array.isArray(h.tokens) &&
    h.tokens.length <= MAX_MAILTO_TOKENS &&
    h.tokens.every((t) => isB64(t, TOKEN_BYTES))
  );
}

function isCardText(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_CARD_TEXT && B64URL.test(x);
}

/** Rebuilds the payload with members in §4.2 order; throws E_BAD_INPUT when a field is invalid. */
function canonical(o: Record<string, unknown>): Payload {
  const need = (ok: boolean, field: string): void => {
    if (!ok) throw bad(`invalid ${field}`);
  };
  switch (o.t) {
    case 'request': {
      need(isId(o.id), 'id');
      need(isTime(o.sentAt), 'sentAt');
      need(isCardText(o.card), 'card');
      need(isText(o.note, 0, MAX_NOTE_CHARS), 'note');
      const salt = typeof o.sidSalt === 'string' && B64URL.test(o.sidSalt) ? o.sidSalt : '';
      need(salt.length > 0 && fromBase64Url(salt, 'sidSalt').length === SID_SALT_BYTES, 'sidSalt');
      const { id, sentAt, card, note } = o as Payload & { t: 'request' };
      return { t: 'request', id, sentAt, card, note, sidSalt: salt };
    }
    case 'msg': {
      need(isId(o.id), 'id');
      need(isTime(o.seq) && (o.seq as number) >= 1, 'seq');
      need(isTime(o.sentAt), 'sentAt');
      need(isText(o.body, 1, MAX_BODY_CHARS), 'body');
      const { id, seq, sentAt, body } = o as Payload & { t: 'msg' };
      return { t: 'msg', id, seq, sentAt, body };
    }
    case 'receipt': {
      const ids = o.ids;
      need(Array.isArray(ids) && ids.length >= 1 && ids.length <= MAX_RECEIPT_IDS, 'ids');
      need((ids as unknown[]).every(isId) && new Set(ids as Id[]).size === (ids as Id[]).length, 'ids');
      need(o.state === 'delivered' || o.state === 'read', 'state');
      return { t: 'receipt', ids: [...(ids as Id[])], state: o.state as ReceiptState };
    }
    case 'resend':
      return { t: 'resend' };
    case 'accept':
    case 'card':
      need(isId(o.id), 'id');
      need(isCardText(o.card), 'card');
      return { t: o.t, id: o.id as Id, card: o.card as string };
    case 'removed':
    case 'tokens-low':
      need(isId(o.id), 'id');
      return { t: o.t, id: o.id as Id };
    case 'file': {
      need(isId(o.id), 'id');
      need(isTime(o.seq) && (o.seq as number) >= 1, 'seq');
      need(isTime(o.sentAt), 'sentAt');
      need(isFileName(o.name), 'name');
      need(isTime(o.size) && (o.size as number) <= MAX_FILE_SIZE, 'size');
      need(isFileType(o.type), 'type');
      need(typeof o.chunk === 'number' && isValidChunk(o.chunk), 'chunk');
      need(isB64(o.key, 32), 'key');
      need(isB64(o.nonce, 7), 'nonce');
      need(isB64(o.hash, 32), 'hash');
      const { id, seq, sentAt, name, size, type, chunk, key, nonce, hash } = o as unknown as FilePayload;
      return { t: 'file', id, seq, sentAt, name, size, type, chunk, key, nonce, hash };
    }
    case 'file-get':
      need(isId(o.id), 'id');
      need(isId(o.file), 'file');
      need(isTime(o.from) && (o.from as number) <= 0xffffffff, 'from');
      return { t: 'file-get', id: o.id as Id, file: o.file as Id, from: o.from as number };
    case 'file-ack':
      need(isId(o.file), 'file');
      need(isTime(o.next) && (o.next as number) <= 0xffffffff, 'next');
      return { t: 'file-ack', file: o.file as Id, next: o.next as number };
    case 'file-done':
      need(isId(o.id), 'id');
      need(isId(o.file), 'file');
      return { t: 'file-done', id: o.id as Id, file: o.file as Id };
    case 'file-cancel':
      need(isId(o.id), 'id');
      need(isId(o.file), 'file');
      need(isText(o.reason, 0, 200), 'reason');
      return { t: 'file-cancel', id: o.id as Id, file: o.file as Id, reason: o.reason as string };
    case 'audience-key':
      need(isId(o.id), 'id');
      need(isId(o.aid), 'aid');
      need(isCounter(o.epoch, 1), 'epoch');
      need(isB64(o.key, 32), 'key');
      return {
        t: 'audience-key',
        id: o.id as Id,
        aid: o.aid as Id,
        epoch: o.epoch as number,
        key: o.key as string,
      };
    case 'social':
      need(isId(o.id), 'id');
      need(isB64Max(o.item, MAX_ITEM), 'item');
      return { t: 'social', id: o.id as Id, item: o.item as string };
    case 'social-submit':
      need(isId(o.id), 'id');
      need(isB64Max(o.c, 16 * 1024), 'c');
      return { t: 'social-submit', id: o.id as Id, c: o.c as string };
    case 'social-sync':
      need(isCounter(o.since, 0), 'since');
      return { t: 'social-sync', since: o.since as number };
    case 'social-batch': {
      const items = o.items;
      need(Array.isArray(items) && items.length <= SYNC_PAGE, 'items');
      need(
        (items as unknown[]).every((i) => isB64Max(i, MAX_ITEM)),
        'items',
      );
      need(isCounter(o.upTo, 0), 'upTo');
      need(typeof o.more === 'boolean', 'more');
      return {
        t: 'social-batch',
        items: [...(items as string[])],
        upTo: o.upTo as number,
        more: o.more as boolean,
      };
    }
    case 'zk-join':
      need(isId(o.id), 'id');
      need(o.commitment === '' || isCommitmentHex(o.commitment), 'commitment');
      return { t: 'zk-join', id: o.id as Id, commitment: o.commitment as string };
    case 'zk-group': {
      need(isId(o.id), 'id');
      need(isId(o.gid), 'gid');
      need(isCounter(o.ver, 1), 'ver');
      need(isTime(o.exp), 'exp');
      need(isB64(o.key, 32), 'key');
      const ms = o.members;
      need(Array.isArray(ms) && ms.length >= 1 && ms.length <= MAX_GROUP, 'members');
      need((ms as unknown[]).every(isCommitmentHex), 'members');
      need(new Set(ms as string[]).size === (ms as string[]).length, 'members');
      need(isB64(o.sig, 64), 'sig');
      const { id, gid, ver, exp, key, sig } = o as unknown as ZkGroupPayload;
      return { t: 'zk-group', id, gid, ver, exp, key, members: [...(ms as string[])], sig };
    }
    case 'zk-poll': {
      need(isId(o.id), 'id');
      need(isId(o.gid), 'gid');
      need(isId(o.poll), 'poll');
      need(isText(o.q, 1, 300), 'q');
      const opts = o.opts;
      need(Array.isArray(opts) && opts.length >= 2 && opts.length <= MAX_POLL_OPTIONS, 'opts');
      need(
        (opts as unknown[]).every((x) => isText(x, 1, 100)),
        'opts',
      );
      need(new Set(opts as string[]).size === (opts as string[]).length, 'opts');
      need(isTime(o.closes), 'closes');
      const tally = o.tally;
      need(Array.isArray(tally) && tally.length === (opts as string[]).length, 'tally');
      need(
        (tally as unknown[]).every((n) => isCounter(n, 0)),
        'tally',
      );
      const { id, gid, poll, q, closes } = o as unknown as ZkPollPayload;
      return {
        t: 'zk-poll',
        id,
        gid,
        poll,
        q,
        opts: [...(opts as string[])],
        closes,
        tally: [...(tally as number[])],
      };
    }
    case 'hold':
      need(isId(o.id), 'id');
      need(typeof o.on === 'boolean', 'on');
      return { t: 'hold', id: o.id as Id, on: o.on as boolean };
    case 'holding': {
      need(isId(o.id), 'id');
      need(isId(o.re), 're');
      const refused = o.cap === '' && o.okey === '';
      need(refused || (isB64(o.cap, CAP_BYTES) && isB64(o.okey, OKEY_BYTES)), 'cap/okey');
      const { id, re, cap, okey } = o as Payload & { t: 'holding' };
      return { t: 'holding', id, re, cap, okey };
    }
    case 'mailto': {
      need(isId(o.id), 'id');
      need(isB64(o.key, 32), 'key');
      need(isB64(o.secret, 32), 'secret');
      const hs = o.holders;
      need(Array.isArray(hs) && hs.length <= MAX_MAILTO_HOLDERS && hs.every(isMailtoHolder), 'holders');
      const holders = (hs as MailtoHolder[]).map((h) => ({
        onion: h.onion,
        okey: h.okey,
        tokens: [...h.tokens],
      }));
      need(new Set(holders.map((h) => h.onion)).size === holders.length, 'holders');
      const { id, key, secret } = o as Payload & { t: 'mailto' };
      return { t: 'mailto', id, key, secret, holders };
    }
    default:
      throw bad('unknown type');
  }
}

function pad(json: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(json.length / PAD_BLOCK) + 1) * PAD_BLOCK);
  out.set(json);
  out[json.length] = 0x80;
  return out;
}

export function encodePayload(p: Payload): Uint8Array {
  const json = utf8.encode(JSON.stringify(canonical(p as unknown as Record<string, unknown>)));
  if (json.length > (isSocial(p.t) ? MAX_SOCIAL_PAYLOAD : MAX_PAYLOAD))
    throw new ChattorError('E_BAD_INPUT', 'payload too large');
  return pad(json);
}

/** Strict inverse of encodePayload: padding, UTF-8, JSON, fields and canonical form are all checked. */
export function decodePayload(bytes: Uint8Array): Payload {
  if (bytes.length === 0 || bytes.length % PAD_BLOCK !== 0) throw bad('bad padding');
  let end = bytes.length - 1;
  while (end > 0 && bytes[end] === 0) end--;
  if (bytes[end] !== 0x80 || bytes.length - end > PAD_BLOCK) throw bad('bad padding');
  if (end > MAX_SOCIAL_PAYLOAD) throw bad('too large');
  const json = bytes.subarray(0, end);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(json));
  } catch {
    throw bad('not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('not an object');
  const p = canonical(parsed as Record<string, unknown>);
  if (end > MAX_PAYLOAD && !isSocial(p.t)) throw bad('too large');
  const again = utf8.encode(JSON.stringify(p));
  if (again.length !== json.length || again.some((b, i) => b !== json[i])) throw bad('not canonical');
  return p;
}

export function cardText(bytes: Uint8Array): string {
  return toBase64Url(bytes);
}
