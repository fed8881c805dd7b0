// EngineTransport (shared/protocol/api.ts) over the local link: the engine sees numbered links to
// onions and DATA bodies; this turns them into DialPeer/ClosePeer commands (docs/protocol.md §2.2) and
// peer frames (§1.2, always stream 0 for chat) built and checked with shared/wire.
import { ChattorError, type ErrorCode } from '../../../shared/util/errors';
import type {
  EngineTransport,
  HandleTransport,
  MailboxSession,
  MailboxStats,
  MailboxTransport,
} from '../../../shared/protocol/api';
import {
  FrameKind,
  PeerErrorCode,
  decodeErrorBody,
  decodeFrame,
  encodeFrame,
  isMailboxReplyKind,
} from '../../../shared/wire/frame';
import type { GatewayClient } from './gateway-client';
import type { LocalStatus } from './local-protocol';

/** What the transport uses of the client (specs pass a fake). */
export type EngineTransportClient = Pick<
  GatewayClient,
  | 'dialPeer'
  | 'closePeer'
  | 'sendFrame'
  | 'onFrame'
  | 'on'
  | 'openMailboxAccount'
  | 'closeMailboxAccount'
  | 'getMailboxStats'
  | 'bufferedAmount'
>;

/** How long an isolated link to a holder may take to open, and a mailbox request to be answered. */
export const MAILBOX_CONNECT_MS = 90_000;
export const MAILBOX_REQUEST_MS = 60_000;

interface Pending {
  resolve: (r: { kind: number; body: Uint8Array }) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** An isolated link (§5.6): never reported to the engine's link handlers. */
interface Isolated {
  open: boolean;
  opened: (() => void) | null;
  failed: ((e: unknown) => void) | null;
  nextStream: number;
  pending: Map<number, Pending>;
  /** A handle exchange (§8.4): the first DATA body answered on the link. */
  onData?: (body: Uint8Array) => void;
}

/** How long a handle exchange may take: an isolated link to open, then the owner's answer. */
export const HANDLE_EXCHANGE_MS = 120_000;

export interface GatewayEngineTransportOptions {
  /** The node's current status, read for the contact onion and the links already open. */
  status: () => LocalStatus | null;
  /** Where malformed frames and peer ERROR frames go (the app passes a quiet handleError). */
  onError?: (error: unknown) => void;
}

type BodyHandler = (link: number, body: Uint8Array) => void;
type LinkHandler = (e: { link: number; open: boolean; onion?: string }) => void;

const PEER_ERROR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(PeerErrorCode).map(([name, code]) => [code, name]),
);

/** The app's error code for a peer ERROR frame (§1.3). */
function peerErrorAppCode(code: number): ErrorCode {
  switch (code) {
    case PeerErrorCode.NO_CLIENT:
      return 'E_NO_CLIENT';
    case PeerErrorCode.RATE_LIMITED:
      return 'E_RATE_LIMITED';
    case PeerErrorCode.TOO_LARGE:
      return 'E_FRAME_TOO_LARGE';
    case PeerErrorCode.VERSION:
      return 'E_FRAME_VERSION';
    default:
      return 'E_FRAME_MALFORMED';
  }
}

function linkEvent(
  link: number,
  open: boolean,
  onion?: string,
): { link: number; open: boolean; onion?: string } {
  return onion === undefined ? { link, open } : { link, open, onion: bareOnion(onion) };
}

/** The engine and the cards use the bare 56-character onion id (docs/protocol.md §3.3). */
export function bareOnion(onion: string): string {
  return onion.endsWith('.onion') ? onion.slice(0, -'.onion'.length) : onion;
}

export class GatewayEngineTransport implements EngineTransport {
  readonly #client: EngineTransportClient;
  readonly #status: () => LocalStatus | null;
  readonly #onError: (error: unknown) => void;
  /** Open links and, for links we dialed, the onion they reach. */
  readonly #open = new Map<number, string | undefined>();
  readonly #bodyHandlers = new Set<BodyHandler>();
  readonly #linkHandlers = new Set<LinkHandler>();
  readonly #offs: (() => void)[];
  readonly #isolated = new Map<number, Isolated>();
  /** Links DialPeer answered with, open or not: the gateway keeps redialing them until ClosePeer. */
  readonly #dialed = new Set<number>();
  /** The gateway instance the link numbers belong to (§2.2). */
  #instance: string | undefined;
  readonly mailbox: MailboxTransport;
  readonly handles: HandleTransport;

