// The home vault's life in this page, docs/protocol.md §2.4. A stateless session (Tor Browser on the
// home onion) opens the vault with the passphrase into its in-memory database; a normal tab creates it.
// Whoever runs the engine holds the gateway's engine lease, reads the vault first when the gateway has a
// newer generation than it last saw, and writes its state back (debounced, after every change), so the
// two never run one identity's ratchets at once and each starts from where the other stopped.
import { parseBackup, type BackupOptions, type BackupSecret } from '../../../../shared/crypto/backup';
import { utf8 } from '../../../../shared/util/bytes';
import { ChattorError } from '../../../../shared/util/errors';
import { getDb, type ChattorDb } from '$lib/db/db';
import { errorCode } from '$lib/errors/app-error';
import { handleError } from '$lib/errors/handle-error';
import type { KeyVault } from '$lib/keys/key-vault';
import type { GatewayClient } from '$lib/transport/gateway-client';
import { fetchVault, putVault } from './home-api';
import { restoreSnapshot, takeSnapshot } from './snapshot';
import {
  newVaultBlobKey,
  openVaultBlob,
  openVaultBody,
  parseVaultBlob,
  sealVaultBlob,
  type VaultBlobKey,
} from './vault-blob';

/** Writes wait this long after the last change, so a burst of changes is one write. */
export const WRITE_DEBOUNCE_MS = 1500;
/**
 * After a message was added (ours or a friend's, so a ratchet chain moved and a receipt may have gone
 * out) the write comes sooner: a session that dies before writing leaves the next engine an older
 * ratchet state (docs/threat-model.md, known weaknesses).
 */
export const URGENT_WRITE_MS = 50;
/** A normal tab asks this many times (1 s apart) before it says the engine runs elsewhere. */
const LEASE_TRIES = 3;

export type HomeSyncState = 'off' | 'idle' | 'writing' | 'failed';

export interface HomeSyncDeps {
  vault: KeyVault;
  db?: () => ChattorDb;
  /** True on the home onion: nothing persists, the vault is the only state (§2.4). */
  stateless: boolean;
  fetcher?: typeof fetch;
}

export class HomeSync {
  state = $state<HomeSyncState>('off');
  /** The generation this page last wrote or read. */
  generation = $state(0);
  readonly stateless: boolean;

