// The chat engine's life in this page: created once per gateway client (after pairing), asked whether
// an identity exists, started when the key vault is unlocked, the local link is open and the contact
// onion is known, and its events fanned out to the friends, chat and mailbox managers. Lock stops it.
import type {
  ChatEngineApi,
  EngineEvent,
  EngineStorage,
  SocialStorage,
} from '../../../../shared/protocol/api';
import { missingCaseError } from '../../../../shared/util/errors';
import { getDb } from '$lib/db/db';
import { DexieEngineStorage } from '$lib/db/engine-storage';
import { handleError } from '$lib/errors/handle-error';
import { AppError, errorCode } from '$lib/errors/app-error';
import { BrowserFileStore } from '$lib/files/file-store';
import { KeyVault, type VaultProtection } from '$lib/keys/key-vault';
import { FeedManager } from '$lib/features/feed/feed.svelte';
import { FriendsManager } from '$lib/features/friends/friends.svelte';
import { HandlesManager } from '$lib/features/handles/handles.svelte';
import { WorkerProver } from '$lib/zk/prover';
import { MailboxManager } from '$lib/features/mailbox/mailbox.svelte';
import type { NodeStatusManager } from '$lib/features/node/node.svelte';
import { HomeSync } from '$lib/features/home/home-sync.svelte';
import { isStatelessSession } from '$lib/features/home/stateless';
import { prefs } from '$lib/features/settings/prefs.svelte';
import { GatewayEngineTransport } from '$lib/transport/engine-transport';
import { WriteAheadTransport } from '$lib/features/home/write-ahead';
import type { GatewayClient } from '$lib/transport/gateway-client';
import { ChatManager } from './chat.svelte';
import { createEngine, type EngineFactory } from './engine-factory';

/**
 * `unavailable`: this build has no engine · `no-identity`: onboarding · `locked`: the vault waits for
 * its passphrase · `waiting`: has an identity, waiting for the link and the contact onion · `running` ·
 * `elsewhere`: another browser holds the engine lease (docs/protocol.md §2.4) · `failed`: start failed
 * (see problems).
 */
export type EnginePhase =
  | 'idle'
  | 'loading'
  | 'unavailable'
  | 'no-identity'
  | 'locked'
  | 'waiting'
  | 'running'
  | 'elsewhere'
  | 'failed';

export interface EngineHostDeps {
  /** The engine's tables, posts and the own log included (docs/protocol.md §7). */
  storage: EngineStorage & SocialStorage;
  createEngine: EngineFactory;
  vault: KeyVault;
  /** Where file bytes live (docs/protocol.md §6). */
  files: BrowserFileStore;
  /** The home vault and the engine lease (docs/protocol.md §2.4). */
  home: HomeSync;
}

export class EngineHost {
  phase = $state<EnginePhase>('idle');
  engine = $state.raw<ChatEngineApi | null>(null);
  /** How the key vault is protected (null until loaded). */
  protection = $state<VaultProtection | null>(null);
  readonly friends: FriendsManager;
  readonly chat: ChatManager;
  readonly mailbox: MailboxManager;
  readonly feed: FeedManager;
  readonly home: HomeSync;
  readonly handles: HandlesManager;

  readonly #node: NodeStatusManager;
  readonly #deps: EngineHostDeps;
  #client: GatewayClient | null = null;
  #transport: GatewayEngineTransport | null = null;
  #starting = false;
  #takeover = false;

