// Implements docs/protocol.md §5.2 and §5.7: asking friends to hold mail, minting deposit tokens and
// telling friends where to leave mail, depositing what waits too long, and fetching what others left.
// Network work (isolated links to holders, seconds over Tor) runs outside the engine's serial queue;
// every storage change runs on it.
import { MAX_ENVELOPE_BODY, openEnvelope, sealEnvelope } from '../crypto/envelope.js';
import { sha256 } from '../crypto/primitives.js';
import { epochOf, EPOCH_MS, fetchKey, mailboxId, envelopeHash } from '../mailbox/ids.js';
import { blindTokens, finalizeTokens } from '../mailbox/tokens.js';
import { fromBase64Url, toBase64Url, toHex } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import {
  decodeDeleted,
  decodeEnvelopes,
  decodeIssued,
  decodeMbxError,
  encodeDelete,
  encodeDeposit,
  encodeFetch,
  encodeIssue,
  FETCH_MAX_KEYS,
  ISSUE_MAX,
  mbxErrorName,
  MbxErrorCode,
} from '../wire/mailbox.js';
import { FrameKind } from '../wire/frame.js';
import type { ChatMessage, Contact, Id, MailboxStatus, OutboxItem } from './api.js';
import { randomId } from './body.js';
import type { Core } from './core.js';
import {
  AUTO_HOLDERS,
  currentMailKey,
  DEFAULT_DEPOSIT_AFTER_MS,
  DEFAULT_FETCH_EVERY_MS,
  DEFAULT_MAIL_TTL_MS,
  getGiven,
  getHolders,
  getHosting,
  getMailTo,
  isAuto,
  K_DEPOSIT,
  MAX_HOLDERS,
  openMailKeys,
  putGiven,
  putHolders,
  putHosting,
  putMailTo,
  REFUSED_MEMORY_MS,
  rotateMailKey,
  setAuto,
  TOKENS_LOW,
  TOKENS_PER_MAILTO,
  type HolderRecord,
} from './mail-state.js';
import type { MailtoHolder, Payload } from './payload.js';
import type { PeerRecord } from './state.js';

/** Processes one DATA body that came out of an envelope (the engine's handleBody, mailbox origin). */
export type MailBodyHandler = (body: Uint8Array) => Promise<void>;

const FETCH_PAGE = 500;
const FETCH_RETRY_MS = 30_000;
const MAX_FETCH_PAGES = 1000;

/** A reply of the expected kind, or a ChattorError for MBX_ERROR and anything else. */
function expectReply(r: { kind: number; body: Uint8Array }, kind: number): Uint8Array {
  if (r.kind === kind) return r.body;
  if (r.kind === FrameKind.MBX_ERROR) {
    const e = decodeMbxError(r.body);
    const name = mbxErrorName(e.code) ?? `code ${e.code}`;
    const code =
      e.code === MbxErrorCode.QUOTA || e.code === MbxErrorCode.RATE_LIMITED ? 'E_RATE_LIMITED' : 'E_MAILBOX';
    throw new ChattorError(code, `mailbox ${name}: ${e.reason}`);
  }
  throw new ChattorError('E_FRAME_MALFORMED', `mailbox: unexpected reply kind 0x${r.kind.toString(16)}`);
}

export class MailAgent {
  private readonly depositAfterMs: number;
  private readonly fetchEveryMs: number;
  private readonly ttlMs: number;
  private readonly inflight = new Set<Id>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private fetching: Promise<number> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private minting: Promise<void> | undefined;
  private mintAgain: Set<Id> | 'all' | undefined;
  private stopped = false;

  constructor(
    private readonly core: Core,
    private readonly onBody: MailBodyHandler,
    opts: { depositAfterMs?: number; fetchEveryMs?: number; mailTtlMs?: number } = {},
  ) {
    this.depositAfterMs = opts.depositAfterMs ?? DEFAULT_DEPOSIT_AFTER_MS;
    this.fetchEveryMs = opts.fetchEveryMs ?? DEFAULT_FETCH_EVERY_MS;
    this.ttlMs = opts.mailTtlMs ?? DEFAULT_MAIL_TTL_MS;
  }

