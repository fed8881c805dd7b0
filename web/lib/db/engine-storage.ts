// EngineStorage (shared/protocol/api.ts) on dexie: what the chat engine keeps in this browser.
//
// Transactions. An IndexedDB transaction commits by itself as soon as the event loop turns with no
// request pending, so a dexie transaction that awaits anything else — a WebCrypto call, a gateway
// round trip — is dead when the next write arrives ("TransactionInactiveError"). The engine encrypts
// and decrypts between its writes, so `transaction(fn)` does not open one around `fn`. Instead:
//   1. while `fn` runs, every write is buffered in memory (reads see the buffered writes);
//   2. if `fn` throws, the buffer is dropped — nothing was written;
//   3. if it resolves, the buffer is written in one dexie 'rw' transaction over all engine tables,
//      which contains only IndexedDB requests and so commits all-or-nothing.
// Caveat, because the contract passes no transaction handle: writes made by *any* caller while a
// batch is open join that batch (and a nested or concurrent `transaction` call joins it too). The
// engine is expected to run its state changes one at a time; see the report on api.ts.
//
// Ordering. Writes outside a transaction and batch commits go through one queue, and reads wait for
// it, so a read never sees an older value than a write that finished before it began.
import { Dexie } from 'dexie';
import type {
  ChatMessage,
  Contact,
  EngineStorage,
  FeedPost,
  Id,
  OutboxItem,
  SocialLogEntry,
  SocialStorage,
} from '../../../shared/protocol/api';
import { feedOrder } from '../../../shared/protocol/memory-storage';
import { ENGINE_TABLES, type ChattorDb, type EngineTableName, type MetaRow, type SeenRow } from './db';

const DELETED = Symbol('deleted');
type Slot = unknown;
type Batch = Map<EngineTableName, Map<string, Slot>>;

/** Expired replay-memory rows are pruned every this many `addSeen` calls. */
const PRUNE_EVERY = 256;

function byDisplayOrder(a: ChatMessage, b: ChatMessage): number {
  return a.sentAt - b.sentAt || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A copy of exactly the viewed bytes (a subarray would otherwise store its whole buffer). */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.slice();
}

export interface DexieEngineStorageOptions {
  now?: () => number;
}

export class DexieEngineStorage implements EngineStorage, SocialStorage {
  readonly #db: ChattorDb;
  readonly #now: () => number;
  #batch: Batch | null = null;
  /** Rows read while a batch is open (a mailbox page reads the same records for every message). */
  #reads: Map<string, unknown> | null = null;
  #tail: Promise<void> = Promise.resolve();
  #seenWrites = 0;

  constructor(db: ChattorDb, options: DexieEngineStorageOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  // ── meta ──────────────────────────────────────────────────────────────────────────────────────

  async getMeta<T>(key: string): Promise<T | undefined> {
    const row = await this.#get<MetaRow>('meta', key, () => this.#db.meta.get(key));
    return row?.value as T | undefined;
  }

  putMeta<T>(key: string, value: T): Promise<void> {
    return this.#put('meta', key, { key, value } satisfies MetaRow);
  }

  // ── contacts ──────────────────────────────────────────────────────────────────────────────────

  getContact(id: Id): Promise<Contact | undefined> {
    return this.#get<Contact>('contacts', id, () => this.#db.contacts.get(id));
  }

  putContact(c: Contact): Promise<void> {
    return this.#put('contacts', c.id, c);
  }

  deleteContact(id: Id): Promise<void> {
    return this.#delete('contacts', id);
  }

  async listContacts(): Promise<Contact[]> {
    const rows = await this.#read(() => this.#db.contacts.toArray());
    return this.#merge<Contact>('contacts', rows, (c) => c.id);
  }

  // ── sessions ──────────────────────────────────────────────────────────────────────────────────

  async getSession(contactId: Id): Promise<Uint8Array | undefined> {
    const row = await this.#get<{ sealed: Uint8Array }>('sessions', contactId, () =>
      this.#db.sessions.get(contactId),
    );
    return row?.sealed;
  }

  putSession(contactId: Id, sealed: Uint8Array): Promise<void> {
    return this.#put('sessions', contactId, { contactId, sealed: ownBytes(sealed) });
  }

  deleteSession(contactId: Id): Promise<void> {
    return this.#delete('sessions', contactId);
  }