  constructor(node: NodeStatusManager, deps: Partial<EngineHostDeps> = {}) {
    this.#node = node;
    const stateless = isStatelessSession();
    const vault = deps.vault ?? new KeyVault(getDb());
    this.#deps = {
      storage: deps.storage ?? new DexieEngineStorage(getDb()),
      createEngine: deps.createEngine ?? createEngine,
      vault,
      // A stateless session writes nothing to disk: no Origin Private File System (§2.4).
      files: deps.files ?? new BrowserFileStore(stateless ? { opfs: () => Promise.resolve(null) } : {}),
      home: deps.home ?? new HomeSync({ vault, stateless }),
    };
    this.home = this.#deps.home;
    const engine = () => this.engine;
    this.friends = new FriendsManager({ engine, storage: this.#deps.storage });
    this.chat = new ChatManager({
      engine,
      storage: this.#deps.storage,
      friends: this.friends,
      files: this.#deps.files,
    });
    this.mailbox = new MailboxManager({ engine });
    this.feed = new FeedManager({ engine });
    this.handles = new HandlesManager({ engine });
  }

  /** From the "open in another browser" notice: take the engine lease over and start here. */
  useHere(): void {
    if (this.phase !== 'elsewhere') return;
    this.#takeover = true;
    this.phase = 'waiting';
    this.#maybeStart();
  }

  get storage(): EngineStorage {
    return this.#deps.storage;
  }

  /** Builds the engine over this client; returns the function that tears it down. */
  attach(client: GatewayClient): () => void {
    this.#client = client;
    const transport = new GatewayEngineTransport(client, {
      status: () => this.#node.status,
      onError: (error) => handleError(error, { quiet: true, context: 'peer link' }),
    });
    this.#transport = transport;
    const vault = this.#deps.vault;
    const prover = new WorkerProver();
    const engine = this.#deps.createEngine({
      storage: this.#deps.storage,
      // Tor Browser on the home onion: the vault is the only copy of the state, so chat frames leave
      // only after it holds the state they came from (docs/protocol.md §2.4, write-ahead).
      transport: this.home.stateless
        ? new WriteAheadTransport(
            transport,
            () => this.home.flush(),
            (error) => handleError(error, { quiet: true, context: 'home vault' }),
          )
        : transport,
      readReceipts: () => prefs.readReceipts,
      holdForFriends: () => prefs.holdForFriends,
      files: this.#deps.files,
      social: this.#deps.storage,
      autoAcceptBytes: () => prefs.autoAcceptBytes,
      // docs/protocol.md §4.3: IndexedDB holds the identity and the storage key only sealed.
      identityBox: vault.identityBox,
      storageKey: () => vault.storageKey(),
      // docs/protocol.md §8: proofs are made and checked in a Web Worker, started on first use.
      zk: prover,
    });
    if (!engine) {
      this.phase = 'unavailable';
      return () => transport.dispose();
    }
    this.engine = engine;
    const offs = [
      engine.on((e) => this.#onEvent(e)),
      client.onConnection(() => this.#maybeStart()),
      client.on('EngineLeaseLost', () => this.#leaseLost(engine)),
      client.on('EngineLeaseRequested', () => {
        this.#handOver(engine, client).catch((error: unknown) =>
          handleError(error, { quiet: true, context: 'engine lease' }),
        );
      }),
      client.on('StatusChanged', () => this.#maybeStart()),
      client.on('OnionPublished', (e) => {
        this.#maybeStart();
        // A new contact onion means a re-signed card (docs/protocol.md §4.3): show the new link.
        if (e.kind === 'contact' && this.phase === 'running') {
          this.friends
            .loadMyLink()
            .catch((error: unknown) => handleError(error, { quiet: true, context: 'contact link' }));
        }
      }),
    ];
    this.phase = 'loading';
    this.#init(engine).catch((error: unknown) => {
      this.phase = 'failed';
      handleError(error, { context: 'chat engine' });
    });
    return () => {
      offs.forEach((off) => off());
      transport.dispose();
      prover.dispose();
      if (this.engine === engine) this.engine = null;
      if (this.phase === 'running') {
        engine.stop().catch((error: unknown) => handleError(error, { quiet: true, context: 'chat engine' }));
      }
      this.phase = 'idle';
    };
  }

  /** After onboarding created or restored the identity. */
  identityReady(): void {
    this.phase = 'waiting';
    this.#maybeStart();
  }

  /** The engine, or an AppError the UI can show. */
  requireEngine(): ChatEngineApi {
    if (!this.engine) throw new AppError('E_ENGINE_MISSING', 'no chat engine');
    return this.engine;
  }

  get vault(): KeyVault {
    return this.#deps.vault;
  }

  /** Stops the engine, forgets the unlocked keys and releases the file locks (wipe). */
  async stop(): Promise<void> {
    const engine = this.engine;
    if (engine && this.phase === 'running') await engine.stop();
    this.#deps.vault.lock();
    this.phase = 'idle';
    await this.#deps.files.dispose();
  }

  /** Unlocks the vault and starts the engine; a wrong passphrase is E_WRONG_PASSPHRASE, nothing lost. */
  async unlock(passphrase: string): Promise<void> {
    try {
      await this.#deps.vault.unlock(passphrase);
    } catch (cause) {
      if (errorCode(cause) !== 'E_WRONG_PASSWORD') throw cause;
      throw new AppError('E_WRONG_PASSPHRASE', 'wrong passphrase', { cause });
    }
    const engine = this.engine;
    this.phase = engine && !(await engine.hasIdentity()) ? 'no-identity' : 'waiting';
    this.#maybeStart();
  }

