// Implements docs/protocol.md §4.3 (key vault): the sealed forms the vault keeps in IndexedDB. Pure
// functions over WebCrypto, so migration 0003 can use them inside its upgrade transaction.
import { createBackup, openBackup, parseBackup, type BackupOptions } from '../../../shared/crypto/backup';
import { label } from '../../../shared/crypto/codec';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  defaultRng,
  importStorageKey,
  type Rng,
  type SymmetricKey,
} from '../../../shared/crypto/primitives';
import { utf8 } from '../../../shared/util/bytes';
import { ChattorError } from '../../../shared/util/errors';

export const VAULT_SEAL_VERSION = 1;
export type SealLabel = 'identity' | 'storage-key' | 'vault-key' | 'vault-lock' | 'home-vault-key';

/** The one row of the `vault` table (database version 3). */
export interface VaultRow {
  key: 'vault';
  v: 1;
  /** Device-bound, non-extractable AES-256-GCM key, structured-cloned into IndexedDB. */
  deviceKey: CryptoKey;
  /** 'device': `wrapped` opens with the device key alone; 'passphrase': it holds a lock file. */
  protection: 'device' | 'passphrase';
  /** vaultSeal(deviceKey, "vault-key", VK) or vaultSeal(deviceKey, "vault-lock", lock file). */
  wrapped: Uint8Array;
  /** vaultSeal(VK, "storage-key", 32 random bytes): the key that seals ratchet states. */
  storageKey: Uint8Array;
}

/** `0x01 || nonce (12) || AEAD(key, nonce, pt, "chattor/v1/vault|" || label)`. */
export async function vaultSeal(
  key: SymmetricKey,
  what: SealLabel,
  plaintext: Uint8Array,
  rng: Rng = defaultRng,
): Promise<Uint8Array> {
  const nonce = rng(12);
  const ct = await aesGcmEncrypt(key, nonce, plaintext, label(`chattor/v1/vault|${what}`));
  const out = new Uint8Array(13 + ct.length);
  out[0] = VAULT_SEAL_VERSION;
  out.set(nonce, 1);
  out.set(ct, 13);
  return out;
}

/** Throws E_DECRYPT on a wrong key, label or damaged data. */
export async function vaultOpen(key: SymmetricKey, what: SealLabel, sealed: Uint8Array): Promise<Uint8Array> {
  if (!(sealed instanceof Uint8Array) || sealed.length < 13 + 16 || sealed[0] !== VAULT_SEAL_VERSION)
    throw new ChattorError('E_DECRYPT', 'vault data could not be decrypted');
  return aesGcmDecrypt(key, sealed.subarray(1, 13), sealed.subarray(13), label(`chattor/v1/vault|${what}`));
}

/** A new non-extractable device key (needs WebCrypto AES-GCM, which every secure context has). */
export async function newDeviceKey(): Promise<CryptoKey> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new ChattorError('E_UNSUPPORTED', 'the key vault needs WebCrypto');
  return subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/**
 * A new device-protected vault row, sealing `storageKey` (a v2 database's raw key, or fresh bytes).
 * Returns the unlocked vault key too, as a non-extractable key.
 */
export async function newVaultRow(
  storageKey: Uint8Array | undefined,
  rng: Rng = defaultRng,
): Promise<{ row: VaultRow; vaultKey: SymmetricKey }> {
  const deviceKey = await newDeviceKey();
  const raw = rng(32);
  const sk = storageKey ?? rng(32);
  try {
    const vaultKey = await importStorageKey(raw);
    const row: VaultRow = {
      key: 'vault',
      v: 1,
      deviceKey,
      protection: 'device',
      wrapped: await vaultSeal(deviceKey, 'vault-key', raw, rng),
      storageKey: await vaultSeal(vaultKey, 'storage-key', sk, rng),
    };
    return { row, vaultKey };
  } finally {
    raw.fill(0);
    sk.fill(0);
  }
}

/**
 * The raw vault key from the row: with the device key alone, or with the passphrase as well
 * (E_WRONG_PASSWORD when it does not open the lock; nothing changes). The caller zeroes it.
 */
export async function unwrapVaultKey(row: VaultRow, passphrase?: string): Promise<Uint8Array> {
  if (row.protection === 'device') return vaultOpen(row.deviceKey, 'vault-key', row.wrapped);
  if (passphrase === undefined) throw new ChattorError('E_LOCKED', 'the vault is locked');
  const text = utf8.decode(await vaultOpen(row.deviceKey, 'vault-lock', row.wrapped));
  return openBackup(text, { password: passphrase });
}

/** `wrapped` for raw vault key `raw`: device-only, or a §3.6 lock file under `passphrase`. */
export async function wrapVaultKey(
  deviceKey: CryptoKey,
  raw: Uint8Array,
  passphrase: string | null,
  kdf: BackupOptions = {},
): Promise<Pick<VaultRow, 'protection' | 'wrapped'>> {
  if (passphrase === null)
    return { protection: 'device', wrapped: await vaultSeal(deviceKey, 'vault-key', raw) };
  const lock = utf8.encode(await createBackup(raw, { password: passphrase }, kdf));
  return { protection: 'passphrase', wrapped: await vaultSeal(deviceKey, 'vault-lock', lock) };
}

/** The KDF recorded in a passphrase lock (for Settings and tests); null when device-protected. */
export async function lockKdf(row: VaultRow): Promise<string | null> {
  if (row.protection === 'device') return null;
  const file = parseBackup(utf8.decode(await vaultOpen(row.deviceKey, 'vault-lock', row.wrapped)));
  return file.kdf.name;
}
