// The browser's database (dexie over IndexedDB). Later features add their tables through migrations.
import { Dexie, type DexieOptions, type Table } from 'dexie';
import type {
  ChatMessage,
  Contact,
  FeedPost,
  Id,
  OutboxItem,
  SocialLogEntry,
} from '../../../shared/protocol/api';
import type { VaultRow } from '../keys/vault-seal';
import { migrations } from './migrations';

export const DB_NAME = 'chattor';

/** Settings that live in the database, by key, with their value types. */
export interface SettingsMap {
  /** The per-install token the gateway printed in its pairing link (docs/protocol.md §2.1). */
  pairingToken: string;
  /** Send read receipts to friends (EngineOptions.readReceipts). Absent means on. */
  readReceipts: boolean;
  /** Hold sealed mail for friends who ask (EngineOptions.holdForFriends, §5.2). Absent means on. */
  holdForFriends: boolean;
  /** Accept file offers up to this many bytes without asking (EngineOptions.autoAcceptBytes, §6.4). */
  autoAcceptBytes: number;
  /** The post-onboarding "run a Tor relay?" card (§2.6): set to pending when an identity is created. */
  relayPrompt: 'pending' | 'dismissed';
  /** The home vault this browser writes (docs/protocol.md §2.4); its key sealed by the key vault. */
  homeVault: HomeVaultSetting;
}

export interface HomeVaultSetting {
  /** vaultSeal(VK, "home-vault-key", blobKey). */
  sealedKey: Uint8Array;
  /** The §3.6 lock file of the blob key (not secret: it opens only with the passphrase). */
  lock: string;
  /** The vault generation this browser last wrote or read. */
  generation: number;
}
export type SettingKey = keyof SettingsMap;

export interface SettingRow<K extends SettingKey = SettingKey> {
  key: K;
  value: SettingsMap[K];
}

/** Rows of the engine tables (migration 0002). Binary values are stored as Uint8Array. */
export interface MetaRow {
  key: string;
  value: unknown;
}
export interface SessionRow {
  contactId: Id;
  sealed: Uint8Array;
}
export interface SeenRow {
  key: string;
  expiresAt: number;
  /** What the engine needs to answer a duplicate (e.g. the id to acknowledge again). */
  value?: string;
}

/** A file we offer, kept until the engine forgets it (migration 0004, docs/protocol.md §6). */
export interface KeptFileRow {
  fileId: Id;
  blob: Blob;
}
/**
 * Received bytes at `offset` of a partial file, where there is no Origin Private File System
 * (migration 0004). `data` is a Blob where the browser can store one, else the bytes themselves.
 */
export interface FileChunkRow {
  fileId: Id;
  offset: number;
  data: Blob | Uint8Array<ArrayBuffer>;
}

export class ChattorDb extends Dexie {
  // `declare`, not a field: a class field would overwrite the table Dexie assigns in its constructor.
  declare settings: Table<SettingRow, SettingKey>;
  declare meta: Table<MetaRow, string>;
  declare contacts: Table<Contact, Id>;
  declare sessions: Table<SessionRow, Id>;
  declare messages: Table<ChatMessage, Id>;
  declare outbox: Table<OutboxItem, Id>;
  declare seen: Table<SeenRow, string>;
  /** The key vault (migration 0003, docs/protocol.md §4.3). */
  declare vault: Table<VaultRow, 'vault'>;
  /** File transfers (migration 0004, docs/protocol.md §6). */
  declare files: Table<KeptFileRow, Id>;
  declare fileChunks: Table<FileChunkRow, [Id, number]>;
  /** Posts and our own log (migration 0005, docs/protocol.md §7). */
  declare posts: Table<FeedPost, string>;
  declare socialLog: Table<SocialLogEntry, number>;

  constructor(name: string = DB_NAME, options?: DexieOptions) {
    super(name, options);
    let last = 0;
    for (const m of migrations) {
      if (m.version <= last) throw new Error(`migration ${m.version} is out of order`);
      last = m.version;
      const version = this.version(m.version).stores(m.stores);
      if (m.upgrade) version.upgrade(m.upgrade);
    }
  }

  async getSetting<K extends SettingKey>(key: K): Promise<SettingsMap[K] | undefined> {
    const row = (await this.settings.get(key)) as SettingRow<K> | undefined;
    return row?.value;
  }

  async setSetting<K extends SettingKey>(key: K, value: SettingsMap[K]): Promise<void> {
    await this.settings.put({ key, value });
  }

  async deleteSetting(key: SettingKey): Promise<void> {
    await this.settings.delete(key);
  }
}

/** The latest schema version, for specs and diagnostics. */
export const DB_VERSION = migrations[migrations.length - 1]?.version ?? 0;

let shared: ChattorDb | null = null;
let sharedOptions: DexieOptions | undefined;
/** The app's one database connection, opened on first use. */
export function getDb(): ChattorDb {
  shared ??= new ChattorDb(DB_NAME, sharedOptions);
  return shared;
}

/**
 * A stateless session (Tor Browser on the home onion, docs/protocol.md §2.4) keeps everything in memory:
 * `options` name an in-memory IndexedDB. Must run before the first getDb().
 */
export function useDatabaseBackend(options: DexieOptions): void {
  if (shared) throw new Error('the database is already open');
  sharedOptions = options;
}

/** The tables the engine owns, in the order a transaction names them. */
export const ENGINE_TABLES = [
  'meta',
  'contacts',
  'sessions',
  'messages',
  'outbox',
  'seen',
  'posts',
  'socialLog',
] as const;
export type EngineTableName = (typeof ENGINE_TABLES)[number];

/**
 * Closes the shared connection and deletes the whole database (Settings › Wipe this device): keys, the
 * vault's device key with them, contacts, messages, the pairing token.
 */
export async function deleteDatabase(): Promise<void> {
  const db = getDb();
  db.close();
  shared = null;
  await Dexie.delete(db.name);
}
