// Implements docs/protocol.md §5.2–5.3 bookkeeping: what the engine keeps about offline mail in storage
// meta — its holders, its mailbox keys, the mail secrets it gave friends, where to leave mail for each
// friend, and the friends it holds mail for.
import { generateMailboxKey } from '../crypto/envelope.js';
import { fromBase64Url, toBase64Url } from '../util/bytes.js';
import type { HolderState, Id } from './api.js';
import type { Core } from './core.js';
import type { MailtoHolder } from './payload.js';

export const MAIL_KEYS_KEPT = 3;
export const MAX_HOLDERS = 5;
export const AUTO_HOLDERS = 3;
export const K_DEPOSIT = 2;
export const TOKENS_PER_MAILTO = 64;
export const TOKENS_LOW = 16;
export const DEFAULT_DEPOSIT_AFTER_MS = 20_000;
export const DEFAULT_FETCH_EVERY_MS = 5 * 60_000;
export const DEFAULT_MAIL_TTL_MS = 14 * 24 * 60 * 60_000;
/** A friend who refused (or never answered) is not asked again automatically for this long. */
export const REFUSED_MEMORY_MS = 24 * 60 * 60_000;

export interface HolderRecord {
  contactId: Id;
  onion: string;
  state: HolderState;
  /** The `hold` payload's id, to match the `holding` answer. */
  holdId: Id;
  askedAt: number;
  cap?: string;
  okey?: string;
}

export interface MailKey {
  publicKey: string;
  /** base64url, or sealed by the identity box (`sealed` true) when the embedder supplies one. */
  privateKey: string;
  sealed: boolean;
  createdAt: number;
}

/** Where to leave mail for one friend (their `mailto`). */
export interface MailTo {
  key: string;
  secret: string;
  holders: MailtoHolder[];
  lowAskedAt?: number;
}

const M = {
  holders: 'mbx:holders',
  auto: 'mbx:auto',
  keys: 'mbx:keys',
  given: 'mbx:given',
  hosting: 'mbx:hosting',
  to: (id: Id) => `mbx:to:${id}`,
} as const;

export async function getHolders(core: Core): Promise<HolderRecord[]> {
  return (await core.storage.getMeta<HolderRecord[]>(M.holders)) ?? [];
}
export function putHolders(core: Core, h: HolderRecord[]): Promise<void> {
  return core.storage.putMeta(M.holders, h);
}
export async function isAuto(core: Core): Promise<boolean> {
  return (await core.storage.getMeta<boolean>(M.auto)) ?? true;
}
export function setAuto(core: Core, auto: boolean): Promise<void> {
  return core.storage.putMeta(M.auto, auto);
}

/** Mail secrets given to friends, by contact id (base64url). */
export async function getGiven(core: Core): Promise<Record<Id, string>> {
  return (await core.storage.getMeta<Record<Id, string>>(M.given)) ?? {};
}
export function putGiven(core: Core, g: Record<Id, string>): Promise<void> {
  return core.storage.putMeta(M.given, g);
}

/** Friends this node holds mail for: contact id → SHA-256(cap) hex. */
export async function getHosting(core: Core): Promise<Record<Id, string>> {
  return (await core.storage.getMeta<Record<Id, string>>(M.hosting)) ?? {};
}
export function putHosting(core: Core, h: Record<Id, string>): Promise<void> {
  return core.storage.putMeta(M.hosting, h);
}

export async function getMailTo(core: Core, contactId: Id): Promise<MailTo | undefined> {
  return (await core.storage.getMeta<MailTo | null>(M.to(contactId))) ?? undefined;
}
export function putMailTo(core: Core, contactId: Id, m: MailTo | null): Promise<void> {
  return core.storage.putMeta(M.to(contactId), m);
}

/** The current mailbox public key, made on first use (and by `rotateMailKey`). */
export async function currentMailKey(core: Core): Promise<Uint8Array> {
  const keys = (await core.storage.getMeta<MailKey[]>(M.keys)) ?? [];
  if (keys[0]) return fromBase64Url(keys[0].publicKey);
  return rotateMailKey(core);
}

export async function rotateMailKey(core: Core): Promise<Uint8Array> {
  const keys = (await core.storage.getMeta<MailKey[]>(M.keys)) ?? [];
  const kp = generateMailboxKey(core.rng);
  const box = core.identityBox;
  const privateKey = toBase64Url(box ? await box.seal(kp.privateKey) : kp.privateKey);
  kp.privateKey.fill(0);
  const k: MailKey = {
    publicKey: toBase64Url(kp.publicKey),
    privateKey,
    sealed: !!box,
    createdAt: core.now(),
  };
  await core.storage.putMeta(M.keys, [k, ...keys].slice(0, MAIL_KEYS_KEPT));
  return kp.publicKey;
}

/** Every kept mailbox private key, newest first (the caller wipes them). */
export async function openMailKeys(core: Core): Promise<Uint8Array[]> {
  const keys = (await core.storage.getMeta<MailKey[]>(M.keys)) ?? [];
  const box = core.identityBox;
  const out: Uint8Array[] = [];
  for (const k of keys) {
    const raw = fromBase64Url(k.privateKey);
    out.push(k.sealed && box ? await box.open(raw) : raw);
  }
  return out;
}
