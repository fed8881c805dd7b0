// Implements docs/protocol.md §3.5 (Double Ratchet: KDF_RK, KDF_CK, ENCRYPT, header, skipped keys).
// Pure functions over a plain state object: decryption works on a copy and returns the new state only
// on success, so a failed message leaves the caller's state exactly as it was.
import { ChattorError } from '../util/errors.js';
import { abytes, concatBytes, equalBytes } from '../util/bytes.js';
import { label, Reader, Writer } from './codec.js';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  defaultRng,
  dh,
  generateDhKey,
  hkdfSha256,
  hkdfSha256AesKey,
  hmacSha256Each,
  type KeyPair,
  type PrivateKey,
  type Rng,
  type SymmetricKey,
} from './primitives.js';

export const MAX_SKIP = 1000;
export const MAX_SKIPPED_TOTAL = 2000;
export const SKIPPED_KEY_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const HEADER_BYTES = 40;
export const MAX_PLAINTEXT = 256 * 1024;
export const MAX_RATCHET_MESSAGE = HEADER_BYTES + MAX_PLAINTEXT + 16;
export const ROOT_INFO = 'chattor/v1/ratchet/root';
export const MESSAGE_INFO = 'chattor/v1/ratchet/message';
const Z32 = new Uint8Array(32);
const MAX_U32 = 0xffffffff;

export interface SkippedKey {
  readonly dh: Uint8Array;
  readonly n: number;
  readonly storedAt: number;
  readonly messageKey: Uint8Array;
}

export interface RatchetState {
  readonly v: 1;
  /** AD from the handshake (§3.4), bound into every message. */
  readonly ad: Uint8Array;
  readonly rk: Uint8Array;
  /** Raw bytes once the session has ratcheted; Bob's signed prekey (maybe a CryptoKey) before. */
  readonly dhs: { readonly publicKey: Uint8Array; readonly privateKey: PrivateKey };
  readonly dhr: Uint8Array | null;
  readonly cks: Uint8Array | null;
  readonly ckr: Uint8Array | null;
  readonly ns: number;
  readonly nr: number;
  readonly pn: number;
  /** Oldest first. */
  readonly skipped: readonly SkippedKey[];
}

export interface Header {
  readonly dh: Uint8Array;
  readonly pn: number;
  readonly n: number;
}

export interface RatchetOptions {
  readonly rng?: Rng;
  /** Milliseconds since the epoch; injected for skipped-key expiry. */
  readonly now?: () => number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function encodeHeader(h: Header): Uint8Array {
  return new Writer()
    .bytes(abytes(h.dh, 32, 'header.dh'))
    .u32(h.pn)
    .u32(h.n)
    .finish();
}

export function decodeHeader(bytes: Uint8Array): Header {
  const r = new Reader(abytes(bytes, HEADER_BYTES, 'header'), 'header');
  const h = { dh: r.bytes(32, 'dh'), pn: r.u32('pn'), n: r.u32('n') };
  r.end();
  return h;
}

/** KDF_RK: HKDF(salt = rk, ikm = dhOut, info = ROOT_INFO, 64) → (rk', chainKey). */
export async function kdfRk(rk: Uint8Array, dhOut: Uint8Array): Promise<[Uint8Array, Uint8Array]> {
  const out = await hkdfSha256(rk, dhOut, label(ROOT_INFO), 64);
  return [out.slice(0, 32), out.slice(32)];
}

/** KDF_CK: messageKey = HMAC(ck, 0x01), ck' = HMAC(ck, 0x02). Returns [ck', messageKey]. */
export async function kdfCk(ck: Uint8Array): Promise<[Uint8Array, Uint8Array]> {
  const [next, mk] = await hmacSha256Each(ck, [Uint8Array.of(2), Uint8Array.of(1)]);
  return [next!, mk!];
}

/** HKDF(salt = 0^32, ikm = mk, info = MESSAGE_INFO, 44) → AES key (32 bytes) and nonce (12). */
async function messageCipher(mk: Uint8Array): Promise<{ key: SymmetricKey; nonce: Uint8Array }> {
  const { key, rest } = await hkdfSha256AesKey(Z32, mk, label(MESSAGE_INFO), 44);
  return { key, nonce: rest };
}

export async function initRatchetAlice(params: {
  readonly sk: Uint8Array;
  readonly ad: Uint8Array;
  /** Bob's signed prekey public key: his first ratchet key. */
  readonly theirRatchetKey: Uint8Array;
  readonly rng?: Rng;
}): Promise<RatchetState> {
  abytes(params.sk, 32, 'sk');
  const dhr = abytes(params.theirRatchetKey, 32, 'theirRatchetKey').slice();
  const dhs = await generateDhKey(params.rng ?? defaultRng);
  const [rk, cks] = await kdfRk(params.sk, await dh(dhs.privateKey, dhr));
  return { v: 1, ad: params.ad.slice(), rk, dhs, dhr, cks, ckr: null, ns: 0, nr: 0, pn: 0, skipped: [] };
}

export function initRatchetBob(params: {
  readonly sk: Uint8Array;
  readonly ad: Uint8Array;
  /** Bob's signed prekey pair (its private key may be a vault CryptoKey). */
  readonly ownRatchetKey: KeyPair;
}): RatchetState {
  const dhs = {
    publicKey: abytes(params.ownRatchetKey.publicKey, 32, 'publicKey'),
    privateKey: params.ownRatchetKey.privateKey,
  };
  const rk = abytes(params.sk, 32, 'sk').slice();
  return {
    v: 1,
    ad: params.ad.slice(),
    rk,
    dhs,
    dhr: null,
    cks: null,
    ckr: null,
    ns: 0,
    nr: 0,
    pn: 0,
    skipped: [],
  };
}

export async function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
): Promise<{ state: RatchetState; message: Uint8Array }> {
  abytes(plaintext, undefined, 'plaintext');
  if (plaintext.length > MAX_PLAINTEXT) throw new ChattorError('E_BAD_INPUT', 'plaintext too large');
  if (state.cks === null) throw new ChattorError('E_STATE', 'no sending chain until a message is received');
  if (state.ns >= MAX_U32) throw new ChattorError('E_STATE', 'sending chain exhausted');
  const [cks, mk] = await kdfCk(state.cks);
  const header = encodeHeader({ dh: state.dhs.publicKey, pn: state.pn, n: state.ns });
  const { key, nonce } = await messageCipher(mk);
  const ct = await aesGcmEncrypt(key, nonce, plaintext, concatBytes(state.ad, header));
  return { state: { ...state, cks, ns: state.ns + 1 }, message: concatBytes(header, ct) };
}

