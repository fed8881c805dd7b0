// Peer links, docs/protocol.md §1: dialing onions through tor's SOCKS port, accepting links from our
// onion listeners, frame checks, rate limits, keep-alive and redial. Frames are never interpreted
// beyond the outer header, except that mailbox requests (§5.5) go to the mailbox service, which
// answers on the same link, and isolated links (§5.6) dial with SOCKS credentials of their own.
import { randomBytes } from 'node:crypto';
import { SocksProxyAgent } from 'socks-proxy-agent';
import WebSocket from 'ws';
import {
  FrameKind,
  HARD_MAX,
  MAX_FRAME,
  PeerErrorCode,
  decodeFrame,
  encodeErrorFrame,
  isMailboxRequestKind,
  peerErrorFor,
} from '../../shared/wire/frame.js';
import type { Frame, MailboxRequestKind } from '../../shared/wire/frame.js';
import {
  MAILBOX_RATE,
  MAILBOX_RATE_TOTAL,
  MbxErrorCode,
  encodeMbxErrorFrame,
} from '../../shared/wire/mailbox.js';
import { ChattorError } from '../../shared/util/errors.js';
import type { Logger } from '../log.js';
import { wsBytes } from '../ws-bytes.js';
import { errorMessage } from '../log.js';
import { backoffDelay } from './backoff.js';
import {
  DIAL_TIMEOUT_MS,
  MAX_LINKS,
  MAX_PENDING_DIALS,
  MAX_PROTOCOL_ERRORS,
  PEER_PATH,
  PEER_SUBPROTOCOL,
  PING_INTERVAL_MS,
  RATE_BYTES,
  RATE_FRAMES,
  BULK_HIGH_WATER,
} from './limits.js';
import { TokenBucket } from './token-bucket.js';

export type OnionKind = 'contact' | 'handle' | 'home';

export interface LinkInfo {
  link: number;
  direction: 'in' | 'out';
  onion?: string;
  via?: OnionKind;
  open: boolean;
}

export interface LinkEvents {
  connected(info: LinkInfo): void;
  closed(link: number, reason: string, willRetry: boolean): void;
  /** A checked DATA, ACK, ERROR or mailbox reply frame for the browser; `stream` ≠ 0: bulk (§6.4). */
  frame(link: number, frame: Uint8Array, stream: number): void;
}

/** Answers one mailbox request frame with one reply frame (gateway/mailbox/service.ts). */
export interface MailboxHandler {
  handle(kind: MailboxRequestKind, stream: number, body: Uint8Array): Uint8Array;
}

export interface LinkManagerDeps {
  socksPort: () => number | null;
  hasClient: () => boolean;
  events: LinkEvents;
  log: Logger;
  now?: () => number;
  dialTimeoutMs?: number;
  pingIntervalMs?: number;
  /**
   * Asks tor to fetch an onion's descriptor again (HSFETCH) before a redial: after the peer's tor
   * restarted, a cached descriptor names dead introduction points and dials can hang for minutes.
   */
  refreshOnion?: (onion: string) => void;
  /** Answers mailbox requests (§5.5); without it they get ERROR UNSUPPORTED_KIND. */
  mailbox?: MailboxHandler;
}

interface Link {
  info: LinkInfo;
  ws: WebSocket | null;
  wanted: boolean;
  attempt: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
  pingTimer: ReturnType<typeof setInterval> | null;
  alive: boolean;
  frames: TokenBucket;
  bytes: TokenBucket;
  errors: number;
  lastRateError: number;
  mailbox: TokenBucket;
  lastMailboxRateError: number;
  /** For isolated links (§5.6): `user:password@`, fixed for the link's life (its redials too). */
  socksAuth: string;
}

const ONION_RE = /^([a-z2-7]{56})(\.onion)?$/;

/** 16 random bytes as hex: one half of an isolated link's SOCKS credentials. */
const randomHex = (): string => randomBytes(16).toString('hex');