  constructor(client: EngineTransportClient, options: GatewayEngineTransportOptions) {
    this.#client = client;
    this.#status = options.status;
    this.#onError = options.onError ?? (() => undefined);
    this.#syncLinks(options.status());
    this.#offs = [
      client.onFrame((link, frame) => this.#receive(link, frame)),
      client.on('StatusChanged', (e) => this.#syncLinks(e.status)),
      client.on('PeerConnected', (e) => {
        const iso = this.#isolated.get(e.link);
        if (iso) {
          iso.open = true;
          iso.opened?.();
          return;
        }
        this.#open.set(e.link, e.onion === undefined ? undefined : bareOnion(e.onion));
        this.#emitLink(linkEvent(e.link, true, e.onion));
      }),
      client.on('PeerClosed', (e) => {
        const iso = this.#isolated.get(e.link);
        if (iso) {
          // A dial failure of an isolated link is retried by the gateway; only a close ends it.
          if (iso.open) this.#failIsolated(e.link, new ChattorError('E_UNKNOWN_LINK', 'holder link closed'));
          return;
        }
        this.#open.delete(e.link);
        this.#emitLink({ link: e.link, open: false });
      }),
    ];
    this.mailbox = {
      connect: (onion) => this.#connectIsolated(bareOnion(onion)),
      openAccount: (capHash) => client.openMailboxAccount(capHash),
      closeAccount: async (capHash) => {
        await client.closeMailboxAccount(capHash);
      },
      stats: (): Promise<MailboxStats> => client.getMailboxStats(),
    };
    this.handles = {
      handleOnion: () => {
        const onion = this.#status()?.onions.handle;
        return onion === undefined ? undefined : bareOnion(onion);
      },
      exchange: (onion, body) => this.#exchange(bareOnion(onion), body),
    };
  }

  /** One body out on an isolated link, the first DATA body back, then the link is closed (§8.4). */
  async #exchange(onion: string, body: Uint8Array): Promise<Uint8Array> {
    const link = await this.#openIsolated(onion);
    const iso = this.#isolated.get(link)!;
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new ChattorError('E_DIAL_TIMEOUT', 'no answer on the handle link')),
          HANDLE_EXCHANGE_MS,
        );
        iso.onData = (reply) => {
          clearTimeout(timer);
          resolve(reply);
        };
        iso.failed = (e) => {
          clearTimeout(timer);
          reject(e);
        };
        this.#client.sendFrame(link, encodeFrame({ kind: FrameKind.DATA, stream: 0, body }));
      });
    } finally {
      this.#closeIsolated(link);
    }
  }

  async #connectIsolated(onion: string): Promise<MailboxSession> {
    const link = await this.#openIsolated(onion);
    return {
      request: (kind, body) => this.#request(link, kind, body),
      close: () => this.#closeIsolated(link),
    };
  }

  async #openIsolated(onion: string): Promise<number> {
    const link = await this.#client.dialPeer(onion, { isolated: true });
    const iso: Isolated = { open: false, opened: null, failed: null, nextStream: 1, pending: new Map() };
    this.#isolated.set(link, iso);
    if (this.#open.has(link)) {
      // Its PeerConnected overtook the dial's answer (not expected): adopt it as isolated.
      this.#open.delete(link);
      iso.open = true;
    }
    if (!iso.open) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new ChattorError('E_DIAL_TIMEOUT', 'the holder could not be reached'));
        }, MAILBOX_CONNECT_MS);
        iso.opened = () => {
          clearTimeout(timer);
          resolve();
        };
        iso.failed = (e) => {
          clearTimeout(timer);
          reject(e);
        };
      }).catch((e: unknown) => {
        this.#closeIsolated(link);
        throw e;
      });
    }
    return link;
  }

  #request(link: number, kind: number, body: Uint8Array): Promise<{ kind: number; body: Uint8Array }> {
    const iso = this.#isolated.get(link);
    if (!iso?.open) return Promise.reject(new ChattorError('E_UNKNOWN_LINK', 'holder link is not open'));
    const stream = iso.nextStream++;
    const frame = encodeFrame({ kind: kind as FrameKind, stream, body });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        iso.pending.delete(stream);
        reject(new ChattorError('E_DIAL_TIMEOUT', 'the holder did not answer'));
      }, MAILBOX_REQUEST_MS);
      iso.pending.set(stream, { resolve, reject, timer });
      try {
        this.#client.sendFrame(link, frame);
      } catch (e) {
        clearTimeout(timer);
        iso.pending.delete(stream);
        reject(e);
      }
    });
  }

  #failIsolated(link: number, error: unknown): void {
    const iso = this.#isolated.get(link);
    if (!iso) return;
    iso.failed?.(error);
    for (const p of iso.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    iso.pending.clear();
  }

  #closeIsolated(link: number): void {
    this.#failIsolated(link, new ChattorError('E_UNKNOWN_LINK', 'holder link closed'));
    this.#isolated.delete(link);
    this.#client.closePeer(link).catch(() => undefined);
  }

  /** Stops listening to the client (the engine is being replaced or the page is going away). */
  dispose(): void {
    this.#offs.splice(0).forEach((off) => off());
    this.#bodyHandlers.clear();
    this.#linkHandlers.clear();
  }

  async dial(onion: string): Promise<number> {
    const link = await this.#client.dialPeer(bareOnion(onion));
    this.#dialed.add(link);
    return link;
  }

  async close(link: number): Promise<void> {
    this.#open.delete(link);
    this.#dialed.delete(link);
    await this.#client.closePeer(link);
  }

  send(link: number, body: Uint8Array, stream = 0): void {
    if (!this.#open.has(link)) throw new ChattorError('E_UNKNOWN_LINK', `link ${link} is not open`);
    this.#client.sendFrame(link, encodeFrame({ kind: FrameKind.DATA, stream, body }));
  }

  buffered(): number {
    return this.#client.bufferedAmount();
  }

  onBody(handler: BodyHandler): () => void {
    this.#bodyHandlers.add(handler);
    return () => this.#bodyHandlers.delete(handler);
  }

  /**
   * Also replays the links that are open already: after a page reload the gateway still holds the
   * links it kept (§1.5), and DialPeer answers with such a link without a new PeerConnected.
   */
  onLink(handler: LinkHandler): () => void {
    this.#linkHandlers.add(handler);
    for (const [link, onion] of this.#open) this.#call(() => handler(linkEvent(link, true, onion)));
    return () => this.#linkHandlers.delete(handler);
  }

  contactOnion(): string | undefined {
    const onion = this.#status()?.onions.contact;
    return onion === undefined ? undefined : bareOnion(onion);
  }

  /** Adopts the open/closed state of links the gateway reports (e.g. after the local link reconnects). */
  #syncLinks(status: LocalStatus | null): void {
    if (!status) return;
    // A restarted gateway (§2.2) numbers its links from 1 again: every link we knew is gone, even one whose
    // number the new instance happens to use.
    const restarted = this.#instance !== undefined && status.instance !== this.#instance;
    this.#instance = status.instance;
    if (restarted) {
      // Not ClosePeer: that number may be another link of the new instance.
      for (const link of [...this.#isolated.keys()]) {
        this.#failIsolated(link, new ChattorError('E_UNKNOWN_LINK', 'the gateway restarted'));
        this.#isolated.delete(link);
      }
    }
    const nowOpen = new Set(restarted ? [] : status.links.filter((l) => l.open).map((l) => l.link));
    // After a restart the links we dialed that were not open are gone too: said closed, so that the
    // engine dials again rather than wait on a number the new instance never gave out (or gave another).
    const gone = restarted ? new Set([...this.#open.keys(), ...this.#dialed]) : new Set(this.#open.keys());
    if (restarted) this.#dialed.clear();
    for (const link of gone) {
      if (!nowOpen.has(link)) {
        this.#open.delete(link);
        this.#emitLink({ link, open: false });
      }
    }
    for (const l of status.links) {
      if (!l.open || this.#open.has(l.link) || this.#isolated.has(l.link)) continue;
      this.#open.set(l.link, l.onion === undefined ? undefined : bareOnion(l.onion));
      this.#emitLink(linkEvent(l.link, true, l.onion));
    }
  }

  #receive(link: number, bytes: Uint8Array): void {
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.#onError(error);
      return;
    }
    const iso = this.#isolated.get(link);
    if (iso) {
      if (frame.kind === FrameKind.DATA && iso.onData) {
        iso.onData(frame.body);
        iso.onData = undefined;
        return;
      }
      const p = iso.pending.get(frame.stream);
      if (frame.kind === FrameKind.ERROR) {
        // A link-level error (rate limit, size) fails every request waiting on this link.
        const { code, reason } = decodeErrorBody(frame.body);
        this.#failIsolated(link, new ChattorError(peerErrorAppCode(code), `holder: ${reason}`));
        return;
      }
      if (!p || !isMailboxReplyKind(frame.kind)) return;
      iso.pending.delete(frame.stream);
      clearTimeout(p.timer);
      p.resolve({ kind: frame.kind, body: frame.body });
      return;
    }
    switch (frame.kind) {
      case FrameKind.DATA:
        for (const handler of this.#bodyHandlers) this.#call(() => handler(link, frame.body));
        return;
      case FrameKind.ERROR:
        this.#peerError(link, frame.body);
        return;
      default:
        return; // ACK is reserved; mailbox replies only come on isolated links
    }
  }

  #peerError(link: number, body: Uint8Array): void {
    try {
      const { code, reason } = decodeErrorBody(body);
      // NO_CLIENT: the peer's browser is away; the engine keeps the message in its outbox.
      const appCode = peerErrorAppCode(code);
      const name = PEER_ERROR_NAMES[code] ?? `code ${code}`;
      this.#onError(new ChattorError(appCode, `peer on link ${link}: ${name} ${reason}`.trim()));
    } catch (error) {
      this.#onError(error);
    }
  }

  #emitLink(e: { link: number; open: boolean; onion?: string }): void {
    for (const handler of this.#linkHandlers) this.#call(() => handler(e));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#onError(error);
    }
  }
}
