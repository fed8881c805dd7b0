// Implements the EngineStorage contract of docs/protocol.md §4 (api.ts) in memory: for tests and
// benchmarks. Values are copied in and out (structuredClone), so callers never share objects with it.
// Transactions run one at a time and roll back every write made inside them if `fn` throws.
import type {
  ChatMessage,
  Contact,
  EngineStorage,
  FeedPost,
  Id,
  OutboxItem,
  SocialLogEntry,
  SocialStorage,
} from './api.js';

type Undo = () => void;

/** Newest first, then by key: the feed's order (api.ts SocialStorage.listPosts). */
export function feedOrder(a: { at: number; key: string }, b: { at: number; key: string }): number {
  return b.at - a.at || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
}

export class MemoryStorage implements EngineStorage, SocialStorage {
  readonly meta = new Map<string, unknown>();
  readonly contacts = new Map<Id, Contact>();
  readonly sessions = new Map<Id, Uint8Array>();
  readonly messages = new Map<Id, ChatMessage>();
  readonly outbox = new Map<Id, OutboxItem>();
  readonly seen = new Map<string, { expiresAt: number; value: string }>();
  readonly posts = new Map<string, FeedPost>();
  readonly log = new Map<number, SocialLogEntry>();
  /** Test hook: makes the next transaction throw after `fn` ran (to prove roll-back). */
  failNextTransaction = false;
  private undo: Undo[] | null = null;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly now: () => number = Date.now) {}

  private write<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    if (this.undo) {
      const had = map.has(key);
      const old = map.get(key);
      this.undo.push(() => (had ? map.set(key, old as V) : map.delete(key)));
    }
    if (value === undefined) map.delete(key);
    else map.set(key, structuredClone(value));
  }

  private read<V>(v: V | undefined): V | undefined {
    return v === undefined ? undefined : structuredClone(v);
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.read(this.meta.get(key) as T | undefined);
  }
  async putMeta<T>(key: string, value: T): Promise<void> {
    this.write(this.meta, key, value as unknown);
  }
  async getContact(id: Id): Promise<Contact | undefined> {
    return this.read(this.contacts.get(id));
  }
  async putContact(c: Contact): Promise<void> {
    this.write(this.contacts, c.id, c);
  }
  async deleteContact(id: Id): Promise<void> {
    this.write(this.contacts, id, undefined);
  }
  async listContacts(): Promise<Contact[]> {
    return [...this.contacts.values()].map((c) => structuredClone(c));
  }
  async getSession(contactId: Id): Promise<Uint8Array | undefined> {
    return this.read(this.sessions.get(contactId));
  }
  async putSession(contactId: Id, sealed: Uint8Array): Promise<void> {
    this.write(this.sessions, contactId, sealed);
  }
  async deleteSession(contactId: Id): Promise<void> {
    this.write(this.sessions, contactId, undefined);
  }
  async getMessage(id: Id): Promise<ChatMessage | undefined> {
    return this.read(this.messages.get(id));
  }
  async putMessage(m: ChatMessage): Promise<void> {
    this.write(this.messages, m.id, m);
  }
  async listMessages(
    contactId: Id,
    opts: { limit?: number; beforeSentAt?: number } = {},
  ): Promise<ChatMessage[]> {
    const all = [...this.messages.values()]
      .filter((m) => m.contactId === contactId)
      .filter((m) => opts.beforeSentAt === undefined || m.sentAt < opts.beforeSentAt)
      .sort((a, b) => a.sentAt - b.sentAt || a.seq - b.seq);
    const picked = opts.limit === undefined ? all : all.slice(Math.max(0, all.length - opts.limit));
    return picked.map((m) => structuredClone(m));
  }
  /** Keeps first-insertion order: a re-put item stays where it was (send order). */
  async putOutbox(item: OutboxItem): Promise<void> {
    this.write(this.outbox, item.messageId, item);
  }
  async deleteOutbox(messageId: Id): Promise<void> {
    this.write(this.outbox, messageId, undefined);
  }
  async listOutbox(contactId?: Id): Promise<OutboxItem[]> {
    return [...this.outbox.values()]
      .filter((i) => contactId === undefined || i.contactId === contactId)
      .map((i) => structuredClone(i));
  }
  async hasSeen(key: string): Promise<boolean> {
    return (await this.getSeen(key)) !== undefined;
  }
  async addSeen(key: string, expiresAt: number, value = ''): Promise<void> {
    this.write(this.seen, key, { expiresAt, value });
  }
  async getSeen(key: string): Promise<string | undefined> {
    const e = this.seen.get(key);
    return e && e.expiresAt > this.now() ? e.value : undefined;
  }

  async getPost(key: string): Promise<FeedPost | undefined> {
    return this.read(this.posts.get(key));
  }
  async putPost(p: FeedPost): Promise<void> {
    this.write(this.posts, p.key, p);
  }
  async deletePost(key: string): Promise<void> {
    this.write(this.posts, key, undefined);
  }
  async listPosts(opts: {
    limit: number;
    before?: { at: number; key: string };
    authorId?: Id;
  }): Promise<FeedPost[]> {
    const { before, authorId } = opts;
    return [...this.posts.values()]
      .filter((p) => !p.placeholder && (authorId === undefined || p.authorId === authorId))
      .filter((p) => before === undefined || feedOrder(before, p) < 0)
      .sort(feedOrder)
      .slice(0, opts.limit)
      .map((p) => structuredClone(p));
  }
  async getLog(seq: number): Promise<SocialLogEntry | undefined> {
    return this.read(this.log.get(seq));
  }
  async putLog(e: SocialLogEntry): Promise<void> {
    this.write(this.log, e.seq, e);
  }
  async listLog(after: number, limit: number): Promise<SocialLogEntry[]> {
    return [...this.log.values()]
      .filter((e) => e.seq > after)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.undo) return fn(); // nested: part of the outer one (api.ts)
    const run = async (): Promise<T> => {
      this.undo = [];
      try {
        const out = await fn();
        if (this.failNextTransaction) {
          this.failNextTransaction = false;
          throw new Error('MemoryStorage: injected transaction failure');
        }
        return out;
      } catch (e) {
        for (const u of this.undo.reverse()) u();
        throw e;
      } finally {
        this.undo = null;
      }
    };
    const next = this.lock.then(run, run);
    this.lock = next.catch(() => undefined);
    return next;
  }
}
