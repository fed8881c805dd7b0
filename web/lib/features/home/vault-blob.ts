// Implements docs/protocol.md §2.4 (the home vault blob): a §3.6 lock file that opens a random blob key
// with the passphrase or recovery code, and the client's snapshot sealed under that key. The gateway
// stores the bytes and cannot open them; a session that opened the lock once rewrites the body without
// running the KDF again.
import {
  createBackup,
  openBackup,
  type BackupOptions,
  type BackupSecret,
} from '../../../../shared/crypto/backup';
import { label } from '../../../../shared/crypto/codec';
import { aesGcmDecrypt, aesGcmEncrypt, defaultRng, type Rng } from '../../../../shared/crypto/primitives';
import { concatBytes, equalBytes, utf8 } from '../../../../shared/util/bytes';
import { ChattorError } from '../../../../shared/util/errors';

/** `"CHV1"`: the blob's magic and version. */
export const VAULT_BLOB_MAGIC = Uint8Array.of(0x43, 0x48, 0x56, 0x31);
/** The gateway keeps at most this much (MAX_VAULT_BLOB on its side). */
export const MAX_VAULT_BLOB = 16 * 1024 * 1024;
const MAX_LOCK = 64 * 1024;

export interface VaultBlobKey {
  /** The 32-byte key the body is sealed under. */
  key: Uint8Array;
  /** UTF-8 of the §3.6 lock file whose plaintext is `key`. */
  lock: Uint8Array;
}

const bad = (what: string) => new ChattorError('E_BAD_INPUT', `home vault: ${what}`);

function bodyAad(lock: Uint8Array): Uint8Array {
  return concatBytes(label('chattor/v1/home-vault|'), lock);
}

/** A fresh blob key and its lock under `secret` (Argon2id, or PBKDF2 where asked or without WebAssembly). */
export async function newVaultBlobKey(
  secret: BackupSecret,
  options: BackupOptions = {},
  rng: Rng = defaultRng,
): Promise<VaultBlobKey> {
  const key = rng(32);
  const lock = utf8.encode(await createBackup(key, secret, { ...options, rng }));
  return { key, lock };
}

/** `magic || u32 lockLength || lock || nonce (12) || AEAD(key, nonce, snapshot, aad)`. */
export async function sealVaultBlob(
  blobKey: VaultBlobKey,
  snapshot: Uint8Array,
  rng: Rng = defaultRng,
): Promise<Uint8Array> {
  const nonce = rng(12);
  const ct = await aesGcmEncrypt(blobKey.key, nonce, snapshot, bodyAad(blobKey.lock));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, blobKey.lock.length);
  const blob = concatBytes(VAULT_BLOB_MAGIC, length, blobKey.lock, nonce, ct);
  if (blob.length > MAX_VAULT_BLOB) throw new ChattorError('E_TOO_LARGE', 'the home vault is too large');
  return blob;
}

/** Splits a blob strictly; E_BAD_INPUT on anything malformed. */
export function parseVaultBlob(blob: Uint8Array): { lock: Uint8Array; nonce: Uint8Array; ct: Uint8Array } {
  if (!(blob instanceof Uint8Array) || blob.length > MAX_VAULT_BLOB) throw bad('not a vault');
  if (blob.length < 8 || !VAULT_BLOB_MAGIC.every((b, i) => blob[i] === b)) throw bad('not a vault');
  const lockLength = new DataView(blob.buffer, blob.byteOffset).getUint32(4);
  if (lockLength === 0 || lockLength > MAX_LOCK || blob.length < 8 + lockLength + 12 + 16)
    throw bad('lock length out of range');
  const lock = blob.slice(8, 8 + lockLength);
  const nonce = blob.slice(8 + lockLength, 20 + lockLength);
  return { lock, nonce, ct: blob.slice(20 + lockLength) };
}

/**
 * Opens the lock with `secret` (E_WRONG_PASSWORD; E_UNSUPPORTED for an Argon2id lock without
 * WebAssembly) and then the body.
 */
export async function openVaultBlob(
  blob: Uint8Array,
  secret: BackupSecret,
): Promise<{ blobKey: VaultBlobKey; snapshot: Uint8Array }> {
  const { lock } = parseVaultBlob(blob);
  const key = await openBackup(utf8.decode(lock), secret);
  if (key.length !== 32) throw bad('blob key must be 32 bytes');
  const blobKey = { key, lock };
  return { blobKey, snapshot: await openVaultBody(blobKey, blob) };
}

/** Opens a blob with a key already known (a later generation written by the same vault). */
export async function openVaultBody(blobKey: VaultBlobKey, blob: Uint8Array): Promise<Uint8Array> {
  const { lock, nonce, ct } = parseVaultBlob(blob);
  if (!equalBytes(lock, blobKey.lock))
    throw new ChattorError('E_DECRYPT', 'the home vault was replaced by another one');
  return aesGcmDecrypt(blobKey.key, nonce, ct, bodyAad(lock));
}
