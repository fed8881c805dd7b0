// Implements docs/protocol.md §7.3 (items: binary, signed by the author, encrypted to an audience key)
// and §7.4 (contributions: comments and reactions signed by their own author).
import { abytes, concatBytes, utf8 } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import { domain, Reader, u32be, Writer } from './codec.js';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  defaultRng,
  sign,
  verify,
  type PrivateKey,
  type Rng,
} from './primitives.js';

export const ITEM_VERSION = 0x01;
export const CONTRIB_VERSION = 0x01;
export const MAX_ITEM = 180 * 1024;
const ITEM_LABEL = 'chattor/v1/social-item';
const ITEM_AAD_LABEL = 'chattor/v1/social-item-aad';
const CONTRIB_LABEL = 'chattor/v1/social-contrib';
const MAX_U32 = 0xffffffff;

/** A decoded item (§7.3) before decryption: everything the signature covers, and the signature. */
export interface SocialItem {
  readonly author: Uint8Array;
  readonly aid: Uint8Array;
  readonly epoch: number;
  readonly seq: number;
  readonly nonce: Uint8Array;
  readonly ct: Uint8Array;
  readonly sig: Uint8Array;
}

function header(author: Uint8Array, aid: Uint8Array, epoch: number, seq: number): Uint8Array {
  return new Writer().u8(ITEM_VERSION).bytes(author).bytes(aid).u32(epoch).u32(seq).finish();
}

function signedPart(h: Uint8Array, nonce: Uint8Array, ct: Uint8Array): Uint8Array {
  return domain(ITEM_LABEL, h, nonce, u32be(ct.length), ct);
}

function checkCounter(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_U32)
    throw new ChattorError('E_BAD_INPUT', `${field}: 1..${MAX_U32} expected`);
}

/** Encrypts `inner` to the audience key and signs the item with the author's identity key. */
export async function sealItem(o: {
  readonly signingKey: PrivateKey;
  readonly author: Uint8Array;
  readonly aid: Uint8Array;
  readonly epoch: number;
  readonly seq: number;
  readonly key: Uint8Array;
  readonly inner: Uint8Array;
  readonly rng?: Rng;
}): Promise<Uint8Array> {
  abytes(o.author, 32, 'author');
  abytes(o.aid, 16, 'aid');
  abytes(o.key, 32, 'key');
  checkCounter(o.epoch, 'epoch');
  checkCounter(o.seq, 'seq');
  const nonce = abytes((o.rng ?? defaultRng)(12), 12, 'rng output');
  const h = header(o.author, o.aid, o.epoch, o.seq);
  const ct = await aesGcmEncrypt(o.key, nonce, o.inner, domain(ITEM_AAD_LABEL, h));
  const sig = await sign(o.signingKey, signedPart(h, nonce, ct));
  const out = concatBytes(h, nonce, u32be(ct.length), ct, sig);
  if (out.length > MAX_ITEM) throw new ChattorError('E_BAD_INPUT', `item exceeds ${MAX_ITEM} bytes`);
  return out;
}

/** Strict decoding (exact lengths, no trailing bytes); does not verify or decrypt. */
export function decodeItem(bytes: Uint8Array): SocialItem {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_ITEM)
    throw new ChattorError('E_BAD_INPUT', 'item: too large');
  const r = new Reader(bytes, 'item');
  if (r.u8('version') !== ITEM_VERSION) throw r.fail('unknown version');
  const author = r.bytes(32, 'author');
  const aid = r.bytes(16, 'aid');
  const epoch = r.u32('epoch');
  const seq = r.u32('seq');
  if (epoch < 1 || seq < 1) throw r.fail('epoch and seq start at 1');
  const nonce = r.bytes(12, 'nonce');
  const n = r.u32('ctLength');
  if (n < 16 || n > r.remaining - 64) throw r.fail('ctLength out of range');
  const ct = r.bytes(n, 'ct');
  const sig = r.bytes(64, 'sig');
  r.end();
  return { author, aid, epoch, seq, nonce, ct, sig };
}

/** The author's signature over the item; never throws. */
export function verifyItem(item: SocialItem): Promise<boolean> {
  const h = header(item.author, item.aid, item.epoch, item.seq);
  return verify(item.author, signedPart(h, item.nonce, item.ct), item.sig);
}

/** Decrypts a (verified) item's inner bytes; E_DECRYPT on any failure. */
export function openItem(item: SocialItem, key: Uint8Array): Promise<Uint8Array> {
  abytes(key, 32, 'key');
  const h = header(item.author, item.aid, item.epoch, item.seq);
  return aesGcmDecrypt(key, item.nonce, item.ct, domain(ITEM_AAD_LABEL, h));
}

/** inner = u32 jsonLength || json || blobs (§7.3). */
export function encodeInner(json: string, blobs: readonly Uint8Array[] = []): Uint8Array {
  const j = utf8.encode(json);
  return concatBytes(u32be(j.length), j, ...blobs);
}

/** Splits inner bytes into the JSON text and the bytes after it (the caller cuts the blobs by size). */
export function decodeInner(bytes: Uint8Array): { json: string; rest: Uint8Array } {
  const r = new Reader(bytes, 'inner');
  const n = r.u32('jsonLength');
  if (n > r.remaining) throw r.fail('jsonLength out of range');
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(n, 'json'));
  } catch (cause) {
    throw new ChattorError('E_BAD_INPUT', 'inner: json is not UTF-8', { cause });
  }
  return { json, rest: bytes.subarray(4 + n) };
}

// ── contributions (§7.4) ───────────────────────────────────────────────────────────────────────────

export interface Contribution {
  readonly by: Uint8Array;
  readonly sig: Uint8Array;
  /** The canonical JSON bytes the signature covers (with the post author's key). */
  readonly json: Uint8Array;
}

export async function signContribution(o: {
  readonly signingKey: PrivateKey;
  readonly by: Uint8Array;
  readonly postAuthor: Uint8Array;
  readonly json: string;
}): Promise<Uint8Array> {
  abytes(o.by, 32, 'by');
  abytes(o.postAuthor, 32, 'postAuthor');
  const json = utf8.encode(o.json);
  const sig = await sign(o.signingKey, domain(CONTRIB_LABEL, o.postAuthor, json));
  return concatBytes(Uint8Array.of(CONTRIB_VERSION), o.by, sig, json);
}

export function decodeContribution(bytes: Uint8Array): Contribution {
  if (!(bytes instanceof Uint8Array) || bytes.length > 16 * 1024)
    throw new ChattorError('E_BAD_INPUT', 'contribution: too large');
  const r = new Reader(bytes, 'contribution');
  if (r.u8('version') !== CONTRIB_VERSION) throw r.fail('unknown version');
  const by = r.bytes(32, 'by');
  const sig = r.bytes(64, 'sig');
  if (r.remaining < 2) throw r.fail('json missing');
  const json = r.bytes(r.remaining, 'json');
  r.end();
  return { by, sig, json };
}

/** Never throws. */
export function verifyContribution(c: Contribution, postAuthor: Uint8Array): Promise<boolean> {
  return verify(c.by, domain(CONTRIB_LABEL, postAuthor, c.json), c.sig);
}
