// Implements docs/protocol.md §3.1: Ed25519, X25519, SHA-256, HMAC, HKDF, PBKDF2, AES-256-GCM.
// WebCrypto first (detected once); @noble/* where the runtime lacks an algorithm. Both backends
// produce identical bytes; the vectors are checked against each.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { ChattorError } from '../util/errors.js';
import { abytes, concatBytes, fromBase64Url } from '../util/bytes.js';

export type Rng = (n: number) => Uint8Array;
export const defaultRng: Rng = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/** A non-extractable CryptoKey (vault) or the raw 32 bytes (fallback, serialisable state). */
export type PrivateKey = CryptoKey | Uint8Array;
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: PrivateKey;
}
export interface RawKeyPair extends KeyPair {
  readonly privateKey: Uint8Array;
}
export type SymmetricKey = CryptoKey | Uint8Array;
export type BackendMode = 'auto' | 'noble';

interface Backend {
  readonly subtle: SubtleCrypto | null; // SHA-256, HMAC, HKDF, PBKDF2, AES-GCM
  readonly ed25519: boolean;
  readonly x25519: boolean;
}

const PKCS8_ED25519 = Uint8Array.of(0x30, 0x2e, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 0x65, 0x70, 4, 0x22, 4, 0x20);
const PKCS8_X25519 = Uint8Array.of(0x30, 0x2e, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 0x65, 0x6e, 4, 0x22, 4, 0x20);

let mode: BackendMode = 'auto';
let detected: Promise<Backend> | undefined;

/** Tests run every vector under both backends; 'noble' pretends WebCrypto is absent. */
export function setCryptoBackend(m: BackendMode): void {
  mode = m;
  detected = undefined;
}

export async function cryptoBackend(): Promise<Record<'ed25519' | 'x25519' | 'aes', 'webcrypto' | 'noble'>> {
  const b = await backend();
  const name = (ok: boolean): 'webcrypto' | 'noble' => (ok ? 'webcrypto' : 'noble');
  return { ed25519: name(b.ed25519), x25519: name(b.x25519), aes: name(b.subtle !== null) };
}

const backend = (): Promise<Backend> => (detected ??= detect());

async function detect(): Promise<Backend> {
  const subtle = mode === 'auto' ? (globalThis.crypto?.subtle ?? null) : null;
  if (subtle === null) return { subtle: null, ed25519: false, x25519: false };
  const probe = new Uint8Array(32).fill(1);
  const ed = await subtle
    .importKey('pkcs8', buf(concatBytes(PKCS8_ED25519, probe)), 'Ed25519', false, ['sign'])
    .then((k) => subtle.sign('Ed25519', k, new Uint8Array(1)))
    .then(
      () => true,
      () => false,
    );
  const xk = await subtle
    .importKey('pkcs8', buf(concatBytes(PKCS8_X25519, probe)), 'X25519', false, ['deriveBits'])
    .then(async (k) => {
      const pub = await subtle.importKey('raw', buf(x25519.getPublicKey(probe)), 'X25519', false, []);
      await subtle.deriveBits({ name: 'X25519', public: pub }, k, 256);
      return true;
    })
    .catch(() => false);
  return { subtle, ed25519: ed, x25519: xk };
}

/** WebCrypto's typings want ArrayBuffer-backed views. */
export function buf(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}

type Okp = 'Ed25519' | 'X25519';

async function importOkp(
  subtle: SubtleCrypto,
  alg: Okp,
  raw: Uint8Array,
  extractable: boolean,
): Promise<CryptoKey> {
  const prefix = alg === 'Ed25519' ? PKCS8_ED25519 : PKCS8_X25519;
  const usages: KeyUsage[] = alg === 'Ed25519' ? ['sign'] : ['deriveBits'];
  return subtle.importKey('pkcs8', buf(concatBytes(prefix, raw)), alg, extractable, usages);
}

async function publicFromPrivate(alg: Okp, raw: Uint8Array): Promise<Uint8Array> {
  const b = await backend();
  if (b.subtle !== null && (alg === 'Ed25519' ? b.ed25519 : b.x25519)) {
    // The JWK export of an OKP private key carries its public key `x`.
    const jwk = await b.subtle.exportKey('jwk', await importOkp(b.subtle, alg, raw, true));
    return fromBase64Url(jwk.x ?? '', 'jwk.x');
  }
  return alg === 'Ed25519' ? ed25519.getPublicKey(raw) : x25519.getPublicKey(raw);
}

