// EngineStorage (shared/protocol/api.ts) on SQLite for headless nodes: bots, mass relays, demo peers.
// The file is created 0600 in a 0700 directory; it holds identity secrets like the browser's IndexedDB.
import Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChatMessage, Contact, EngineStorage, Id, OutboxItem } from '../shared/protocol/api.js';

/** JSON that keeps Uint8Array values (tagged as {"$b": base64}). */
export function encodeValue(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Uint8Array ? { $b: Buffer.from(x).toString('base64') } : x,
  );
}

export function decodeValue<T>(s: string): T {
  return JSON.parse(s, (_k, x: unknown) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      if (typeof o.$b === 'string' && Object.keys(o).length === 1)
        return new Uint8Array(Buffer.from(o.$b, 'base64'));
    }
    return x;
  }) as T;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (id TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (contact_id TEXT PRIMARY KEY, sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, contact_id TEXT NOT NULL, sent_at INTEGER NOT NULL,
  seq INTEGER NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_contact ON messages (contact_id, sent_at, seq);
CREATE TABLE IF NOT EXISTS outbox (n INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT UNIQUE NOT NULL,
  contact_id TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, value TEXT);
`;

export class SqliteStorage implements EngineStorage {
  private readonly db: Database.Database;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly inTransaction = new AsyncLocalStorage<true>();

  constructor(
    path: string,
    private readonly now: () => number = Date.now,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    if (path !== ':memory:') chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row ? decodeValue<T>(row.value) : undefined;
  }
  async putMeta<T>(key: string, value: T): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, encodeValue(value));
  }
  async getContact(id: Id): Promise<Contact | undefined> {
    const row = this.db.prepare('SELECT value FROM contacts WHERE id = ?').get(id) as
      { value: string } | undefined;
    return row ? decodeValue<Contact>(row.value) : undefined;
  }
  async putContact(c: Contact): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO contacts (id, value) VALUES (?, ?)').run(c.id, encodeValue(c));
  }
  async deleteContact(id: Id): Promise<void> {
    this.db.prepare('DELETE FROM contacts WHERE id = ?').run(id);
  }
  async listContacts(): Promise<Contact[]> {
    const rows = this.db.prepare('SELECT value FROM contacts ORDER BY id').all() as { value: string }[];
    return rows.map((r) => decodeValue<Contact>(r.value));
  }
  async getSession(contactId: Id): Promise<Uint8Array | undefined> {
    const row = this.db.prepare('SELECT sealed FROM sessions WHERE contact_id = ?').get(contactId) as
      { sealed: Buffer } | undefined;
    return row ? new Uint8Array(row.sealed) : undefined;
  }
  async putSession(contactId: Id, sealed: Uint8Array): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO sessions (contact_id, sealed) VALUES (?, ?)')
      .run(contactId, Buffer.from(sealed));
  }
  async deleteSession(contactId: Id): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE contact_id = ?').run(contactId);
  }
  async getMessage(id: Id): Promise<ChatMessage | undefined> {
    const row = this.db.prepare('SELECT value FROM messages WHERE id = ?').get(id) as
      { value: string } | undefined;
    return row ? decodeValue<ChatMessage>(row.value) : undefined;
  }
  async putMessage(m: ChatMessage): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO messages (id, contact_id, sent_at, seq, value) VALUES (?, ?, ?, ?, ?)')
      .run(m.id, m.contactId, m.sentAt, m.seq, encodeValue(m));
  }
  async listMessages(
    contactId: Id,
    opts: { limit?: number; beforeSentAt?: number } = {},
  ): Promise<ChatMessage[]> {
    const rows = this.db
      .prepare(
        'SELECT value FROM messages WHERE contact_id = ? AND sent_at < ? ORDER BY sent_at DESC, seq DESC LIMIT ?',
      )
      .all(contactId, opts.beforeSentAt ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 1_000_000) as {
      value: string;
    }[];
    return rows.map((r) => decodeValue<ChatMessage>(r.value)).reverse();
  }
  async putOutbox(item: OutboxItem): Promise<void> {
    const existing = this.db.prepare('SELECT n FROM outbox WHERE message_id = ?').get(item.messageId);
    if (existing)
      this.db
        .prepare('UPDATE outbox SET value = ? WHERE message_id = ?')
        .run(encodeValue(item), item.messageId);
    else
      this.db
        .prepare('INSERT INTO outbox (message_id, contact_id, value) VALUES (?, ?, ?)')
        .run(item.messageId, item.contactId, encodeValue(item));
  }
  async deleteOutbox(messageId: Id): Promise<void> {
    this.db.prepare('DELETE FROM outbox WHERE message_id = ?').run(messageId);
  }
  async listOutbox(contactId?: Id): Promise<OutboxItem[]> {
    const rows = (
      contactId === undefined
        ? this.db.prepare('SELECT value FROM outbox ORDER BY n').all()
        : this.db.prepare('SELECT value FROM outbox WHERE contact_id = ? ORDER BY n').all(contactId)
    ) as { value: string }[];
    return rows.map((r) => decodeValue<OutboxItem>(r.value));
  }
  async hasSeen(key: string): Promise<boolean> {
    const row = this.db.prepare('SELECT expires_at FROM seen WHERE key = ?').get(key) as
      { expires_at: number } | undefined;
    return row !== undefined && row.expires_at > this.now();
  }
  async getSeen(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT expires_at, value FROM seen WHERE key = ?').get(key) as
      { expires_at: number; value: string | null } | undefined;
    return row && row.expires_at > this.now() ? (row.value ?? '') : undefined;
  }
  async addSeen(key: string, expiresAt: number, value?: string): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO seen (key, expires_at, value) VALUES (?, ?, ?)')
      .run(key, expiresAt, value ?? null);
    this.db.prepare('DELETE FROM seen WHERE expires_at <= ?').run(this.now());
  }

  /**
   * All-or-nothing around the engine's storage writes. Calls are serialized, so two transactions never
   * interleave; better-sqlite3 is synchronous, so a storage call made by something else while one is open
   * joins it (the engine runs alone in its process, which keeps that theoretical).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) return fn(); // nested: part of the outer one
    const run = () =>
      this.inTransaction.run(true, async () => {
        this.db.exec('BEGIN IMMEDIATE');
        try {
          const r = await fn();
          this.db.exec('COMMIT');
          return r;
        } catch (e) {
          this.db.exec('ROLLBACK');
          throw e;
        }
      });
    const next = this.lock.then(run, run);
    this.lock = next.catch(() => undefined);
    return next;
  }
}