export function normalizeOnion(onion: string): string {
  const m = ONION_RE.exec(onion.trim().toLowerCase());
  if (!m) throw new ChattorError('E_BAD_INPUT', 'onion must be a v3 onion address');
  return m[1]!;
}

export class LinkManager {
  private readonly links = new Map<number, Link>();
  private nextId = 1;
  private dialsInProgress = 0;
  private readonly dialQueue: Link[] = [];
  private stopped = false;
  private readonly now: () => number;
  /** Mailbox requests of all links together (§5.6). */
  private readonly mailboxTotal: TokenBucket;

  constructor(private readonly deps: LinkManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.mailboxTotal = new TokenBucket(MAILBOX_RATE_TOTAL.perSecond, MAILBOX_RATE_TOTAL.burst, this.now);
  }

  list(): LinkInfo[] {
    return [...this.links.values()].map((l) => ({ ...l.info }));
  }

  /**
   * Keeps a link to `onion` and returns its id. A plain dial reuses an existing plain outbound link;
   * `isolated: true` always makes a new link whose SOCKS connections carry fresh random credentials,
   * so tor (IsolateSOCKSAuth, on by default) gives it circuits of its own (§5.6). It is never reused.
   */
  dial(onion: string, options: { isolated?: boolean } = {}): number {
    const id = normalizeOnion(onion);
    const isolated = options.isolated === true;
    if (!isolated)
      for (const l of this.links.values())
        if (l.info.direction === 'out' && l.info.onion === id && l.wanted && !l.socksAuth) return l.info.link;
    if (this.links.size >= MAX_LINKS) throw new ChattorError('E_RATE_LIMITED', 'too many peer links');
    const link = this.newLink({ link: this.nextId++, direction: 'out', onion: id, open: false });
    if (isolated) link.socksAuth = `${randomHex()}:${randomHex()}@`;
    link.wanted = true;
    this.enqueueDial(link);
    return link.info.link;
  }

  acceptIncoming(ws: WebSocket, via: OnionKind): void {
    if (this.stopped || this.links.size >= MAX_LINKS) {
      ws.close(1013, 'busy');
      return;
    }
    const link = this.newLink({ link: this.nextId++, direction: 'in', via, open: true });
    this.attach(link, ws);
  }

  /**
   * Tor is ready again (after a restart, §1.5): every wanted link waiting for its next redial is dialed
   * now with its backoff reset, instead of after the long waits its failures while tor was down earned.
   */
  redialNow(): void {
    for (const link of this.links.values()) {
      if (!link.wanted || link.ws || !link.retryTimer) continue;
      clearTimeout(link.retryTimer);
      link.retryTimer = null;
      link.attempt = 0;
      this.enqueueDial(link);
    }
  }

  close(linkId: number): boolean {
    const link = this.links.get(linkId);
    if (!link) return false;
    link.wanted = false;
    this.clearTimers(link);
    if (link.ws) link.ws.close(1000, 'closed');
    else this.forget(link, 'closed');
    return true;
  }

  /** Sends a frame the browser built. The frame is checked like any peer input. */
  send(linkId: number, frame: Uint8Array): void {
    const link = this.links.get(linkId);
    if (!link || !link.ws || link.ws.readyState !== WebSocket.OPEN)
      throw new ChattorError('E_UNKNOWN_LINK', 'link is not open');
    const { stream } = decodeFrame(frame);
    // Backpressure (docs/protocol.md §6.4): a bulk frame (a file chunk, stream ≠ 0) is refused while the
    // peer link has more than BULK_HIGH_WATER unsent; the browser's window normally keeps it far below,
    // and the receiver asks again for what was refused. Chat (stream 0) is never refused.
    if (stream !== 0 && link.ws.bufferedAmount > BULK_HIGH_WATER)
      throw new ChattorError('E_RATE_LIMITED', 'the peer link is backed up; the chunk was not sent');
    link.ws.send(frame, { binary: true });
  }

