// Implements docs/protocol.md §4.3 (key vault): the device key and the vault key that seal the identity
// secrets and the storage key in IndexedDB; lock and unlock with an optional passphrase.
import type { BackupOptions } from '../../../shared/crypto/backup';
import { importStorageKey, type SymmetricKey } from '../../../shared/crypto/primitives';
import type { SecretBox } from '../../../shared/protocol/api';
import { ChattorError } from '../../../shared/util/errors';
import type { ChattorDb } from '../db/db';
import {
  lockKdf,
  newVaultRow,
  unwrapVaultKey,
  vaultOpen,
  vaultSeal,
  wrapVaultKey,
  type VaultRow,
} from './vault-seal';

export type VaultProtection = VaultRow['protection'];

export interface KeyVaultOptions {
  /** The passphrase lock's KDF (default: Argon2id m = 64 MiB, t = 3; PBKDF2 without WebAssembly). */
  kdf?: BackupOptions;
}

export class KeyVault {
  readonly #db: ChattorDb;
  readonly #kdf: BackupOptions;
  /** The unlocked vault key (non-extractable where WebCrypto has AES-GCM); null while locked. */
  #key: SymmetricKey | null = null;
  #protection: VaultProtection | null = null;

  constructor(db: ChattorDb, options: KeyVaultOptions = {}) {
    this.#db = db;
    this.#kdf = options.kdf ?? {};
  }

  /** Seals and opens meta `identity` for the engine (EngineOptions.identityBox). */
  readonly identityBox: SecretBox = {
    seal: async (plaintext) => vaultSeal(this.#unlockedKey(), 'identity', plaintext),
    open: async (sealed) => vaultOpen(this.#unlockedKey(), 'identity', sealed),
  };

  get unlocked(): boolean {
    return this.#key !== null;
  }

  /** null until `load`. */
  get protection(): VaultProtection | null {
    return this.#protection;
  }

  /**
   * Reads the vault (creating a device-protected one if there is none) and unlocks it when no passphrase
   * protects it. Keeps an already unlocked key.
   */
  async load(): Promise<'locked' | 'unlocked'> {
    let row = await this.#db.vault.get('vault');
    if (!row) {
      const fresh = (await newVaultRow(undefined)).row;
      row = await this.#db.transaction('rw', this.#db.vault, async () => {
        const existing = await this.#db.vault.get('vault'); // another tab may have been first
        if (existing) return existing;
        await this.#db.vault.add(fresh);
        return fresh;
      });
    }
    this.#protection = row.protection;
    if (!this.#key && row.protection === 'device') await this.#unlockWith(row, undefined);
    return this.#key ? 'unlocked' : 'locked';
  }

  /** Opens the lock with `passphrase`: E_WRONG_PASSWORD (nothing changes) if it does not fit. */
  async unlock(passphrase: string): Promise<void> {
    await this.#unlockWith(await this.#row(), passphrase);
  }

  /** Forgets the vault key in memory. The engine must be stopped first (it holds loaded keys). */
  lock(): void {
    this.#key = null;
  }

  /** Sets (`current` undefined) or changes the passphrase. Only `wrapped` is rewritten. */
  async setPassphrase(passphrase: string, current?: string): Promise<void> {
    await this.#rewrap(passphrase, current);
  }

  /** Back to device-protected; needs the current passphrase. */
  async removePassphrase(current: string): Promise<void> {
    await this.#rewrap(null, current);
  }

  /** The KDF of the passphrase lock ('argon2id' or 'pbkdf2-sha256'), or null. */
  async passphraseKdf(): Promise<string | null> {
    return lockKdf(await this.#row());
  }

  /**
   * A stateless session (docs/protocol.md §2.4) starts with the storage key its home vault carried: a
   * device-protected vault around it, unlocked. Refused where a vault exists already.
   */
  async adopt(storageKey: Uint8Array): Promise<void> {
    const { row, vaultKey } = await newVaultRow(storageKey.slice());
    await this.#db.vault.add(row);
    this.#key = vaultKey;
    this.#protection = row.protection;
  }

  /** The raw storage key, for the home vault's snapshot (§2.4). The caller zeroes it. */
  async exportStorageKey(): Promise<Uint8Array> {
    return vaultOpen(this.#unlockedKey(), 'storage-key', (await this.#row()).storageKey);
  }

  /** Seals and opens the home vault's blob key (§2.4) with the vault key. */
  sealHomeKey(key: Uint8Array): Promise<Uint8Array> {
    return vaultSeal(this.#unlockedKey(), 'home-vault-key', key);
  }

  openHomeKey(sealed: Uint8Array): Promise<Uint8Array> {
    return vaultOpen(this.#unlockedKey(), 'home-vault-key', sealed);
  }

  /** The key that seals ratchet states (EngineOptions.storageKey): non-extractable where possible. */
  async storageKey(): Promise<SymmetricKey> {
    const raw = await vaultOpen(this.#unlockedKey(), 'storage-key', (await this.#row()).storageKey);
    try {
      return await importStorageKey(raw);
    } finally {
      raw.fill(0);
    }
  }

  async #rewrap(passphrase: string | null, current: string | undefined): Promise<void> {
    this.#unlockedKey();
    const row = await this.#row();
    const raw = await unwrapVaultKey(row, current);
    try {
      const wrapped = await wrapVaultKey(row.deviceKey, raw, passphrase, this.#kdf);
      await this.#db.vault.put({ ...row, ...wrapped });
      this.#protection = wrapped.protection;
    } finally {
      raw.fill(0);
    }
  }

  async #unlockWith(row: VaultRow, passphrase: string | undefined): Promise<void> {
    const raw = await unwrapVaultKey(row, passphrase);
    try {
      this.#key = await importStorageKey(raw);
    } finally {
      raw.fill(0);
    }
  }

  async #row(): Promise<VaultRow> {
    const row = await this.#db.vault.get('vault');
    if (!row) throw new ChattorError('E_STATE', 'no key vault in this browser');
    return row;
  }

  #unlockedKey(): SymmetricKey {
    if (!this.#key) throw new ChattorError('E_LOCKED', 'the vault is locked');
    return this.#key;
  }
}