async function keyPair(alg: Okp, raw: Uint8Array, nonExtractable: boolean): Promise<KeyPair> {
  const publicKey = await publicFromPrivate(alg, raw);
  const b = await backend();
  if (nonExtractable && b.subtle !== null && (alg === 'Ed25519' ? b.ed25519 : b.x25519))
    return { publicKey, privateKey: await importOkp(b.subtle, alg, raw, false) };
  return { publicKey, privateKey: raw.slice() };
}

export interface KeyOptions {
  /** Import as a non-extractable CryptoKey where WebCrypto has the algorithm (the vault). */
  readonly nonExtractable?: boolean;
}

export async function signingKeyFromSeed(seed: Uint8Array, opts: KeyOptions = {}): Promise<KeyPair> {
  abytes(seed, 32, 'seed');
  return keyPair('Ed25519', seed, opts.nonExtractable === true);
}

export async function dhKeyFromPrivate(privateKey: Uint8Array, opts: KeyOptions = {}): Promise<KeyPair> {
  abytes(privateKey, 32, 'privateKey');
  return keyPair('X25519', privateKey, opts.nonExtractable === true);
}

/** A fresh X25519 pair as raw bytes (ratchet keys, ephemeral keys, prekeys before storage). */
export async function generateDhKey(rng: Rng = defaultRng): Promise<RawKeyPair> {
  const privateKey = abytes(rng(32), 32, 'rng output');
  return { publicKey: await publicFromPrivate('X25519', privateKey), privateKey };
}

export async function generateSigningKey(rng: Rng = defaultRng): Promise<RawKeyPair> {
  const privateKey = abytes(rng(32), 32, 'rng output');
  return { publicKey: await publicFromPrivate('Ed25519', privateKey), privateKey };
}

export async function sign(privateKey: PrivateKey, message: Uint8Array): Promise<Uint8Array> {
  abytes(message, undefined, 'message');
  const b = await backend();
  if (privateKey instanceof Uint8Array) {
    abytes(privateKey, 32, 'privateKey');
    if (b.subtle === null || !b.ed25519) return ed25519.sign(message, privateKey);
    privateKey = await importOkp(b.subtle, 'Ed25519', privateKey, false);
  }
  return new Uint8Array(await subtleOf(b).sign('Ed25519', privateKey, buf(message)));
}

/** Strict RFC 8032 and no small-order public keys, in both backends (§3.1). Never throws. */
export async function verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    if (!(message instanceof Uint8Array) || signature?.length !== 64 || publicKey?.length !== 32)
      return false;
    if (ed25519.Point.fromBytes(publicKey, false).isSmallOrder()) return false;
    const b = await backend();
    if (b.subtle === null || !b.ed25519)
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    const key = await b.subtle.importKey('raw', buf(publicKey), 'Ed25519', false, ['verify']);
    return await b.subtle.verify('Ed25519', key, buf(signature), buf(message));
  } catch {
    return false;
  }
}

/**
 * X25519. Rejects the all-zero output (RFC 7748 §6.1) in both backends: a low-order point from an
 * unauthenticated peer would otherwise force a known shared secret.
 */
export async function dh(privateKey: PrivateKey, publicKey: Uint8Array): Promise<Uint8Array> {
  abytes(publicKey, 32, 'publicKey');
  // Deviation from RFC 7748 §5 (which masks the top bit and reduces u mod p): we reject such
  // encodings, so no two byte strings name the same key and a received message is not malleable.
  if (!isCanonicalX25519(publicKey)) throw new ChattorError('E_BAD_INPUT', 'invalid X25519 public key');
  const b = await backend();
  let out: Uint8Array;
  try {
    if (privateKey instanceof Uint8Array && (b.subtle === null || !b.x25519)) {
      out = x25519.getSharedSecret(abytes(privateKey, 32, 'privateKey'), publicKey);
    } else {
      const subtle = subtleOf(b);
      const key =
        privateKey instanceof Uint8Array
          ? await importOkp(subtle, 'X25519', abytes(privateKey, 32, 'privateKey'), false)
          : privateKey;
      const pub = await subtle.importKey('raw', buf(publicKey), 'X25519', false, []);
      out = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, key, 256));
    }
  } catch (cause) {
    throw new ChattorError('E_BAD_INPUT', 'invalid X25519 public key', { cause });
  }
  if (out.every((x) => x === 0)) throw new ChattorError('E_BAD_INPUT', 'invalid X25519 public key');
  return out;
}

/** u < 2^255 − 19 with the top bit clear (little-endian). */
function isCanonicalX25519(u: Uint8Array): boolean {
  if (u[31]! & 0x80) return false;
  if (u[31] !== 0x7f || u[0]! < 0xed) return true;
  for (let i = 1; i < 31; i++) if (u[i] !== 0xff) return true;
  return false;
}