  bufferedAmount(linkId: number): number {
    return this.links.get(linkId)?.ws?.bufferedAmount ?? 0;
  }

  closeAll(): void {
    this.stopped = true;
    for (const link of [...this.links.values()]) {
      link.wanted = false;
      this.clearTimers(link);
      link.ws?.terminate();
      this.links.delete(link.info.link);
    }
  }

  private newLink(info: LinkInfo): Link {
    const link: Link = {
      info,
      ws: null,
      wanted: false,
      attempt: 0,
      retryTimer: null,
      pingTimer: null,
      alive: true,
      frames: new TokenBucket(RATE_FRAMES.perSecond, RATE_FRAMES.burst, this.now),
      bytes: new TokenBucket(RATE_BYTES.perSecond, RATE_BYTES.burst, this.now),
      errors: 0,
      lastRateError: 0,
      mailbox: new TokenBucket(MAILBOX_RATE.perSecond, MAILBOX_RATE.burst, this.now),
      lastMailboxRateError: 0,
      socksAuth: '',
    };
    this.links.set(info.link, link);
    return link;
  }

  private enqueueDial(link: Link): void {
    this.dialQueue.push(link);
    this.pumpDials();
  }

  private pumpDials(): void {
    while (this.dialsInProgress < MAX_PENDING_DIALS && this.dialQueue.length > 0) {
      const link = this.dialQueue.shift()!;
      if (!link.wanted || !this.links.has(link.info.link)) continue;
      this.dialsInProgress++;
      this.connect(link);
    }
  }

  private connect(link: Link): void {
    const socksPort = this.deps.socksPort();
    const done = () => {
      this.dialsInProgress--;
      this.pumpDials();
    };
    if (socksPort === null) {
      done();
      this.scheduleRedial(link, 'tor is not ready');
      return;
    }
    const agent = new SocksProxyAgent(`socks5h://${link.socksAuth}127.0.0.1:${socksPort}`, {
      timeout: this.deps.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
    });
    const ws = new WebSocket(`ws://${link.info.onion}.onion${PEER_PATH}`, [PEER_SUBPROTOCOL], {
      agent,
      handshakeTimeout: this.deps.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
      maxPayload: HARD_MAX,
      perMessageDeflate: false,
      followRedirects: false,
    });
    let settled = false;
    ws.once('open', () => {
      settled = true;
      done();
      if (!link.wanted) {
        ws.close(1000, 'closed');
        return;
      }
      link.attempt = 0;
      this.attach(link, ws);
    });
    ws.once('error', (e) => {
      if (settled) return;
      settled = true;
      done();
      ws.terminate();
      this.deps.log.info('dial failed', { link: link.info.link, reason: errorMessage(e) });
      this.deps.refreshOnion?.(link.info.onion!);
      this.deps.events.closed(link.info.link, 'dial failed', link.wanted);
      this.scheduleRedial(link, errorMessage(e));
    });
  }

  private scheduleRedial(link: Link, _reason: string): void {
    if (!link.wanted || this.stopped) {
      this.forget(link, 'closed');
      return;
    }
    const delay = backoffDelay(link.attempt++);
    link.retryTimer = setTimeout(() => {
      link.retryTimer = null;
      this.enqueueDial(link);
    }, delay);
    link.retryTimer.unref?.();
  }

  private attach(link: Link, ws: WebSocket): void {
    link.ws = ws;
    link.info.open = true;
    link.alive = true;
    ws.on('pong', () => {
      link.alive = true;
    });
    link.pingTimer = setInterval(() => {
      if (!link.alive) {
        ws.terminate();
        return;
      }
      link.alive = false;
      ws.ping();
    }, this.deps.pingIntervalMs ?? PING_INTERVAL_MS);
    link.pingTimer.unref?.();
    ws.on('message', (data, isBinary) => this.onMessage(link, ws, data, isBinary));
    ws.on('error', (e) =>
      this.deps.log.info('link error', { link: link.info.link, reason: errorMessage(e) }),
    );
    ws.once('close', (code) => {
      this.clearTimers(link);
      link.ws = null;
      link.info.open = false;
      const retry = link.wanted && link.info.direction === 'out' && !this.stopped;
      this.deps.events.closed(link.info.link, `closed (${code})`, retry);
      if (retry) this.deps.refreshOnion?.(link.info.onion!);
      if (retry) this.scheduleRedial(link, 'closed');
      else this.forget(link, 'closed');
    });
    this.deps.events.connected({ ...link.info });
  }