  // ── messages ──────────────────────────────────────────────────────────────────────────────────

  getMessage(id: Id): Promise<ChatMessage | undefined> {
    return this.#get<ChatMessage>('messages', id, () => this.#db.messages.get(id));
  }

  putMessage(m: ChatMessage): Promise<void> {
    return this.#put('messages', m.id, m);
  }

  async listMessages(
    contactId: Id,
    opts: { limit?: number; beforeSentAt?: number } = {},
  ): Promise<ChatMessage[]> {
    const { limit, beforeSentAt } = opts;
    const lower = [contactId, Dexie.minKey, Dexie.minKey];
    const upper =
      beforeSentAt === undefined ? [contactId, Infinity, Infinity] : [contactId, beforeSentAt, Dexie.minKey];
    const rows = await this.#read(() => {
      let query = this.#db.messages
        .where('[contactId+sentAt+seq]')
        .between(lower, upper, true, beforeSentAt === undefined)
        .reverse();
      if (limit !== undefined) query = query.limit(limit);
      return query.toArray();
    });
    const inWindow = (m: ChatMessage) =>
      m.contactId === contactId && (beforeSentAt === undefined || m.sentAt < beforeSentAt);
    const merged = this.#merge<ChatMessage>('messages', rows, (m) => m.id, inWindow).sort(byDisplayOrder);
    return limit === undefined ? merged : merged.slice(Math.max(0, merged.length - limit));
  }

  // ── outbox ────────────────────────────────────────────────────────────────────────────────────

  putOutbox(item: OutboxItem): Promise<void> {
    return this.#put('outbox', item.messageId, { ...item, body: ownBytes(item.body) });
  }

  deleteOutbox(messageId: Id): Promise<void> {
    return this.#delete('outbox', messageId);
  }

  async listOutbox(contactId?: Id): Promise<OutboxItem[]> {
    const rows = await this.#read(() =>
      contactId === undefined
        ? this.#db.outbox.toArray()
        : this.#db.outbox.where('contactId').equals(contactId).toArray(),
    );
    const match = (o: OutboxItem) => contactId === undefined || o.contactId === contactId;
    return this.#merge<OutboxItem>('outbox', rows, (o) => o.messageId, match).sort(
      (a, b) => a.createdAt - b.createdAt,
    );
  }

  // ── replay memory ─────────────────────────────────────────────────────────────────────────────

  async hasSeen(key: string): Promise<boolean> {
    return (await this.getSeen(key)) !== undefined;
  }

  async getSeen(key: string): Promise<string | undefined> {
    const row = await this.#get<SeenRow>('seen', key, () => this.#db.seen.get(key));
    return row !== undefined && row.expiresAt > this.#now() ? (row.value ?? '') : undefined;
  }

  async addSeen(key: string, expiresAt: number, value = ''): Promise<void> {
    await this.#put('seen', key, { key, expiresAt, value } satisfies SeenRow);
    if (++this.#seenWrites % PRUNE_EVERY === 0) {
      const now = this.#now();
      await this.#enqueue(() => this.#db.seen.where('expiresAt').below(now).delete());
    }
  }

  // ── posts and the own log (docs/protocol.md §7) ──────────────────────────────────────────────────

  getPost(key: string): Promise<FeedPost | undefined> {
    return this.#get<FeedPost>('posts', key, () => this.#db.posts.get(key));
  }

  putPost(p: FeedPost): Promise<void> {
    return this.#put('posts', p.key, p);
  }

  deletePost(key: string): Promise<void> {
    return this.#delete('posts', key);
  }

  async listPosts(opts: {
    limit: number;
    before?: { at: number; key: string };
    authorId?: Id;
  }): Promise<FeedPost[]> {
    const { limit, before, authorId } = opts;
    const rows = await this.#read(() => {
      const posts = this.#db.posts;
      const query =
        authorId === undefined
          ? before === undefined
            ? posts.orderBy('[at+key]')
            : posts.where('[at+key]').below([before.at, before.key])
          : posts
              .where('[authorId+at+key]')
              .between(
                [authorId, -Infinity, ''],
                before === undefined ? [authorId, Infinity, '\uffff'] : [authorId, before.at, before.key],
                true,
                false,
              );
      return query
        .reverse()
        .filter((p) => !p.placeholder)
        .limit(limit)
        .toArray();
    });
    const match = (p: FeedPost) =>
      !p.placeholder &&
      (authorId === undefined || p.authorId === authorId) &&
      (before === undefined || feedOrder(before, p) < 0);
    return this.#merge<FeedPost>('posts', rows, (p) => p.key, match)
      .filter(match)
      .sort(feedOrder)
      .slice(0, limit);
  }

  getLog(seq: number): Promise<SocialLogEntry | undefined> {
    return this.#get<SocialLogEntry>('socialLog', String(seq), () => this.#db.socialLog.get(seq));
  }

  putLog(e: SocialLogEntry): Promise<void> {
    return this.#put('socialLog', String(e.seq), e.item ? { ...e, item: ownBytes(e.item) } : e);
  }

  async listLog(after: number, limit: number): Promise<SocialLogEntry[]> {
    const rows = await this.#read(() => this.#db.socialLog.where('seq').above(after).limit(limit).toArray());
    return this.#merge<SocialLogEntry>(
      'socialLog',
      rows,
      (e) => String(e.seq),
      (e) => e.seq > after,
    )
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  // ── transactions ──────────────────────────────────────────────────────────────────────────────

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#batch) return fn(); // nested (or concurrent): joins the open batch
    const batch: Batch = new Map();
    this.#batch = batch;
    this.#reads = new Map();
    let result: T;
    try {
      result = await fn();
    } finally {
      this.#batch = null;
      this.#reads = null;
    }
    await this.#enqueue(() => this.#commit(batch));
    return result;
  }

  async #commit(batch: Batch): Promise<void> {
    const tables = ENGINE_TABLES.map((name) => this.#db.table(name));
    await this.#db.transaction('rw', tables, async () => {
      for (const [name, slots] of batch) {
        const table = this.#db.table(name);
        const puts: unknown[] = [];
        const deletes: string[] = [];
        for (const [key, slot] of slots) {
          if (slot === DELETED) deletes.push(key);
          else puts.push(slot);
        }
        if (puts.length > 0) await table.bulkPut(puts);
        if (deletes.length > 0) await table.bulkDelete(deletes);
      }
    });
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(op);
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Waits for queued writes, then reads. */
  async #read<T>(op: () => Promise<T>): Promise<T> {
    await this.#tail;
    return op();
  }

  async #get<T>(table: EngineTableName, key: string, read: () => Promise<unknown>): Promise<T | undefined> {
    const slots = this.#batch?.get(table);
    if (slots?.has(key)) {
      const slot = slots.get(key);
      return slot === DELETED ? undefined : (structuredClone(slot) as T);
    }
    // Inside a batch the engine is the only writer, and its writes land in the batch (checked above):
    // a row read once stays valid until the batch ends.
    const reads = this.#reads;
    const cacheKey = `${table}\u0000${key}`;
    if (reads?.has(cacheKey)) return structuredClone(reads.get(cacheKey)) as T | undefined;
    const row = (await this.#read(read)) as T | undefined;
    if (reads && this.#reads === reads) reads.set(cacheKey, structuredClone(row));
    return row;
  }

  async #put(table: EngineTableName, key: string, row: object): Promise<void> {
    if (this.#batch) {
      this.#slots(this.#batch, table).set(key, structuredClone(row));
      return;
    }
    await this.#enqueue(() => this.#db.table(table).put(row));
  }

  async #delete(table: EngineTableName, key: string): Promise<void> {
    if (this.#batch) {
      this.#slots(this.#batch, table).set(key, DELETED);
      return;
    }
    await this.#enqueue(() => this.#db.table(table).delete(key));
  }

  #slots(batch: Batch, table: EngineTableName): Map<string, Slot> {
    let slots = batch.get(table);
    if (!slots) batch.set(table, (slots = new Map()));
    return slots;
  }

  /** Rows read from the database with the open batch's writes applied. */
  #merge<T>(table: EngineTableName, rows: T[], keyOf: (row: T) => string, match?: (row: T) => boolean): T[] {
    const slots = this.#batch?.get(table);
    if (!slots || slots.size === 0) return rows;
    const byKey = new Map(rows.map((r) => [keyOf(r), r]));
    for (const [key, slot] of slots) {
      if (slot === DELETED) byKey.delete(key);
      else if (!match || match(slot as T)) byKey.set(key, structuredClone(slot) as T);
    }
    return [...byKey.values()];
  }
}
