// Implements docs/protocol.md §4.3 (sealed sessions) and §4.5 (sending, outbox, links): the engine's
// shared context. All state changes run on one serial queue, so a session is never read and written by
// two tasks at once.
import { defaultRng, type Rng, type SymmetricKey } from '../crypto/primitives.js';
import { openState, sealState } from '../crypto/ratchet-state.js';
import { ratchetEncrypt, type RatchetState } from '../crypto/ratchet.js';
import { fromHex } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type {
  Contact,
  EngineEvent,
  EngineOptions,
  EngineStorage,
  EngineTransport,
  Id,
  OutboxItem,
  SecretBox,
} from './api.js';
import { encodeMsgBody, randomId } from './body.js';
import type { Keys } from './keys.js';
import type { FileAgent } from './files.js';
import type { MailAgent } from './mail.js';
import type { SocialAgent } from './social.js';
import type { HandleAgent } from './handles.js';
import { encodePayload, type Payload } from './payload.js';
import {
  DEFAULT_RETRY_MS,
  peerKey,
  RequestLimiter,
  RESEND_MIN_MS,
  Serial,
  type PeerRecord,
} from './state.js';

export type OutboxKind = NonNullable<OutboxItem['kind']>;

export interface SendOptions {
  /** Kept in the outbox (under `messageId`) until acknowledged, or until written for 'receipt'. */
  readonly kind?: OutboxKind;
  readonly messageId?: Id;
  /** Fire-and-forget payloads (delivered receipts) go on this link if it is open. */
  readonly link?: number;
  /** More writes for the same transaction. */
  readonly also?: () => Promise<void>;
  /** Leave the outbox item for the caller to flush (so it can emit events first). */
  readonly deferFlush?: boolean;
}

export class Core {
  readonly storage: EngineStorage;
  readonly transport: EngineTransport;
  readonly now: () => number;
  readonly rng: Rng;
  readonly readReceipts: () => boolean;
  readonly retryMs: number;
  readonly kem: boolean;
  readonly storageKeyHook: (() => Promise<SymmetricKey>) | undefined;
  readonly identityBox: SecretBox | undefined;
  readonly holdForFriends: (() => boolean) | undefined;
  /** Offline mail (§5), when the transport has a mailbox side; set by the engine. */
  mail: MailAgent | undefined;
  /** File transfers (§6), when the embedder supplies a FileStore; set by the engine. */
  files: FileAgent | undefined;
  /** Posts and profiles (§7), when the embedder supplies SocialStorage; set by the engine. */
  social: SocialAgent | undefined;
  /** Friends groups and anonymous actions (§8); set by the engine. */
  handles: HandleAgent | undefined;
  /** While a mailbox page is processed (§5.7): contacts whose outbox to flush once at the end. */
  deferredFlush: Set<Id> | undefined;
  readonly serial = new Serial();
  readonly limiter = new RequestLimiter();
  keys: Keys | undefined;
  /**
   * `epoch` names one opening of a link (from `linkEpochs`, never reused, even when a restarted gateway
   * reuses a link number): a body written before a re-open is written again.
   */
  readonly links = new Map<number, { open: boolean; onion?: string; epoch?: number; openedAt?: number }>();
  linkEpochs = 0;
  /** Where and when each outbox item was last written (in memory: after a restart all are resent). */
  private readonly written = new Map<Id, { link: number; epoch: number; at: number }>();
  /** Friends this engine has sent `resend` (§4.5): once each, on the first link to them after start. */
  readonly resendAsked = new Set<Id>();
  /** When each contact's last `resend` was honoured. */
  private readonly resendHonoured = new Map<Id, number>();
  readonly dialed = new Map<string, number>();
  readonly replyLinks = new Map<Id, number>();
  private readonly handlers = new Set<(e: EngineEvent) => void>();
  private readonly sessions = new Map<Id, RatchetState>();

  constructor(o: EngineOptions) {
    this.storage = o.storage;
    this.transport = o.transport;
    this.now = o.now ?? Date.now;
    this.rng = o.rng ?? defaultRng;
    this.readReceipts = o.readReceipts ?? (() => true);
    this.retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
    this.kem = o.kem ?? true;
    this.storageKeyHook = o.storageKey;
    this.identityBox = o.identityBox;
    this.holdForFriends = o.holdForFriends;
  }

  get k(): Keys {
    if (!this.keys) throw new ChattorError('E_STATE', 'engine not started');
    return this.keys;
  }

  subscribe(h: (e: EngineEvent) => void): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  emit(e: EngineEvent): void {
    for (const h of this.handlers) {
      try {
        h(e);
      } catch {
        // A UI handler's bug must not break the engine's queue.
      }
    }
  }