  private onMessage(link: Link, ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (!isBinary) {
      ws.close(1003, 'binary frames only');
      return;
    }
    const bytes = wsBytes(data);
    if (!link.frames.take(1) || !link.bytes.take(bytes.length)) {
      const t = this.now();
      if (t - link.lastRateError >= 1000) {
        link.lastRateError = t;
        this.reply(link, ws, PeerErrorCode.RATE_LIMITED, 'rate limit exceeded');
      }
      return;
    }
    if (bytes.length > MAX_FRAME) {
      this.protocolError(link, ws, PeerErrorCode.TOO_LARGE, 'frame too large');
      return;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      this.protocolError(link, ws, peerErrorFor(e), errorMessage(e));
      return;
    }
    const kind = frame.kind;
    if (isMailboxRequestKind(kind)) {
      // Answered here whether or not a browser is attached; never forwarded to it.
      this.onMailboxRequest(link, ws, kind, frame);
      return;
    }
    if (kind === FrameKind.DATA && !this.deps.hasClient()) {
      this.reply(link, ws, PeerErrorCode.NO_CLIENT, 'recipient is not attached');
      return;
    }
    this.deps.events.frame(link.info.link, bytes, frame.stream);
  }

  private onMailboxRequest(link: Link, ws: WebSocket, kind: MailboxRequestKind, frame: Frame): void {
    const mailbox = this.deps.mailbox;
    if (!mailbox) {
      this.reply(link, ws, PeerErrorCode.UNSUPPORTED_KIND, 'this node holds no mail');
      return;
    }
    if (!link.mailbox.take(1) || !this.mailboxTotal.take(1)) {
      const t = this.now();
      if (t - link.lastMailboxRateError >= 1000) {
        link.lastMailboxRateError = t;
        this.writeFrame(
          ws,
          encodeMbxErrorFrame(MbxErrorCode.RATE_LIMITED, 'mailbox rate limit exceeded', frame.stream),
        );
      }
      return;
    }
    let reply: Uint8Array;
    try {
      reply = mailbox.handle(kind, frame.stream, frame.body);
    } catch (e) {
      // The service does not throw; should it, the requester still gets an answer.
      this.deps.log.warn('mailbox service failed', { link: link.info.link, reason: errorMessage(e) });
      reply = encodeMbxErrorFrame(MbxErrorCode.UNAVAILABLE, 'the mailbox failed', frame.stream);
    }
    this.writeFrame(ws, reply);
  }

  private writeFrame(ws: WebSocket, frame: Uint8Array): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true });
  }

  private protocolError(link: Link, ws: WebSocket, code: PeerErrorCode, reason: string): void {
    if (++link.errors > MAX_PROTOCOL_ERRORS) {
      ws.close(1008, 'too many protocol errors');
      return;
    }
    this.reply(link, ws, code, reason);
  }

  private reply(_link: Link, ws: WebSocket, code: PeerErrorCode, reason: string): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeErrorFrame(code, reason), { binary: true });
  }

  private clearTimers(link: Link): void {
    if (link.pingTimer) clearInterval(link.pingTimer);
    if (link.retryTimer) clearTimeout(link.retryTimer);
    link.pingTimer = null;
    link.retryTimer = null;
  }

  private forget(link: Link, _reason: string): void {
    this.clearTimers(link);
    this.links.delete(link.info.link);
  }
}