  /** "Lock now": stops the engine (it forgets its keys), then the vault forgets its key. */
  async lock(): Promise<void> {
    if (this.#deps.vault.protection !== 'passphrase')
      throw new AppError('E_NO_PASSPHRASE', 'set a passphrase before locking');
    if (this.engine && this.phase === 'running') await this.engine.stop();
    this.#deps.vault.lock();
    this.phase = 'locked';
  }

  /** Sets (or, with `current`, changes) the vault passphrase; null removes it (needs `current`). */
  async setPassphrase(passphrase: string | null, current?: string): Promise<void> {
    const vault = this.#deps.vault;
    try {
      if (passphrase !== null) await vault.setPassphrase(passphrase, current);
      else await vault.removePassphrase(current ?? '');
    } catch (cause) {
      if (errorCode(cause) !== 'E_WRONG_PASSWORD') throw cause;
      throw new AppError('E_WRONG_PASSPHRASE', 'wrong passphrase', { cause });
    } finally {
      this.protection = vault.protection;
    }
  }

  async #init(engine: ChatEngineApi): Promise<void> {
    await prefs.load();
    const unlocked = (await this.#deps.vault.load()) === 'unlocked';
    this.protection = this.#deps.vault.protection;
    await this.friends.load();
    await this.chat.load();
    if (!unlocked) this.phase = 'locked';
    else this.phase = (await engine.hasIdentity()) ? 'waiting' : 'no-identity';
    this.#maybeStart();
  }

  #maybeStart(): void {
    const engine = this.engine;
    if (!engine || this.phase !== 'waiting' || this.#starting) return;
    if (this.#client?.connection.state !== 'open' || !this.#transport?.contactOnion()) return;
    this.#starting = true;
    const client = this.#client;
    const takeover = this.#takeover;
    this.#takeover = false;
    this.#deps.home
      .beforeStart(client, () => this.#reload(), takeover)
      .then(async (go) => {
        if (!go) {
          this.phase = 'elsewhere';
          return;
        }
        await engine.start();
        this.phase = 'running';
        await this.friends.loadMyLink();
      })
      .catch((error: unknown) => {
        if (this.phase !== 'running') this.phase = 'failed';
        handleError(error, { context: 'chat engine' });
      })
      .finally(() => (this.#starting = false));
  }

  /** The database now holds what another browser wrote into the home vault. */
  async #reload(): Promise<void> {
    await this.friends.load();
    await this.chat.reload();
  }

  /** §2.4: another browser asks to run the engine: stop here, write the vault, release the lease. */
  async #handOver(engine: ChatEngineApi, client: GatewayClient): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'elsewhere';
    if (wasRunning) await engine.stop();
    await this.#deps.home.handOver(client);
  }

  #leaseLost(engine: ChatEngineApi): void {
    this.#deps.home.leaseLost();
    if (this.engine !== engine) return;
    const wasRunning = this.phase === 'running';
    this.phase = 'elsewhere';
    if (wasRunning)
      engine.stop().catch((error: unknown) => handleError(error, { quiet: true, context: 'chat engine' }));
  }

  #onEvent(e: EngineEvent): void {
    if (e.t !== 'FileProgress') this.#deps.home.changed(e.t === 'MessageAdded');
    switch (e.t) {
      case 'ContactChanged':
        this.friends.applyChanged(e.contact);
        return;
      case 'ContactRemoved':
        this.friends.applyRemoved(e.contactId);
        return;
      case 'MessageAdded':
        this.chat.applyAdded(e.message);
        return;
      case 'MessageChanged':
        this.chat.applyChanged(e.message);
        return;
      case 'FileProgress':
        this.chat.applyProgress(e);
        return;
      case 'MailboxChanged':
        this.mailbox.changed();
        return;
      case 'PostChanged':
        this.feed.applyChanged(e.key, e.post);
        return;
      case 'ProfileChanged':
        this.feed.profileChanged(e.contactId);
        return;
      case 'AudiencesChanged':
        this.feed
          .loadAudiences()
          .catch((error: unknown) => handleError(error, { quiet: true, context: 'circles' }));
        return;
      case 'HandlesChanged':
        this.handles.changed();
        return;
      case 'ProtocolError':
        if (e.code.startsWith('E_ZK_')) this.handles.refused(e.code, e.message);
        handleError(Object.assign(new Error(e.message), { code: e.code }), {
          quiet: true,
          context: 'protocol',
        });
        return;
      default:
        throw missingCaseError(e);
    }
  }
}