/** Any failure: `E_DECRYPT` "message could not be decrypted", and `state` is untouched. */
export async function ratchetDecrypt(
  state: RatchetState,
  message: Uint8Array,
  opts: RatchetOptions = {},
): Promise<{ state: RatchetState; plaintext: Uint8Array }> {
  const s: Mutable<RatchetState> = { ...state, skipped: [...state.skipped] };
  try {
    return { plaintext: await decryptInto(s, message, opts), state: s };
  } catch {
    // Deliberately no cause: which key or check failed is not revealed (STYLE.md #4).
    throw decryptError();
  }
}

export function decryptError(): ChattorError {
  return new ChattorError('E_DECRYPT', 'message could not be decrypted');
}

async function decryptInto(
  s: Mutable<RatchetState>,
  message: Uint8Array,
  opts: RatchetOptions,
): Promise<Uint8Array> {
  if (
    !(message instanceof Uint8Array) ||
    message.length < HEADER_BYTES + 16 ||
    message.length > MAX_RATCHET_MESSAGE
  )
    throw decryptError();
  const headerBytes = message.subarray(0, HEADER_BYTES);
  const header = decodeHeader(headerBytes);
  const ct = message.subarray(HEADER_BYTES);
  const now = (opts.now ?? Date.now)();
  s.skipped = s.skipped.filter((k) => k.storedAt + SKIPPED_KEY_TTL_MS > now);

  const i = s.skipped.findIndex((k) => k.n === header.n && equalBytes(k.dh, header.dh));
  let mk: Uint8Array;
  if (i >= 0) {
    mk = s.skipped[i]!.messageKey;
    s.skipped = s.skipped.filter((_, j) => j !== i);
  } else {
    if (s.dhr === null || !equalBytes(header.dh, s.dhr)) {
      await skipMessageKeys(s, header.pn, now);
      await dhRatchet(s, header.dh, opts.rng ?? defaultRng);
    }
    if (header.n < s.nr) throw decryptError(); // already used (replay) or expired
    await skipMessageKeys(s, header.n, now);
    if (s.ckr === null) throw decryptError();
    [s.ckr, mk] = await kdfCk(s.ckr);
    s.nr += 1;
  }
  const { key, nonce } = await messageCipher(mk);
  return aesGcmDecrypt(key, nonce, ct, concatBytes(s.ad, headerBytes));
}

async function skipMessageKeys(s: Mutable<RatchetState>, until: number, now: number): Promise<void> {
  if (s.ckr === null || s.dhr === null) return;
  // Checked before any key is derived: a forged header cannot make us do unbounded work.
  if (until > s.nr + MAX_SKIP) throw decryptError();
  const skipped = s.skipped as SkippedKey[];
  while (s.nr < until) {
    const [ck, mk] = await kdfCk(s.ckr);
    skipped.push({ dh: s.dhr, n: s.nr, storedAt: now, messageKey: mk });
    s.ckr = ck;
    s.nr += 1;
  }
  if (skipped.length > MAX_SKIPPED_TOTAL) skipped.splice(0, skipped.length - MAX_SKIPPED_TOTAL);
}

async function dhRatchet(s: Mutable<RatchetState>, theirs: Uint8Array, rng: Rng): Promise<void> {
  s.pn = s.ns;
  s.ns = 0;
  s.nr = 0;
  const dhr = (s.dhr = theirs.slice());
  const received = await dh(s.dhs.privateKey, dhr);
  // Only once their key has proved valid is the rng drawn on; the new key's generation and DH then
  // run alongside the receiving step.
  const fresh = generateDhKey(rng);
  const [[rk, ckr], dhs, sent] = await Promise.all([
    kdfRk(s.rk, received),
    fresh,
    fresh.then((k) => dh(k.privateKey, dhr)),
  ]);
  s.ckr = ckr;
  s.dhs = dhs;
  [s.rk, s.cks] = await kdfRk(rk, sent);
}