  readonly #deps: HomeSyncDeps;
  #key = $state.raw<VaultBlobKey | null>(null);
  #lease: string | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerDelay = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(deps: HomeSyncDeps) {
    this.#deps = deps;
    this.stateless = deps.stateless;
  }

  get #db(): ChattorDb {
    return (this.#deps.db ?? getDb)();
  }

  get configured(): boolean {
    return this.#key !== null;
  }

  /**
   * Stateless session: downloads the vault, opens it with `input` (a passphrase or a recovery code, as
   * its lock says) and loads it into memory.
   */
  async unlock(input: string): Promise<void> {
    const stored = await fetchVault(null, this.#deps.fetcher);
    const lock = parseBackup(utf8.decode(parseVaultBlob(stored.blob).lock));
    const secret: BackupSecret =
      lock.secret === 'recovery-code' ? { recoveryCode: input } : { password: input };
    const { blobKey, snapshot } = await openVaultBlob(stored.blob, secret);
    try {
      await restoreSnapshot(this.#db, this.#deps.vault, snapshot);
    } finally {
      snapshot.fill(0);
    }
    this.#key = blobKey;
    this.generation = stored.generation;
    this.state = 'idle';
  }

  /**
   * Normal tab: seals this browser's identity and state under `secret` and gives it to the gateway.
   * The blob key stays in this browser, sealed by the key vault, so later writes need no KDF run.
   */
  async create(client: GatewayClient, secret: BackupSecret, options: BackupOptions = {}): Promise<void> {
    const blobKey = await newVaultBlobKey(secret, options);
    const grant = await client.command('AcquireEngineLease', { takeover: false });
    this.#lease = grant.lease;
    this.#key = blobKey;
    this.generation = grant.generation;
    await this.#db.setSetting('homeVault', {
      sealedKey: await this.#deps.vault.sealHomeKey(blobKey.key),
      lock: utf8.decode(blobKey.lock),
      generation: grant.generation,
    });
    await this.flush();
  }

  /** Normal tab: stop writing the vault (the gateway's copy stays until the home onion is reset). */
  async forget(): Promise<void> {
    this.#cancel();
    this.#key = null;
    this.#lease = null;
    this.state = 'off';
    await this.#db.deleteSetting('homeVault');
  }

  /**
   * Before the engine starts: takes the lease (a stateless session takes it over; a normal tab waits
   * for it) and reads a newer vault. false: the engine runs elsewhere, do not start it.
   * `reloaded` is called when the database was replaced by the vault's state.
   */
  async beforeStart(
    client: GatewayClient,
    reloaded: () => Promise<void>,
    takeover = false,
  ): Promise<boolean> {
    await this.#loadKey();
    if (!this.#key) return true;
    let grant: { lease: string; generation: number } | null = null;
    for (let i = 0; i < LEASE_TRIES && !grant; i++) {
      try {
        // A takeover waits for the holder to write its state and let go (up to 15 s at the gateway).
        grant = await client.command(
          'AcquireEngineLease',
          { takeover: takeover || this.stateless },
          { timeoutMs: 30_000 },
        );
      } catch (e) {
        if (errorCode(e) !== 'E_LEASE_HELD') throw e;
        if (i + 1 < LEASE_TRIES) await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (!grant) return false;
    this.#lease = grant.lease;
    if (grant.generation > this.generation) {
      const token = await this.#db.getSetting('pairingToken');
      if (!token) throw new ChattorError('E_UNAUTHORIZED', 'not paired');
      const stored = await fetchVault(token, this.#deps.fetcher);
      const snapshot = await openVaultBody(this.#key, stored.blob);
      try {
        await restoreSnapshot(this.#db, this.#deps.vault, snapshot);
      } finally {
        snapshot.fill(0);
      }
      await this.#remember(stored.generation);
      await reloaded();
    }
    this.state = 'idle';
    return true;
  }

  /** The engine changed something: write the vault soon (`urgent`: a ratchet moved). */
  changed(urgent = false): void {
    if (!this.#key || !this.#lease) return;
    const delay = urgent ? URGENT_WRITE_MS : WRITE_DEBOUNCE_MS;
    // A write already due at least as soon will see this change too.
    if (this.#timer && this.#timerDelay <= delay) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDelay = delay;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush().catch((error: unknown) => handleError(error, { quiet: true, context: 'home vault' }));
    }, delay);
  }

  /** Writes now (after any write in progress). */
  flush(): Promise<void> {
    this.#cancel();
    const next = this.#writing.then(() => this.#write());
    this.#writing = next.catch(() => undefined);
    return next;
  }

  /** Another client asks for the lease (the engine here has stopped): write what is left, let go. */
  async handOver(client: GatewayClient): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.leaseLost();
      await client.command('ReleaseEngineLease', {});
    }
  }

  /** Another client took the lease: no more writes from here. */
  leaseLost(): void {
    this.#cancel();
    this.#lease = null;
  }

  #cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #write(): Promise<void> {
    const key = this.#key;
    const lease = this.#lease;
    if (!key || !lease) return;
    this.state = 'writing';
    try {
      const token = await this.#db.getSetting('pairingToken');
      if (!token) throw new ChattorError('E_UNAUTHORIZED', 'not paired');
      const snapshot = await takeSnapshot(this.#db, this.#deps.vault);
      let blob: Uint8Array;
      try {
        blob = await sealVaultBlob(key, snapshot);
      } finally {
        snapshot.fill(0);
      }
      await this.#remember(await putVault(token, lease, blob, this.#deps.fetcher));
      this.state = 'idle';
    } catch (e) {
      this.state = 'failed';
      if (errorCode(e) === 'E_LEASE_LOST') this.leaseLost();
      throw e;
    }
  }

  async #remember(generation: number): Promise<void> {
    this.generation = generation;
    if (this.stateless) return;
    const setting = await this.#db.getSetting('homeVault');
    if (setting) await this.#db.setSetting('homeVault', { ...setting, generation });
  }

  /** Normal tab: the blob key from settings, opened with the (unlocked) key vault. */
  async #loadKey(): Promise<void> {
    if (this.#key || this.stateless) return;
    const setting = await this.#db.getSetting('homeVault');
    if (!setting) return;
    const key = await this.#deps.vault.openHomeKey(setting.sealedKey);
    this.#key = { key, lock: utf8.encode(setting.lock) };
    this.generation = setting.generation;
  }
}
