// Implements docs/protocol.md §6.2: a file in AES-256-GCM chunks, STREAM construction (nonce = prefix ||
// counter || last-chunk flag), the file id, chunk index and file size in the AAD.
import { abytes, concatBytes } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import { domain } from './codec.js';
import { aesGcmDecrypt, aesGcmEncrypt, importStorageKey, type SymmetricKey } from './primitives.js';

export const FILE_ID_BYTES = 16;
export const NONCE_PREFIX_BYTES = 7;
export const FILE_KEY_BYTES = 32;
export const CHUNK = 262_144;
export const MIN_CHUNK = 65_536;
export const MAX_CHUNK = 1_048_064;
export const MAX_FILE_SIZE = 2 ** 40;
const TAG = 16;
const AAD_LABEL = 'chattor/v1/file-chunk';

export interface FileParams {
  /** The file key: raw bytes or (preferably) a CryptoKey from `importFileKey`. */
  readonly key: SymmetricKey;
  readonly noncePrefix: Uint8Array;
  readonly fileId: Uint8Array;
  readonly size: number;
  readonly chunk: number;
}

export function isValidChunk(chunk: number): boolean {
  return Number.isInteger(chunk) && chunk >= MIN_CHUNK && chunk <= MAX_CHUNK && (chunk & (chunk - 1)) === 0;
}

/** `n = max(1, ceil(size / chunk))`. */
export function chunkCount(size: number, chunk: number): number {
  return Math.max(1, Math.ceil(size / chunk));
}

/** The plaintext length of chunk `index` (throws for an index out of range). */
export function chunkLength(p: Pick<FileParams, 'size' | 'chunk'>, index: number): number {
  const n = chunkCount(p.size, p.chunk);
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new ChattorError('E_BAD_INPUT', `chunk ${index} is out of range (the file has ${n})`);
  return index === n - 1 ? p.size - index * p.chunk : p.chunk;
}

/** A non-extractable AES key for the transfer (imported once, not per chunk). */
export function importFileKey(raw: Uint8Array): Promise<SymmetricKey> {
  return importStorageKey(abytes(raw, FILE_KEY_BYTES, 'file key'));
}

function nonceAndAad(p: FileParams, index: number): { nonce: Uint8Array; aad: Uint8Array } {
  abytes(p.noncePrefix, NONCE_PREFIX_BYTES, 'nonce prefix');
  abytes(p.fileId, FILE_ID_BYTES, 'file id');
  if (!isValidChunk(p.chunk)) throw new ChattorError('E_BAD_INPUT', 'chunk size out of range');
  if (!Number.isSafeInteger(p.size) || p.size < 0 || p.size > MAX_FILE_SIZE)
    throw new ChattorError('E_BAD_INPUT', 'file size out of range');
  const last = index === chunkCount(p.size, p.chunk) - 1 ? 1 : 0;
  const nonce = new Uint8Array(12);
  nonce.set(p.noncePrefix);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_BYTES, index);
  nonce[11] = last;
  const tail = new Uint8Array(12);
  const v = new DataView(tail.buffer);
  v.setUint32(0, index);
  v.setUint32(4, Math.floor(p.size / 2 ** 32));
  v.setUint32(8, p.size >>> 0);
  return { nonce, aad: domain(AAD_LABEL, concatBytes(p.fileId, tail)) };
}

export async function encryptChunk(p: FileParams, index: number, plaintext: Uint8Array): Promise<Uint8Array> {
  if (plaintext.length !== chunkLength(p, index))
    throw new ChattorError('E_BAD_INPUT', `chunk ${index} must hold ${chunkLength(p, index)} bytes`);
  const { nonce, aad } = nonceAndAad(p, index);
  return aesGcmEncrypt(p.key, nonce, plaintext, aad);
}

/** E_BAD_INPUT for an index or length the file cannot have; E_DECRYPT for anything that fails to open. */
export async function decryptChunk(
  p: FileParams,
  index: number,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const expected = chunkLength(p, index) + TAG;
  if (ciphertext.length !== expected)
    throw new ChattorError(
      'E_BAD_INPUT',
      `chunk ${index} has ${ciphertext.length} bytes, expected ${expected}`,
    );
  const { nonce, aad } = nonceAndAad(p, index);
  return aesGcmDecrypt(p.key, nonce, ciphertext, aad);
}
