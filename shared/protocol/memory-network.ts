// Implements the EngineTransport contract of docs/protocol.md §4 (api.ts) over an in-memory network:
// for tests and benchmarks. dial(onion) links to the node registered under that onion, as the gateway
// would (§1.5: the link is kept and re-opened when the peer comes back); bodies are delivered
// asynchronously and in order per link; a node can be taken offline, which drops what is in flight.
import { ChattorError } from '../util/errors.js';
import { decodeFrame, encodeFrame, type FrameKind } from '../wire/frame.js';
import type { EngineTransport, MailboxStats, MailboxTransport } from './api.js';

/** A node's gateway-side mailbox (tests pass the real gateway service over a temporary store). */
export interface MemoryMailboxHost {
  /** Answers one mailbox request frame (§5.5) with the reply frame. */
  handle(frame: Uint8Array): Promise<Uint8Array> | Uint8Array;
  openAccount(capHash: string): Promise<string> | string;
  closeAccount(capHash: string): Promise<void> | void;
  stats(): Promise<MailboxStats> | MailboxStats;
}

export interface MemoryNetworkOptions {
  /** Gives every node a mailbox: the host for the node registered under `onion`. */
  mailbox?: (onion: string) => MemoryMailboxHost;
}

type LinkEvent = { link: number; open: boolean; onion?: string };

interface Endpoint {
  readonly id: number;
  readonly node: MemoryNode;
  /** Set on the dialing side: the onion this link is kept to. */
  readonly target?: string;
  peer?: Endpoint;
  open: boolean;
  /** A handle exchange's own end (§8.4): bodies go here, not to the node's handlers. */
  capture?: (body: Uint8Array) => void;
}

interface MemoryNode {
  readonly onion: string;
  online: boolean;
  nextLink: number;
  readonly endpoints: Map<number, Endpoint>;
  readonly bodyHandlers: Set<(link: number, body: Uint8Array) => void>;
  readonly linkHandlers: Set<(e: LinkEvent) => void>;
  transport?: EngineTransport;
}

export interface MemoryNetwork {
  /** The transport of the node whose contact onion is `onion` (registered on first use). */
  transport(onion: string): EngineTransport;
  /** Offline: every link of the node closes and bodies in flight are lost; online: kept dials reconnect. */
  setOnline(onion: string, online: boolean): void;
  /** Sees every body about to be delivered; return false to drop it (tests: loss, capture, reorder). */
  tap: ((e: { from: string; to: string; body: Uint8Array }) => boolean) | undefined;
  /** Delivers `body` to `to` on its open link with `from`, as if `from` had sent it. */
  inject(from: string, to: string, body: Uint8Array): void;
  readonly stats: { bodies: number; bytes: number };
}

