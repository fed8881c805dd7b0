// The bot API (docs/architecture.md, "Headless nodes and bots"): a small, typed surface over a headless
// node (headless/node.ts) — friend requests, new friends, incoming messages, sending — for the bots
// shipped in headless/bots/ and for anyone's own. A bot is an ordinary node (docs/protocol.md §4): the
// protocol does not know it is one.
import type { ChatMessage, Contact, EngineEvent, FileInfo, Id } from '../shared/protocol/api.js';
import { ChattorError } from '../shared/util/errors.js';
import { missingCaseError } from '../shared/util/errors.js';
import { openHeadlessNode } from './node.js';
import type { HeadlessNode, HeadlessOptions } from './node.js';

export interface BotOptions {
  /** The display name of a new identity (an existing one keeps its own). */
  name: string;
  /** The data directory of the gateway this bot runs beside (its `token` and `gateway.json`). */
  dataDir: string;
  /** Where the engine's SQLite database lives (default `<dataDir>/headless.db`). */
  storagePath?: string;
  /** Where files live (default `<dataDir>/files`). */
  filesDir?: string;
  /** Mark a conversation read after `onMessage` handlers ran (sends read receipts). Default true. */
  markRead?: boolean;
  /**
   * Engine tuning: mail timing, hold-for-friends, outbox retry (HeadlessOptions.engineOptions). Bots take
   * no file unless asked: `autoAcceptBytes` defaults to 0 here (offers stay pending; see `node.engine`).
   */
  engineOptions?: HeadlessOptions['engineOptions'];
  /** Errors from handlers and from the node (a handler that throws does not stop the bot). */
  onError?: (e: unknown) => void;
}

export interface FriendRequest {
  contact: Contact;
  /** The note the requester wrote (≤ 280 characters, checked by the engine), '' when none. */
  note: string;
}

/** `ignore` (or nothing) leaves the request pending: it is offered again when the bot restarts. */
export type FriendRequestDecision = 'accept' | 'decline' | 'block' | 'ignore';

export interface IncomingMessage {
  contact: Contact;
  /** The message text; for a file offer, the file name (then `file` is set). */
  text: string;
  file?: FileInfo;
  /** true when it came from a friend's mailbox (docs/protocol.md §5.7) rather than directly. */
  viaMailbox: boolean;
  message: ChatMessage;
}

type Handler<A, R = void> = (arg: A) => R | Promise<R>;

export interface Bot {
  readonly name: string;
  /** The node underneath: the full engine API (files, mailboxes, social) for what this surface lacks. */
  readonly node: HeadlessNode;
  /**
   * Decides friend requests; the first handler that returns something other than `ignore` wins. Without
   * any handler requests stay pending. Each request is offered once per run, including those that
   * arrived while the bot was stopped (offered on `start`). Returns an unsubscribe function.
   */
  onFriendRequest(handler: Handler<FriendRequest, FriendRequestDecision | void>): () => void;
  /** A contact became a friend (they accepted our request, or we accepted theirs). */
  onFriend(handler: Handler<Contact>): () => void;
  /** A message from a friend, once, in the order the engine shows them. */
  onMessage(handler: Handler<IncomingMessage>): () => void;
  /** Runs once the engine has started (before any event is handled): for engine settings. */
  onStart(handler: Handler<void>): () => void;
  /** Starts the engine (listening, dialing friends, fetching mail); register handlers first. */
  start(): Promise<void>;
  /** Sends a text message to a friend (E_BAD_INPUT if `contactId` is not a friend or `text` is invalid). */
  send(contactId: Id, text: string): Promise<ChatMessage>;
  /** Sends a friend request to a contact link (`chattor:card/…`). */
  befriend(link: string, note?: string): Promise<Contact>;
  friends(): Promise<Contact[]>;
  /** This bot's contact link, once its gateway has published the contact onion. */
  contactLink(): Promise<string>;
  /** Stops the engine and closes the storage; pending handler calls finish first. */
  close(): Promise<void>;
}

/**
 * Opens a bot beside a running gateway (creating its identity on first use). Register handlers, then
 * `start()`. Handlers run one at a time, in event order.
 */
export async function createBot(opts: BotOptions): Promise<Bot> {
  if (typeof opts.name !== 'string' || opts.name.trim() === '' || opts.name.length > 64)
    throw new ChattorError('E_BAD_INPUT', 'name: 1..64 characters expected');
  const node = await openHeadlessNode({
    dataDir: opts.dataDir,
    displayName: opts.name,
    storagePath: opts.storagePath,
    filesDir: opts.filesDir,
    engineOptions: { autoAcceptBytes: () => 0, ...opts.engineOptions },
    onError: opts.onError,
  });
  return botOnNode(node, opts);
}

/** A bot over an opened, not yet started node (createBot; specs give it one on the memory network). */
export function botOnNode(node: HeadlessNode, opts: Omit<BotOptions, 'dataDir'>): Bot {
  return new HeadlessBot(node, opts);
}