  get enabled(): boolean {
    return this.core.transport.mailbox !== undefined;
  }

  /** Starts the timers and the first fetch (not awaited: the caller is on the serial queue). */
  start(): void {
    if (!this.enabled) return;
    this.stopped = false;
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((e: unknown) => this.core.protocolError(e)), ms);
      (t as { unref?: () => void }).unref?.();
      this.timers.push(t);
    };
    every(Math.max(1000, Math.min(5000, this.depositAfterMs / 2)), () => this.depositDue());
    every(this.fetchEveryMs, () => this.fetch());
    every(60_000, () => this.core.serial.run(() => this.ensureHolders()));
    void this.fetch().catch((e: unknown) => this.core.protocolError(e));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  // ── holders (the recipient's side) ─────────────────────────────────────────────────────────────

  async status(): Promise<MailboxStatus> {
    const [auto, holders, hosting] = await Promise.all([
      isAuto(this.core),
      getHolders(this.core),
      getHosting(this.core),
    ]);
    const held = await this.core.transport.mailbox?.stats().catch(() => undefined);
    const mailTo: Id[] = [];
    for (const c of await this.core.storage.listContacts()) {
      if (c.state !== 'friend') continue;
      const to = await getMailTo(this.core, c.id);
      if (to && to.holders.some((h) => h.tokens.length > 0)) mailTo.push(c.id);
    }
    return {
      auto,
      holders: holders.map((h) => ({ contactId: h.contactId, state: h.state })),
      hosting: Object.keys(hosting),
      mailTo,
      ...(held ? { held } : {}),
    };
  }

  /** Serial. */
  async setHolders(wanted: Id[] | 'auto'): Promise<void> {
    if (wanted !== 'auto') {
      if (!Array.isArray(wanted) || wanted.length > MAX_HOLDERS || new Set(wanted).size !== wanted.length)
        throw new ChattorError('E_BAD_INPUT', `holders: up to ${MAX_HOLDERS} distinct friends`);
      for (const id of wanted) {
        const c = typeof id === 'string' ? await this.core.storage.getContact(id) : undefined;
        if (c?.state !== 'friend') throw new ChattorError('E_BAD_INPUT', 'holders must be friends');
      }
    }
    await setAuto(this.core, wanted === 'auto');
    const holders = await getHolders(this.core);
    if (wanted !== 'auto') {
      const keep = holders.filter((h) => wanted.includes(h.contactId));
      const dropped = holders.filter((h) => !wanted.includes(h.contactId));
      await putHolders(this.core, keep);
      for (const h of dropped) await this.sendControl(h.contactId, (id) => ({ t: 'hold', id, on: false }));
      for (const id of wanted) if (!keep.some((h) => h.contactId === id)) await this.ask(id);
      if (dropped.some((h) => h.state === 'holding')) {
        await rotateMailKey(this.core);
        this.scheduleMint('all');
      }
    } else await this.ensureHolders();
    this.core.emit({ t: 'MailboxChanged' });
  }

  /** Serial. In auto mode: ask online friends until AUTO_HOLDERS hold or were asked. */
  async ensureHolders(): Promise<void> {
    if (!this.enabled || this.stopped || !(await isAuto(this.core))) return;
    const holders = await getHolders(this.core);
    const now = this.core.now();
    const active = holders.filter((h) => h.state !== 'refused' || now - h.askedAt < REFUSED_MEMORY_MS);
    const live = active.filter(
      (h) => h.state === 'holding' || (h.state === 'asked' && now - h.askedAt < REFUSED_MEMORY_MS),
    ).length;
    if (live >= AUTO_HOLDERS) return;
    if (active.length !== holders.length) await putHolders(this.core, active);
    const friends = (await this.core.storage.listContacts()).filter(
      (c) => c.state === 'friend' && c.online && !active.some((h) => h.contactId === c.id),
    );
    for (const c of friends.slice(0, AUTO_HOLDERS - live)) await this.ask(c.id);
  }

  private async ask(contactId: Id): Promise<void> {
    const c = await this.core.storage.getContact(contactId);
    if (c?.state !== 'friend') return;
    let holdId = '';
    await this.sendControl(contactId, (id) => {
      holdId = id;
      return { t: 'hold', id, on: true };
    });
    const holders = (await getHolders(this.core)).filter((h) => h.contactId !== contactId);
    holders.push({ contactId, onion: c.contactOnion, state: 'asked', holdId, askedAt: this.core.now() });
    await putHolders(this.core, holders);
    this.core.emit({ t: 'MailboxChanged' });
  }

  /** Serial: a `holding` answer from a friend we asked. */
  async onHolding(peer: PeerRecord, contact: Contact, p: Payload & { t: 'holding' }): Promise<void> {
    const holders = await getHolders(this.core);
    const h = holders.find((x) => x.contactId === peer.contactId && x.holdId === p.re);
    if (!h) return;
    if (p.cap === '') Object.assign(h, { state: 'refused', askedAt: this.core.now() });
    else Object.assign(h, { state: 'holding', cap: p.cap, okey: p.okey, onion: contact.contactOnion });
    await putHolders(this.core, holders);
    this.core.emit({ t: 'MailboxChanged' });
    if (h.state === 'holding') this.scheduleMint('all');
  }

  /** Serial: a friend became a friend: give them a `mailto` if we have holders; maybe ask them to hold. */
  friendAdded(contactId: Id): void {
    this.scheduleMint(new Set([contactId]));
    void this.core.serial.run(() => this.ensureHolders()).catch((e: unknown) => this.core.protocolError(e));
  }

  /** Serial: `tokens-low` from a friend. */
  onTokensLow(contactId: Id): void {
    this.scheduleMint(new Set([contactId]));
  }

  private scheduleMint(who: Set<Id> | 'all'): void {
    if (!this.enabled) return;
    if (who === 'all' || this.mintAgain === 'all') this.mintAgain = 'all';
    else this.mintAgain = new Set([...(this.mintAgain ?? []), ...who]);
    if (this.minting) return;
    this.minting = (async () => {
      while (this.mintAgain && !this.stopped) {
        const target = this.mintAgain;
        this.mintAgain = undefined;
        await this.mintAndSend(target).catch((e: unknown) => this.core.protocolError(e));
      }
    })().finally(() => {
      this.minting = undefined;
    });
  }

  /** Not serial: mints TOKENS_PER_MAILTO tokens per friend at every holder, then sends the mailtos. */
  private async mintAndSend(target: Set<Id> | 'all'): Promise<void> {
    const core = this.core;
    const { holders, friends } = await core.serial.run(async () => {
      const all = (await core.storage.listContacts()).filter((c) => c.state === 'friend');
      return {
        holders: (await getHolders(core)).filter((h) => h.state === 'holding'),
        friends:
          target === 'all' ? all.map((c) => c.id) : all.filter((c) => target.has(c.id)).map((c) => c.id),
      };
    });
    if (friends.length === 0) return;
    const perHolder: MailtoHolder[][] = friends.map(() => []);
    for (const h of holders) {
      try {
        const tokens = await this.mint(h, friends.length * TOKENS_PER_MAILTO);
        friends.forEach((_, i) =>
          perHolder[i]!.push({
            onion: h.onion,
            okey: h.okey!,
            tokens: tokens
              .slice(i * TOKENS_PER_MAILTO, (i + 1) * TOKENS_PER_MAILTO)
              .map((t) => toBase64Url(t)),
          }),
        );
      } catch (e) {
        core.protocolError(e, h.contactId);
      }
    }
    await core.serial.run(async () => {
      const key = toBase64Url(await currentMailKey(core));
      const given = await getGiven(core);
      for (const [i, friend] of friends.entries()) {
        const c = await core.storage.getContact(friend);
        if (c?.state !== 'friend') continue;
        const secret = (given[friend] ??= toBase64Url(core.rng(32)));
        await this.sendControl(friend, (id) => ({ t: 'mailto', id, key, secret, holders: perHolder[i]! }));
      }
      await putGiven(core, given);
    });
  }

  private async mint(h: HolderRecord, n: number): Promise<Uint8Array[]> {
    const okey = fromBase64Url(h.okey!);
    const publicKey = okey.subarray(8);
    const cap = fromBase64Url(h.cap!);
    const session = await this.core.transport.mailbox!.connect(h.onion);
    try {
      const out: Uint8Array[] = [];
      while (out.length < n) {
        const batch = blindTokens(Math.min(ISSUE_MAX, n - out.length));
        const reply = await session.request(FrameKind.ISSUE, encodeIssue({ cap, blinded: batch.blinded }));
        const issued = decodeIssued(expectReply(reply, FrameKind.ISSUED));
        if (toHex(issued.publicKey) !== toHex(publicKey))
          throw new ChattorError('E_SIGNATURE', 'holder answered with another token key');
        out.push(...finalizeTokens(batch, issued.evaluated, issued.proof, publicKey));
      }
      return out;
    } finally {
      session.close();
    }
  }

  // ── hosting (the holder's side) ────────────────────────────────────────────────────────────────

  /** Serial: a `hold` from a friend. Answers `holding` (with a capability, or refused). */
  async onHold(peer: PeerRecord, p: Payload & { t: 'hold' }): Promise<void> {
    const core = this.core;
    const mailbox = core.transport.mailbox;
    const hosting = await getHosting(core);
    const old = hosting[peer.contactId];
    if (!p.on) {
      if (old) await mailbox?.closeAccount(old).catch((e: unknown) => core.protocolError(e));
      delete hosting[peer.contactId];
      await putHosting(core, hosting);
      core.emit({ t: 'MailboxChanged' });
      return;
    }
    let cap = '';
    let okey = '';
    if (mailbox && (core.holdForFriends?.() ?? true)) {
      const capBytes = core.rng(32);
      const capHash = toHex(await sha256(capBytes));
      okey = await mailbox.openAccount(capHash);
      cap = toBase64Url(capBytes);
      if (old && old !== capHash) await mailbox.closeAccount(old).catch(() => undefined);
      hosting[peer.contactId] = capHash;
      await putHosting(core, hosting);
      core.emit({ t: 'MailboxChanged' });
    }
    await this.sendControl(peer.contactId, (id) => ({ t: 'holding', id, re: p.id, cap, okey }));
  }

  /** Serial: the friend is gone; stop holding for them and forget where to leave them mail. */
  async forget(contactId: Id): Promise<void> {
    const hosting = await getHosting(this.core);
    const capHash = hosting[contactId];
    if (capHash) {
      await this.core.transport.mailbox?.closeAccount(capHash).catch(() => undefined);
      delete hosting[contactId];
      await putHosting(this.core, hosting);
    }
    const holders = await getHolders(this.core);
    if (holders.some((h) => h.contactId === contactId))
      await putHolders(
        this.core,
        holders.filter((h) => h.contactId !== contactId),
      );
    const given = await getGiven(this.core);
    if (given[contactId]) {
      delete given[contactId];
      await putGiven(this.core, given);
    }
    await putMailTo(this.core, contactId, null);
  }

  // ── depositing (the sender's side) ─────────────────────────────────────────────────────────────

  /** Serial: a `mailto` from a friend. */
  async onMailto(contactId: Id, p: Payload & { t: 'mailto' }): Promise<void> {
    await putMailTo(this.core, contactId, { key: p.key, secret: p.secret, holders: p.holders });
  }

  /** Not serial: deposits every message that waited DEPOSIT_AFTER without a receipt. */
  async depositDue(): Promise<void> {
    if (this.stopped) return;
    const core = this.core;
    const jobs = await core.serial.run(async () => {
      if (!core.keys) return [];
      const now = core.now();
      const due = (await core.storage.listOutbox()).filter(
        (i) =>
          (i.kind === 'message' || (i.kind === 'social' && i.body.length <= MAX_ENVELOPE_BODY)) &&
          i.depositedAt === undefined &&
          now - i.createdAt >= this.depositAfterMs &&
          !this.inflight.has(i.messageId),
      );
      const out: { item: OutboxItem; tries: { onion: string; body: Uint8Array }[] }[] = [];
      for (const item of due) {
        const tries = await this.prepare(item);
        if (tries.length === 0) continue;
        this.inflight.add(item.messageId);
        out.push({ item, tries });
      }
      return out;
    });
    await Promise.all(jobs.map((j) => this.deposit(j.item, j.tries)));
  }

  /** Serial: seals the item for up to K holders, spending one token each. */
  private async prepare(item: OutboxItem): Promise<{ onion: string; body: Uint8Array }[]> {
    const core = this.core;
    const to = await getMailTo(core, item.contactId);
    if (!to) return [];
    const usable = to.holders.filter((h) => h.tokens.length > 0).slice(0, K_DEPOSIT);
    if (usable.length === 0) return [];
    const key = fromBase64Url(to.key);
    const secret = fromBase64Url(to.secret);
    const epoch = epochOf(core.now());
    const tries: { onion: string; body: Uint8Array }[] = [];
    for (const h of usable) {
      const token = fromBase64Url(h.tokens.shift()!);
      const mid = mailboxId(fetchKey(secret, epoch, h.onion));
      const { envelope } = await sealEnvelope(key, mid, item.body, core.rng);
      const keyId = fromBase64Url(h.okey).subarray(0, 8);
      tries.push({ onion: h.onion, body: encodeDeposit({ keyId, token, mid, envelope }) });
    }
    const low = to.holders.some((h) => h.tokens.length < TOKENS_LOW);
    const askNow = low && (to.lowAskedAt === undefined || core.now() - to.lowAskedAt > 60 * 60_000);
    await putMailTo(core, item.contactId, askNow ? { ...to, lowAskedAt: core.now() } : to);
    if (askNow) await this.sendControl(item.contactId, (id) => ({ t: 'tokens-low', id }));
    return tries;
  }

  private async deposit(item: OutboxItem, tries: { onion: string; body: Uint8Array }[]): Promise<void> {
    let stored = 0;
    try {
      const results = await Promise.allSettled(
        tries.map(async (t) => {
          const session = await this.core.transport.mailbox!.connect(t.onion);
          try {
            const r = await session.request(FrameKind.DEPOSIT, t.body);
            // DUPLICATE: this very envelope is stored already (our first STORED was lost).
            if (r.kind === FrameKind.MBX_ERROR && decodeMbxError(r.body).code === MbxErrorCode.DUPLICATE)
              return;
            expectReply(r, FrameKind.STORED);
          } finally {
            session.close();
          }
        }),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') stored++;
        else this.core.protocolError(r.reason, item.contactId);
      }
      if (stored > 0) await this.core.serial.run(() => this.deposited(item));
    } finally {
      this.inflight.delete(item.messageId);
    }
  }

  /**
   * Serial: a holder confirmed. The item stays in the outbox, marked deposited (never deposited again),
   * so it still goes directly when a link opens, until the delivered receipt; the message is `sent` via
   * mailbox. (A holder the recipient stops using before fetching would otherwise lose it.)
   */
  private async deposited(item: OutboxItem): Promise<void> {
    const core = this.core;
    const current = (await core.storage.listOutbox(item.contactId)).find(
      (i) => i.messageId === item.messageId,
    );
    if (!current) return; // delivered directly meanwhile
    let changed: ChatMessage | undefined;
    await core.storage.transaction(async () => {
      await core.storage.putOutbox({ ...current, depositedAt: core.now() });
      const m = await core.storage.getMessage(item.messageId);
      if (m && (m.state === 'queued' || m.state === 'sent')) {
        changed = { ...m, state: 'sent', via: 'mailbox' };
        await core.storage.putMessage(changed);
      }
    });
    if (changed) core.emit({ t: 'MessageChanged', message: changed });
  }

  // ── fetching (the recipient's side) ────────────────────────────────────────────────────────────

  /** Not serial. One fetch round at a time; a second caller shares it. */
  fetch(): Promise<number> {
    if (!this.enabled || this.stopped) return Promise.resolve(0);
    this.fetching ??= this.fetchAll().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetchAll(): Promise<number> {
    const core = this.core;
    const plan = await core.serial.run(async () => {
      if (!core.keys) return undefined;
      await this.ensureHolders();
      const holders = (await getHolders(core)).filter((h) => h.state === 'holding');
      const secrets = Object.values(await getGiven(core)).map((s) => fromBase64Url(s));
      return { holders, secrets };
    });
    if (!plan || plan.secrets.length === 0) return 0;
    const now = core.now();
    const first = epochOf(now - this.ttlMs - EPOCH_MS);
    const last = epochOf(now);
    // Holders in parallel: one that cannot be reached does not hold up the others.
    const results = await Promise.allSettled(
      plan.holders.map((h) => {
        const keys: Uint8Array[] = [];
        for (const s of plan.secrets) for (let e = first; e <= last; e++) keys.push(fetchKey(s, e, h.onion));
        return this.fetchFrom(h, keys);
      }),
    );
    let total = 0;
    let failed = false;
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') total += r.value;
      else {
        failed = true;
        core.protocolError(r.reason, plan.holders[i]!.contactId);
      }
    }
    if (failed) this.retryFetchSoon();
    if (total > 0) core.emit({ t: 'MailboxChanged' });
    return total;
  }

  /** After a failed round (a holder not reachable yet, e.g. while tor starts), try again in 30 s. */
  private retryFetchSoon(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.fetch().catch((e: unknown) => this.core.protocolError(e));
    }, FETCH_RETRY_MS);
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  private async fetchFrom(h: HolderRecord, allKeys: Uint8Array[]): Promise<number> {
    const session = await this.core.transport.mailbox!.connect(h.onion);
    let processed = 0;
    try {
      for (let i = 0; i < allKeys.length; i += FETCH_MAX_KEYS) {
        const keys = allKeys.slice(i, i + FETCH_MAX_KEYS);
        const mids = keys.map((k) => mailboxId(k));
        for (let page = 0; page < MAX_FETCH_PAGES; page++) {
          const reply = await session.request(
            FrameKind.FETCH,
            encodeFetch({ max: FETCH_PAGE, fetchKeys: keys }),
          );
          const { more, envelopes: items } = decodeEnvelopes(
            expectReply(reply, FrameKind.ENVELOPES),
            keys.length,
          );
          if (items.length === 0) break;
          await this.core.serial.run(() => this.openAll(items, mids));
          const del = items.map((it) => ({
            fetchKey: keys[it.index]!,
            envelopeHash: envelopeHash(it.envelope),
          }));
          const done = await session.request(FrameKind.DELETE, encodeDelete({ items: del }));
          decodeDeleted(expectReply(done, FrameKind.DELETED));
          processed += items.length;
          if (!more) break;
        }
      }
    } finally {
      session.close();
    }
    return processed;
  }

  /**
   * Serial: opens a page of envelopes (oldest first) and hands each new body to the engine, all in one
   * storage transaction (one commit per page, not per message), with the outbox flushed once per
   * contact at the end (the queued receipts) instead of once per message.
   */
  private async openAll(
    items: { index: number; storedAt: number; envelope: Uint8Array }[],
    mids: Uint8Array[],
  ): Promise<void> {
    const core = this.core;
    const keys = await openMailKeys(core);
    const flush = new Set<Id>();
    core.deferredFlush = flush;
    try {
      const sorted = [...items].sort((a, b) => a.storedAt - b.storedAt);
      await core.storage.transaction(async () => {
        for (const it of sorted) {
          const mid = mids[it.index];
          if (!mid) continue;
          try {
            // A replayed envelope carries a body already accepted: §4.5's replay memory drops it.
            const { body } = await openEnvelope(keys, mid, it.envelope);
            await this.onBody(body);
          } catch (e) {
            core.protocolError(e);
          }
        }
      });
    } finally {
      core.deferredFlush = undefined;
      for (const k of keys) k.fill(0);
    }
    for (const id of flush) await core.flush(id);
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  /** Serial: an acknowledged control payload to a friend (kept in the outbox until its receipt). */
  private sendControl(contactId: Id, make: (id: Id) => Payload): Promise<void> {
    const id = randomId(this.core.rng);
    return this.core.sendTo(contactId, make(id), { kind: 'control', messageId: id });
  }
}