export function createMemoryNetwork(opts: MemoryNetworkOptions = {}): MemoryNetwork {
  const nodes = new Map<string, MemoryNode>();
  const hosts = new Map<string, MemoryMailboxHost>();
  const hostOf = (onion: string): MemoryMailboxHost | undefined => {
    if (!opts.mailbox) return undefined;
    let h = hosts.get(onion);
    if (!h) hosts.set(onion, (h = opts.mailbox(onion)));
    return h;
  };

  /** Sessions go straight to the holder's host while both nodes are online (no tor, no links). */
  const mailboxOf = (n: MemoryNode): MailboxTransport | undefined => {
    const own = hostOf(n.onion);
    if (!own) return undefined;
    const reachable = (onion: string): MemoryMailboxHost => {
      const target = nodes.get(onion);
      const host = hostOf(onion);
      if (!n.online || !target?.online || !host)
        throw new ChattorError('E_DIAL_TIMEOUT', 'the holder could not be reached');
      return host;
    };
    return {
      async connect(onion) {
        reachable(onion);
        let stream = 1;
        let open = true;
        return {
          async request(kind, body) {
            if (!open) throw new ChattorError('E_UNKNOWN_LINK', 'holder link closed');
            const frame = encodeFrame({ kind: kind as FrameKind, stream: stream++, body });
            await Promise.resolve();
            const reply = decodeFrame(await reachable(onion).handle(frame));
            return { kind: reply.kind, body: reply.body };
          },
          close() {
            open = false;
          },
        };
      },
      openAccount: async (capHash) => own.openAccount(capHash),
      closeAccount: async (capHash) => own.closeAccount(capHash),
      stats: async () => own.stats(),
    };
  };

  const node = (onion: string): MemoryNode => {
    let n = nodes.get(onion);
    if (!n) {
      n = {
        onion,
        online: true,
        nextLink: 1,
        endpoints: new Map(),
        bodyHandlers: new Set(),
        linkHandlers: new Set(),
      };
      nodes.set(onion, n);
    }
    return n;
  };

  const fire = (n: MemoryNode, e: LinkEvent): void => {
    queueMicrotask(() => {
      for (const h of n.linkHandlers) h(e);
    });
  };

  const connect = (a: Endpoint): void => {
    const b = a.target === undefined ? undefined : nodes.get(a.target);
    if (a.open || !a.node.online || !b || !b.online || b.transport === undefined) return;
    const incoming: Endpoint = { id: b.nextLink++, node: b, peer: a, open: true };
    b.endpoints.set(incoming.id, incoming);
    a.peer = incoming;
    a.open = true;
    fire(a.node, { link: a.id, open: true, onion: a.target! });
    fire(b, { link: incoming.id, open: true });
  };

  const disconnect = (ep: Endpoint): void => {
    const other = ep.peer;
    for (const e of other ? [ep, other] : [ep]) {
      if (!e.open) continue;
      e.open = false;
      e.peer = undefined;
      if (e.target === undefined) e.node.endpoints.delete(e.id);
      fire(e.node, { link: e.id, open: false, ...(e.target ? { onion: e.target } : {}) });
    }
  };

  const reconnectAll = (): void => {
    for (const n of nodes.values()) for (const ep of n.endpoints.values()) if (ep.target) connect(ep);
  };

  const deliver = (from: Endpoint, to: Endpoint, body: Uint8Array): void => {
    queueMicrotask(() => {
      if (!to.open || to.peer !== from || !from.open) return; // cut while in flight: lost
      if (net.tap && !net.tap({ from: from.node.onion, to: to.node.onion, body })) return;
      net.stats.bodies += 1;
      net.stats.bytes += body.length;
      if (to.capture) return to.capture(body.slice());
      for (const h of to.node.bodyHandlers) h(to.id, body.slice());
    });
  };

  const makeTransport = (n: MemoryNode): EngineTransport => ({
    async dial(onion) {
      for (const ep of n.endpoints.values()) {
        if (ep.target !== onion) continue;
        if (ep.open) fire(n, { link: ep.id, open: true, onion });
        return ep.id;
      }
      const ep: Endpoint = { id: n.nextLink++, node: n, target: onion, open: false };
      n.endpoints.set(ep.id, ep);
      connect(ep);
      return ep.id;
    },
    async close(link) {
      const ep = n.endpoints.get(link);
      if (!ep) return;
      disconnect(ep);
      n.endpoints.delete(link);
    },
    send(link, body) {
      const ep = n.endpoints.get(link);
      if (!ep?.open || !ep.peer) throw new ChattorError('E_UNKNOWN_LINK', 'link is not open');
      deliver(ep, ep.peer, body.slice());
    },
    onBody(h) {
      n.bodyHandlers.add(h);
      return () => n.bodyHandlers.delete(h);
    },
    onLink(h) {
      n.linkHandlers.add(h);
      return () => n.linkHandlers.delete(h);
    },
    contactOnion: () => n.onion,
    ...(opts.mailbox ? { mailbox: mailboxOf(n) } : {}),
    handles: {
      handleOnion: () => `${n.onion.slice(0, 52)}hndl`,
      exchange: (onion, body) => exchange(n, onion, body),
    },
  });

  /** An isolated link of its own: one body out, the first body back, then closed. */
  const exchange = (n: MemoryNode, onion: string, body: Uint8Array): Promise<Uint8Array> => {
    const b = nodes.get(onion);
    if (!n.online || !b?.online || !b.transport)
      return Promise.reject(new ChattorError('E_DIAL_TIMEOUT', 'the handle link could not be opened'));
    return new Promise((resolve, reject) => {
      const mine: Endpoint = { id: -1, node: n, open: true };
      const theirs: Endpoint = { id: b.nextLink++, node: b, peer: mine, open: true };
      mine.peer = theirs;
      b.endpoints.set(theirs.id, theirs);
      const timer = setTimeout(() => {
        disconnect(mine);
        reject(new ChattorError('E_DIAL_TIMEOUT', 'no answer on the handle link'));
      }, 60_000);
      mine.capture = (reply) => {
        clearTimeout(timer);
        disconnect(mine);
        resolve(reply);
      };
      fire(b, { link: theirs.id, open: true });
      deliver(mine, theirs, body.slice());
    });
  };

  const net: MemoryNetwork = {
    tap: undefined,
    stats: { bodies: 0, bytes: 0 },
    transport(onion) {
      const n = node(onion);
      if (!n.transport) {
        n.transport = makeTransport(n);
        reconnectAll();
      }
      return n.transport;
    },
    setOnline(onion, online) {
      const n = node(onion);
      n.online = online;
      if (!online) {
        for (const ep of [...n.endpoints.values()]) disconnect(ep);
        for (const other of nodes.values())
          for (const ep of other.endpoints.values()) if (ep.peer?.node === n) disconnect(ep);
      } else reconnectAll();
    },
    inject(from, to, body) {
      const target = nodes.get(to);
      const ep = [...(target?.endpoints.values() ?? [])].find((e) => e.open && e.peer?.node.onion === from);
      if (!ep || !target) throw new ChattorError('E_UNKNOWN_LINK', `no open link ${from} → ${to}`);
      const copy = body.slice();
      queueMicrotask(() => {
        for (const h of target.bodyHandlers) h(ep.id, copy);
      });
    },
  };
  return net;
}
