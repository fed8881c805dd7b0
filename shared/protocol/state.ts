// Implements docs/protocol.md §4.4–4.5 bookkeeping: the per-contact record the engine keeps beside the
// public Contact (session id, sequence counters, held messages), the request rate limits, a serial queue.
import type { ChatMessage, Id } from './api.js';

export const DECLINE_MEMORY_MS = 24 * 60 * 60 * 1000;
export const SEEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** v1 never rotates the signed prekey, so request replays are remembered for good (§3.4, §4.4). */
export const REQUEST_SEEN_FOREVER = Number.MAX_SAFE_INTEGER;
export const REQUEST_RATE_PER_SENDER = 5;
export const REQUEST_RATE_TOTAL = 30;
export const RATE_WINDOW_MS = 60_000;
export const MAX_SEQ_GAP = 1000;
export const DEFAULT_RETRY_MS = 30_000;
/** §4.5 `resend`: a contact's hint is honoured at most this often. */
export const RESEND_MIN_MS = 5_000;

/** Engine-private per-contact state, in storage meta under `peer:<contactId>`. */
export interface PeerRecord {
  contactId: Id;
  onion: string;
  /** hex; routes MSG bodies (§4.1). Kept for blocked contacts so their bodies are dropped silently. */
  sessionId?: string;
  /** Next seq to assign to an outgoing message, and the last sentAt used (kept increasing). */
  nextSeqOut: number;
  lastSentAt: number;
  /** Next seq expected from the peer; messages ahead of it wait in `held` (§4.5). */
  nextSeqIn: number;
  held: ChatMessage[];
  /** The friend request's id: our outbox item (outgoing) or theirs, to re-acknowledge (incoming). */
  requestId?: Id;
  /** The contact was removed: the `removed` payload's id; the record lives on until it is acknowledged. */
  removing?: Id;
}

export const peerKey = (contactId: Id): string => `peer:${contactId}`;
export const sidKey = (sessionIdHex: string): string => `sid:${sessionIdHex}`;

export function newPeer(contactId: Id, onion: string): PeerRecord {
  return { contactId, onion, nextSeqOut: 1, lastSentAt: 0, nextSeqIn: 1, held: [] };
}

/** Runs tasks one at a time, in call order; a failing task does not stop the queue. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/** Sliding-window limits on friend requests: per sender key and in total (§4.4). */
export class RequestLimiter {
  private readonly bySender = new Map<string, number[]>();
  private total: number[] = [];

  constructor(
    private readonly perSender = REQUEST_RATE_PER_SENDER,
    private readonly overall = REQUEST_RATE_TOTAL,
    private readonly windowMs = RATE_WINDOW_MS,
  ) {}

  /** Records an attempt and says whether it is within both limits. */
  allow(sender: string, now: number): boolean {
    const from = now - this.windowMs;
    this.total = this.total.filter((t) => t > from);
    const mine = (this.bySender.get(sender) ?? []).filter((t) => t > from);
    if (this.bySender.size > 10_000) this.prune(from);
    if (mine.length >= this.perSender || this.total.length >= this.overall) {
      this.bySender.set(sender, mine);
      return false;
    }
    mine.push(now);
    this.total.push(now);
    this.bySender.set(sender, mine);
    return true;
  }

  private prune(from: number): void {
    for (const [k, v] of this.bySender) if (!v.some((t) => t > from)) this.bySender.delete(k);
  }
}