  protocolError(e: unknown, contactId?: Id): void {
    const code = e instanceof ChattorError ? e.code : 'E_INTERNAL';
    const message = e instanceof ChattorError ? e.message : 'internal error';
    this.emit({ t: 'ProtocolError', code, message, ...(contactId ? { contactId } : {}) });
  }

  async getPeer(contactId: Id): Promise<PeerRecord | undefined> {
    // `null` marks a forgotten contact (EngineStorage has no deleteMeta).
    return (await this.storage.getMeta<PeerRecord | null>(peerKey(contactId))) ?? undefined;
  }

  putPeer(p: PeerRecord): Promise<void> {
    return this.storage.putMeta(peerKey(p.contactId), p);
  }

  async loadSession(peer: PeerRecord): Promise<RatchetState> {
    const cached = this.sessions.get(peer.contactId);
    if (cached) return cached;
    const sealed = await this.storage.getSession(peer.contactId);
    if (!sealed || !peer.sessionId) throw new ChattorError('E_DECRYPT', 'message could not be decrypted');
    const state = await openState(this.k.storageKey, sealed, fromHex(peer.sessionId));
    this.sessions.set(peer.contactId, state);
    return state;
  }

  /** Seals `state` for storage; call `commitSession` once the transaction that stores it succeeded. */
  sealSession(peer: PeerRecord, state: RatchetState): Promise<Uint8Array> {
    if (!peer.sessionId) throw new ChattorError('E_STATE', 'no session');
    return sealState(this.k.storageKey, state, fromHex(peer.sessionId), this.rng);
  }

  commitSession(contactId: Id, state: RatchetState): void {
    this.sessions.set(contactId, state);
  }

  forgetSession(contactId: Id): void {
    this.sessions.delete(contactId);
  }

  /** On stop (and lock): drop the loaded keys and every cached ratchet state from memory. */
  forgetKeys(): void {
    this.keys = undefined;
    this.sessions.clear();
  }

  /**
   * Encrypts `payload` with `state` (default: the session's current state) without storing anything:
   * the caller stores the returned state (and commits it) before the body leaves (docs/protocol.md §4.3).
   */
  async encryptPayload(
    peer: PeerRecord,
    payload: Payload,
    state?: RatchetState,
  ): Promise<{ state: RatchetState; body: Uint8Array }> {
    const r = await ratchetEncrypt(state ?? (await this.loadSession(peer)), encodePayload(payload));
    return { state: r.state, body: encodeMsgBody(fromHex(peer.sessionId ?? ''), r.message) };
  }

  /** Encrypts once, stores state (+ outbox item) atomically, then sends or flushes. */
  async sendPayload(peer: PeerRecord, payload: Payload, opts: SendOptions = {}): Promise<void> {
    const { state, body } = await this.encryptPayload(peer, payload);
    const sealed = await this.sealSession(peer, state);
    await this.storage.transaction(async () => {
      await this.storage.putSession(peer.contactId, sealed);
      if (opts.kind) {
        const messageId = opts.messageId ?? randomId(this.rng);
        const item = { messageId, contactId: peer.contactId, body, createdAt: this.now(), attempts: 0 };
        await this.storage.putOutbox({ ...item, kind: opts.kind });
      }
      await opts.also?.();
    });
    this.commitSession(peer.contactId, state);
    if (opts.kind) return opts.deferFlush ? undefined : this.flush(peer.contactId);
    this.sendNow(peer, body, opts.link);
  }

  /**
   * Serial: a contact's `resend` (§4.5): its client (re)started, so what we wrote to it since it was gone
   * may have been dropped by its gateway; everything it has not acknowledged is written again now rather
   * than after RETRY. Honoured at most every RESEND_MIN_MS per contact.
   */
  async resendTo(contactId: Id): Promise<void> {
    const now = this.now();
    const last = this.resendHonoured.get(contactId);
    if (last !== undefined && now - last < RESEND_MIN_MS) return;
    this.resendHonoured.set(contactId, now);
    for (const item of await this.storage.listOutbox(contactId)) this.written.delete(item.messageId);
    await this.flush(contactId);
  }

  /** `sendPayload` to a contact by id; nothing if there is no session with it (any more). */
  async sendTo(contactId: Id, payload: Payload, opts: SendOptions = {}): Promise<void> {
    const peer = await this.getPeer(contactId);
    if (peer) await this.sendPayload(peer, payload, opts);
  }