class HeadlessBot implements Bot {
  readonly name: string;
  private readonly requestHandlers = new Set<Handler<FriendRequest, FriendRequestDecision | void>>();
  private readonly friendHandlers = new Set<Handler<Contact>>();
  private readonly messageHandlers = new Set<Handler<IncomingMessage>>();
  private readonly startHandlers = new Set<Handler<void>>();
  /** The last state seen per contact: onFriend fires on the change to `friend`, not on every update. */
  private readonly states = new Map<Id, Contact['state']>();
  /** Requests already offered to the handlers in this run. */
  private readonly offered = new Set<Id>();
  private queue: Promise<void> = Promise.resolve();
  private off: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly node: HeadlessNode,
    private readonly opts: Omit<BotOptions, 'dataDir'>,
  ) {
    this.name = opts.name;
  }

  onFriendRequest(handler: Handler<FriendRequest, FriendRequestDecision | void>): () => void {
    return this.add(this.requestHandlers, handler);
  }

  onFriend(handler: Handler<Contact>): () => void {
    return this.add(this.friendHandlers, handler);
  }

  onMessage(handler: Handler<IncomingMessage>): () => void {
    return this.add(this.messageHandlers, handler);
  }

  onStart(handler: Handler<void>): () => void {
    return this.add(this.startHandlers, handler);
  }

  private add<H>(set: Set<H>, handler: H): () => void {
    if (typeof handler !== 'function') throw new ChattorError('E_BAD_INPUT', 'handler: a function expected');
    set.add(handler);
    return () => set.delete(handler);
  }

  async start(): Promise<void> {
    if (this.closed) throw new ChattorError('E_STATE', 'the bot is closed');
    if (this.off) return;
    const contacts = await this.node.storage.listContacts();
    for (const c of contacts) this.states.set(c.id, c.state);
    // Events wait in the queue behind the start handlers.
    let started!: () => void;
    this.queue = new Promise<void>((r) => (started = r));
    this.off = this.node.engine.on((e) => this.enqueue(() => this.handle(e)));
    try {
      await this.node.start();
      for (const h of [...this.startHandlers]) await this.guard(() => h());
    } finally {
      started();
    }
    // Requests that came while the bot was stopped.
    for (const c of contacts)
      if (c.state === 'incoming-request') this.enqueue(() => this.decide(c.id, c.note ?? ''));
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => this.opts.onError?.(e));
  }

  private async handle(e: EngineEvent): Promise<void> {
    switch (e.t) {
      case 'ContactChanged': {
        const before = this.states.get(e.contact.id);
        this.states.set(e.contact.id, e.contact.state);
        if (e.contact.state === 'incoming-request') await this.decide(e.contact.id, e.contact.note ?? '');
        else if (e.contact.state === 'friend' && before !== 'friend')
          for (const h of [...this.friendHandlers]) await this.guard(() => h(e.contact));
        return;
      }
      case 'ContactRemoved':
        this.states.delete(e.contactId);
        this.offered.delete(e.contactId);
        return;
      case 'MessageAdded':
        if (e.message.direction === 'in') await this.deliver(e.message);
        return;
      case 'MessageChanged':
      case 'FileProgress':
      case 'PostChanged':
      case 'ProfileChanged':
      case 'AudiencesChanged':
      case 'MailboxChanged':
      case 'HandlesChanged':
      case 'ProtocolError':
        return;
      default:
        throw missingCaseError(e);
    }
  }

  private async decide(contactId: Id, note: string): Promise<void> {
    if (this.offered.has(contactId) || this.requestHandlers.size === 0 || this.closed) return;
    this.offered.add(contactId);
    const contact = await this.node.storage.getContact(contactId);
    if (contact?.state !== 'incoming-request') return;
    let decision: FriendRequestDecision = 'ignore';
    for (const h of [...this.requestHandlers]) {
      const d = await this.guard(() => h({ contact, note }));
      if (d && d !== 'ignore') {
        decision = d;
        break;
      }
    }
    switch (decision) {
      case 'accept':
        return this.node.engine.acceptFriendRequest(contactId);
      case 'decline':
        return this.node.engine.declineFriendRequest(contactId);
      case 'block':
        return this.node.engine.block(contactId);
      case 'ignore':
        return;
      default:
        throw new ChattorError('E_BAD_INPUT', `friend request decision: ${String(decision as unknown)}`);
    }
  }

  private async deliver(message: ChatMessage): Promise<void> {
    if (this.messageHandlers.size === 0 || this.closed) return;
    const contact = await this.node.storage.getContact(message.contactId);
    if (contact?.state !== 'friend') return;
    const m: IncomingMessage = {
      contact,
      text: message.body,
      ...(message.file ? { file: message.file } : {}),
      viaMailbox: message.via === 'mailbox',
      message,
    };
    for (const h of [...this.messageHandlers]) await this.guard(() => h(m));
    if (this.opts.markRead ?? true) await this.node.engine.markRead(message.contactId);
  }

  /** Runs a handler; what it throws goes to onError, and the bot goes on. */
  private async guard<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.opts.onError?.(e);
      return undefined;
    }
  }

  async send(contactId: Id, text: string): Promise<ChatMessage> {
    const c = typeof contactId === 'string' ? await this.node.storage.getContact(contactId) : undefined;
    if (c?.state !== 'friend') throw new ChattorError('E_BAD_INPUT', 'contactId: not a friend of this bot');
    return this.node.engine.sendMessage(contactId, text);
  }

  befriend(link: string, note = ''): Promise<Contact> {
    return this.node.engine.sendFriendRequest(link, note);
  }

  async friends(): Promise<Contact[]> {
    return (await this.node.storage.listContacts()).filter((c) => c.state === 'friend');
  }

  contactLink(): Promise<string> {
    return this.node.contactLink();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.off?.();
    await this.queue;
    await this.node.stop();
  }
}