/** Reached with a CryptoKey in hand (which implies WebCrypto), even when 'noble' is forced. */
function subtleOf(b: Backend): SubtleCrypto {
  return b.subtle ?? globalThis.crypto.subtle;
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const b = await backend();
  if (b.subtle === null) return nobleSha256(data);
  return new Uint8Array(await b.subtle.digest('SHA-256', buf(data)));
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const b = await backend();
  if (b.subtle === null) return hmac(nobleSha256, key, data);
  const k = await b.subtle.importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await b.subtle.sign('HMAC', k, buf(data)));
}

/** HMAC-SHA256 of each message under one key: imported once, the signatures computed in parallel. */
export async function hmacSha256Each(key: Uint8Array, data: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const b = await backend();
  if (b.subtle === null) return data.map((d) => hmac(nobleSha256, key, d));
  const subtle = b.subtle;
  const k = await subtle.importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Promise.all(data.map(async (d) => new Uint8Array(await subtle.sign('HMAC', k, buf(d)))));
}

export async function hkdfSha256(
  salt: Uint8Array,
  ikm: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const b = await backend();
  if (b.subtle === null) return hkdf(nobleSha256, ikm, salt, info, length);
  const k = await b.subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
  const params = { name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) };
  return new Uint8Array(await b.subtle.deriveBits(params, k, length * 8));
}

/**
 * HKDF-SHA256 of `length` (> 32) bytes whose first 32 are an AES-256-GCM key: `key` is those bytes,
 * or under WebCrypto a non-extractable CryptoKey derived in parallel with the bytes (saving the
 * import that would otherwise follow); `rest` is the remaining bytes. Same output as hkdfSha256.
 */
export async function hkdfSha256AesKey(
  salt: Uint8Array,
  ikm: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<{ key: SymmetricKey; rest: Uint8Array }> {
  if (!Number.isInteger(length) || length <= 32)
    throw new ChattorError('E_BAD_INPUT', 'length must exceed 32');
  const b = await backend();
  if (b.subtle === null) {
    const out = hkdf(nobleSha256, ikm, salt, info, length);
    return { key: out.slice(0, 32), rest: out.slice(32) };
  }
  const subtle = b.subtle;
  const k = await subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits', 'deriveKey']);
  const params = { name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) };
  const [key, out] = await Promise.all([
    subtle.deriveKey(params, k, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
    subtle.deriveBits(params, k, length * 8),
  ]);
  const bytes = new Uint8Array(out);
  const rest = bytes.slice(32);
  bytes.fill(0);
  return { key, rest };
}

export async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  const b = await backend();
  if (b.subtle === null) return pbkdf2(nobleSha256, password, salt, { c: iterations, dkLen: length });
  const k = await b.subtle.importKey('raw', buf(password), 'PBKDF2', false, ['deriveBits']);
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations };
  return new Uint8Array(await b.subtle.deriveBits(params, k, length * 8));
}

/** A non-extractable AES-256-GCM key for storage (raw bytes stay usable with every function here). */
export async function importStorageKey(raw: Uint8Array): Promise<SymmetricKey> {
  abytes(raw, 32, 'storageKey');
  const b = await backend();
  if (b.subtle === null) return raw.slice();
  return b.subtle.importKey('raw', buf(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function aesKey(b: Backend, key: SymmetricKey): Promise<CryptoKey | Uint8Array> {
  if (!(key instanceof Uint8Array)) return key;
  abytes(key, 32, 'key');
  if (b.subtle === null) return key;
  return b.subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function aesGcmEncrypt(
  key: SymmetricKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  abytes(nonce, 12, 'nonce');
  const b = await backend();
  const k = await aesKey(b, key);
  if (k instanceof Uint8Array) return gcm(k, nonce, aad).encrypt(plaintext);
  const params = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 };
  return new Uint8Array(await subtleOf(b).encrypt(params, k, buf(plaintext)));
}

/** Throws E_DECRYPT on any failure. */
export async function aesGcmDecrypt(
  key: SymmetricKey,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  try {
    abytes(nonce, 12, 'nonce');
    if (ciphertext.length < 16) throw new Error('short');
    const b = await backend();
    const k = await aesKey(b, key);
    if (k instanceof Uint8Array) return gcm(k, nonce, aad).decrypt(ciphertext);
    const params = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 };
    return new Uint8Array(await subtleOf(b).decrypt(params, k, buf(ciphertext)));
  } catch (cause) {
    throw new ChattorError('E_DECRYPT', 'message could not be decrypted', { cause });
  }
}