  /** Writes a fire-and-forget body (a delivered receipt) on `link` if open, else on the contact's link. */
  sendNow(peer: PeerRecord, body: Uint8Array, preferred?: number): void {
    const link = preferred !== undefined && this.isOpen(preferred) ? preferred : this.linkFor(peer);
    if (link !== undefined) this.trySend(link, body);
  }

  isOpen(link: number): boolean {
    return this.links.get(link)?.open === true;
  }

  /** The contact's own (dialed) link if open, else the link its last valid body came on (§4.5). */
  linkFor(peer: { contactId: Id; onion: string }): number | undefined {
    const d = this.dialed.get(peer.onion);
    if (d !== undefined && this.isOpen(d)) return d;
    const r = this.replyLinks.get(peer.contactId);
    return r !== undefined && this.isOpen(r) ? r : undefined;
  }

  trySend(link: number, body: Uint8Array, stream = 0): boolean {
    try {
      this.transport.send(link, body, stream);
      return true;
    } catch {
      const l = this.links.get(link);
      if (l) l.open = false;
      return false;
    }
  }

  /**
   * `link` is no longer the dialed link of any onion but `keep` (none without it): it closed, or it is
   * now another link (§2.2). Returns the onions that lost it, to be dialed again.
   */
  releaseDialed(link: number, keep?: string): string[] {
    const lost: string[] = [];
    for (const [o, l] of this.dialed) {
      if (l !== link || o === keep) continue;
      this.dialed.delete(o);
      lost.push(o);
    }
    return lost;
  }

  async ensureDial(onion: string): Promise<void> {
    if (this.dialed.has(onion)) return;
    try {
      const link = await this.transport.dial(onion);
      // The gateway says this number is the link to `onion`: what the engine knew of the number may be
      // stale (another onion's, before the gateway restarted, §2.2); the next flush dials those again.
      this.releaseDialed(link, onion);
      this.dialed.set(onion, link);
      this.links.set(link, { open: false, ...this.links.get(link), onion });
    } catch {
      // Retried by the next flush (on the retry timer or when something else is sent).
    }
  }

  /**
   * Sends the contact's outbox in order on its link, or dials when there is no open link. `known` is
   * the contact's current record when the caller holds it (saves a read before the first write).
   * The bookkeeping after the writes (attempts, `sent` states) is stored in one transaction.
   */
  async flush(contactId: Id, known?: PeerRecord): Promise<void> {
    const peer = known ?? (await this.getPeer(contactId));
    if (!peer) return;
    const items = await this.storage.listOutbox(contactId);
    if (items.length === 0) return;
    const link = this.linkFor(peer);
    if (link === undefined) return this.ensureDial(peer.onion);
    const epoch = this.links.get(link)?.epoch ?? 0;
    const now = this.now();
    const written: OutboxItem[] = [];
    for (const item of items) {
      // A deposited item gives the recipient RETRY to fetch it from the mailbox once a link is open (§5.7).
      const since = Math.max(item.depositedAt ?? 0, this.links.get(link)?.openedAt ?? 0);
      if (item.depositedAt !== undefined && now - since < this.retryMs) continue;
      const w = this.written.get(item.messageId);
      // Resend only on a new (or re-opened) link, or after RETRY without a receipt (§4.5).
      if (w && w.link === link && w.epoch === epoch && now - w.at < this.retryMs) continue;
      if (!this.trySend(link, item.body)) break;
      this.written.set(item.messageId, { link, epoch, at: now });
      if (this.written.size > 100_000) this.written.clear();
      written.push(item);
    }
    if (written.length === 0) return;
    const sent: EngineEvent[] = [];
    await this.storage.transaction(async () => {
      for (const item of written) {
        if (item.kind === 'receipt') await this.storage.deleteOutbox(item.messageId);
        else await this.storage.putOutbox({ ...item, attempts: item.attempts + 1 });
        if (item.kind !== 'message') continue;
        const m = await this.storage.getMessage(item.messageId);
        if (m?.state !== 'queued') continue;
        const message = { ...m, state: 'sent' as const };
        await this.storage.putMessage(message);
        sent.push({ t: 'MessageChanged', message });
      }
    });
    for (const e of sent) this.emit(e);
  }

  /** Online = the contact's link is open (api.ts Contact.online). */
  async refreshOnline(contactId: Id): Promise<void> {
    const c = await this.storage.getContact(contactId);
    if (!c || c.state === 'blocked') return;
    const online = this.linkFor({ contactId, onion: c.contactOnion }) !== undefined;
    if (c.online !== online) await this.saveContact({ ...c, online });
  }

  async saveContact(c: Contact): Promise<void> {
    await this.storage.putContact(c);
    this.emit({ t: 'ContactChanged', contact: c });
  }
}
