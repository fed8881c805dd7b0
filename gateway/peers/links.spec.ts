// Peer link checks without tor: a client connects straight to an onion listener on 127.0.0.1, or an
// outbound link dials through a fake SOCKS5 server that records credentials and forwards to one.
import { createServer, connect as netConnect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeDeposit, encodeFetch, decodeMbxError, MbxErrorCode } from '../../shared/wire/mailbox.js';
import { MailboxService } from '../mailbox/service.js';
import { MailboxStore } from '../mailbox/store.js';
import { envelope, mintTokens, rand, tempDir } from '../mailbox/testing.js';
import {
  FrameKind,
  MAX_FRAME,
  PeerErrorCode,
  decodeErrorBody,
  decodeFrame,
  encodeFrame,
} from '../../shared/wire/frame.js';
import { memoryLogger } from '../log.js';
import { PEER_PATH, PEER_SUBPROTOCOL } from './limits.js';
import type { LinkInfo, MailboxHandler } from './links.js';
import { LinkManager, normalizeOnion } from './links.js';
import { startPeerListener } from './listener.js';
import type { PeerListener } from './listener.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(
  opts: { hasClient?: boolean; mailbox?: MailboxHandler; socksPort?: number | (() => number | null) } = {},
) {
  const received: { link: number; frame: Uint8Array }[] = [];
  const connected: LinkInfo[] = [];
  const log = memoryLogger();
  const links = new LinkManager({
    socksPort: () => (typeof opts.socksPort === 'function' ? opts.socksPort() : (opts.socksPort ?? null)),
    hasClient: () => opts.hasClient ?? true,
    mailbox: opts.mailbox,
    events: {
      connected: (i) => connected.push(i),
      closed: () => {},
      frame: (link, frame) => received.push({ link, frame: frame.slice() }),
    },
    log,
  });
  const listener: PeerListener = await startPeerListener('contact', links, log);
  cleanup.push(async () => {
    links.closeAll();
    await listener.close();
  });
  return { links, listener, received, connected, log };
}

async function connect(
  port: number,
  protocol = PEER_SUBPROTOCOL,
): Promise<{ ws: WebSocket; frames: Uint8Array[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${PEER_PATH}`, [protocol]);
  const frames: Uint8Array[] = [];
  ws.on('message', (d: Buffer) => frames.push(new Uint8Array(d)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  cleanup.push(async () => void ws.terminate());
  return { ws, frames };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * A SOCKS5 server (RFC 1928/1929) for tests: records each CONNECT's host name and the user:password
 * it came with (null without authentication), then forwards the stream to 127.0.0.1:targetPort.
 */
async function fakeSocks(targetPort: number) {
  const auths: (string | null)[] = [];
  const hosts: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let step: 'hello' | 'auth' | 'request' = 'hello';
    let auth: string | null = null;
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (step === 'hello') {
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
          const methods = [...buf.subarray(2, 2 + buf[1]!)];
          buf = buf.subarray(2 + buf[1]!);
          step = methods.includes(2) ? 'auth' : 'request';
          client.write(Buffer.from([5, methods.includes(2) ? 2 : 0]));
        } else if (step === 'auth') {
          const ulen = buf[1];
          if (ulen === undefined || buf.length < 3 + ulen) return;
          const plen = buf[2 + ulen]!;
          if (buf.length < 3 + ulen + plen) return;
          auth = `${buf.subarray(2, 2 + ulen).toString()}:${buf.subarray(3 + ulen, 3 + ulen + plen).toString()}`;
          buf = buf.subarray(3 + ulen + plen);
          step = 'request';
          client.write(Buffer.from([1, 0]));
        } else {
          if (buf.length < 5 || buf[3] !== 3) return;
          const n = buf[4]!;
          if (buf.length < 7 + n) return;
          hosts.push(buf.subarray(5, 5 + n).toString());
          auths.push(auth);
          const rest = buf.subarray(7 + n);
          client.off('data', onData);
          const upstream = netConnect(targetPort, '127.0.0.1', () => {
            client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
            if (rest.length) upstream.write(rest);
            client.pipe(upstream).pipe(client);
          });
          sockets.add(upstream);
          upstream.on('close', () => {
            sockets.delete(upstream);
            client.destroy();
          });
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          return;
        }
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    auths,
    hosts,
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function errorsOf(frames: Uint8Array[]) {
  return frames
    .map((f) => decodeFrame(f))
    .filter((f) => f.kind === FrameKind.ERROR)
    .map((f) => decodeErrorBody(f.body).code);
}

describe('peer links', () => {
  it('forwards valid frames in order, and answers bad ones with error frames while the link stays up', async () => {
    const { listener, received, connected } = await setup();
    const { ws, frames } = await connect(listener.port);
    await until(() => connected.length === 1);
    expect(connected[0]).toMatchObject({ direction: 'in', via: 'contact', open: true });

    const good = (i: number) =>
      encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([i, i, i]) });
    ws.send(good(1));
    ws.send(new Uint8Array([1, 2, 3])); // truncated
    const flipped = good(2);
    flipped[11]! ^= 0x10;
    ws.send(flipped);
    ws.send(new Uint8Array(MAX_FRAME + 10)); // oversized, below the hard cap
    ws.send(good(3));
    await until(() => received.length === 2 && frames.length === 3);
    expect(received.map((r) => r.frame[10])).toEqual([1, 3]);
    expect(errorsOf(frames)).toEqual([
      PeerErrorCode.MALFORMED,
      PeerErrorCode.MALFORMED,
      PeerErrorCode.TOO_LARGE,
    ]);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a link that sends past the hard cap or text', async () => {
    const { listener } = await setup();
    const a = await connect(listener.port);
    const closedA = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
    a.ws.send(new Uint8Array(3 * 1024 * 1024));
    expect(await closedA).toBe(1009);
    const b = await connect(listener.port);
    const closedB = new Promise<number>((r) => b.ws.once('close', (code) => r(code)));
    b.ws.send('hello');
    expect(await closedB).toBe(1003);
  });

  it('refuses a handshake without the peer subprotocol', async () => {
    const { listener } = await setup();
    await expect(connect(listener.port, 'other')).rejects.toThrow(/400/);
  });

  it('tells the sender when no browser is attached', async () => {
    const { listener, received } = await setup({ hasClient: false });
    const { ws, frames } = await connect(listener.port);
    ws.send(encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([1]) }));
    await until(() => frames.length === 1);
    expect(errorsOf(frames)).toEqual([PeerErrorCode.NO_CLIENT]);
    expect(received).toHaveLength(0);
  });

  it('sends frames the browser built, checked first', async () => {
    const { links, listener, connected } = await setup();
    const { frames } = await connect(listener.port);
    await until(() => connected.length === 1);
    const link = connected[0]!.link;
    links.send(link, encodeFrame({ kind: FrameKind.DATA, stream: 5, body: new Uint8Array([7]) }));
    expect(() => links.send(link, new Uint8Array([1]))).toThrow(/truncated/);
    expect(() =>
      links.send(999, encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array() })),
    ).toThrow(/not open/);
    await until(() => frames.length === 1);
    expect(decodeFrame(frames[0]!).stream).toBe(5);
  });

  it('answers a DEPOSIT with no browser attached, on the same link and stream, never forwarding it', async () => {
    const tmp = tempDir();
    const store = MailboxStore.open({ dataDir: tmp.dir });
    cleanup.push(async () => {
      store.close();
      tmp.remove();
    });
    const mailbox = new MailboxService({ store, log: memoryLogger() });
    const { listener, received } = await setup({ hasClient: false, mailbox });
    const { ws, frames } = await connect(listener.port);
    const [token] = mintTokens(store.tokenKey, 1);
    const body = encodeDeposit({
      keyId: store.tokenKey.keyId,
      token: token!,
      mid: rand(16),
      envelope: envelope(),
    });
    ws.send(encodeFrame({ kind: FrameKind.DEPOSIT, stream: 41, body }));
    ws.send(encodeFrame({ kind: FrameKind.DEPOSIT, stream: 42, body }));
    await until(() => frames.length === 2);
    const [stored, again] = frames.map((f) => decodeFrame(f));
    expect(stored).toMatchObject({ kind: FrameKind.STORED, stream: 41 });
    expect(again!.kind).toBe(FrameKind.MBX_ERROR);
    expect(again!.stream).toBe(42);
    expect(decodeMbxError(again!.body).code).toBe(MbxErrorCode.TOKEN_SPENT);
    expect(received).toHaveLength(0);
    expect(store.stats().envelopes).toBe(1);
  });

  it('forwards mailbox replies to the browser, refuses requests without a mailbox, rate-limits them', async () => {
    let handled = 0;
    const mailbox: MailboxHandler = {
      handle: (_kind, stream) => {
        handled++;
        return encodeFrame({ kind: FrameKind.DELETED, stream, body: new Uint8Array(4) });
      },
    };
    const a = await setup({ mailbox });
    const { ws, frames } = await connect(a.listener.port);
    ws.send(encodeFrame({ kind: FrameKind.STORED, stream: 3, body: new Uint8Array() }));
    await until(() => a.received.length === 1);
    expect(decodeFrame(a.received[0]!.frame)).toMatchObject({ kind: FrameKind.STORED, stream: 3 });

    // 200/s, burst 1,000: of 1,100 requests sent at once, about 1,000 are served and one
    // RATE_LIMITED answers the rest (at most once a second).
    const fetch = encodeFetch({ max: 1, fetchKeys: [rand(32)] });
    for (let i = 1; i <= 1100; i++) ws.send(encodeFrame({ kind: FrameKind.FETCH, stream: i, body: fetch }));
    await until(() => frames.length >= 1001);
    await new Promise((r) => setTimeout(r, 100));
    const kinds = frames.map((f) => decodeFrame(f).kind);
    const limited = frames.map((f) => decodeFrame(f)).filter((f) => f.kind === FrameKind.MBX_ERROR);
    expect(limited).toHaveLength(1);
    expect(decodeMbxError(limited[0]!.body).code).toBe(MbxErrorCode.RATE_LIMITED);
    expect(handled).toBeGreaterThanOrEqual(1000);
    expect(handled).toBeLessThan(1100);
    expect(kinds.filter((k) => k === FrameKind.DELETED)).toHaveLength(handled);
    expect(a.received).toHaveLength(1);

    const b = await setup({ hasClient: false });
    const other = await connect(b.listener.port);
    other.ws.send(encodeFrame({ kind: FrameKind.FETCH, stream: 1, body: fetch }));
    await until(() => other.frames.length === 1);
    expect(errorsOf(other.frames)).toEqual([PeerErrorCode.UNSUPPORTED_KIND]);
  });

  it('dials isolated links with fresh SOCKS credentials, kept across redials; plain dials are shared', async () => {
    const target = await setup({ hasClient: false });
    const socks = await fakeSocks(target.listener.port);
    cleanup.push(() => socks.close());
    const a = await setup({ socksPort: socks.port });
    const onion = 'b'.repeat(56);
    const plain = a.links.dial(onion);
    expect(a.links.dial(`${onion}.onion`)).toBe(plain);
    const iso1 = a.links.dial(onion, { isolated: true });
    const iso2 = a.links.dial(onion, { isolated: true });
    expect(new Set([plain, iso1, iso2]).size).toBe(3);
    expect(a.links.dial(onion)).toBe(plain);
    await until(() => a.connected.length === 3);
    expect(socks.hosts).toEqual([`${onion}.onion`, `${onion}.onion`, `${onion}.onion`]);
    const creds = socks.auths.filter((x) => x !== null);
    expect(socks.auths.filter((x) => x === null)).toHaveLength(1);
    expect(creds).toHaveLength(2);
    expect(new Set(creds).size).toBe(2);
    for (const c of creds) expect(c).toMatch(/^[0-9a-f]{32}:[0-9a-f]{32}$/);

    // A mailbox request over the isolated link: the reply comes back to this side's browser.
    a.links.send(
      iso1,
      encodeFrame({ kind: FrameKind.FETCH, stream: 7, body: encodeFetch({ max: 1, fetchKeys: [rand(32)] }) }),
    );
    await until(() => a.received.length === 1);
    expect(a.received[0]!.link).toBe(iso1);
    expect(decodeFrame(a.received[0]!.frame).kind).toBe(FrameKind.ERROR); // the target holds no mail

    // Drop every connection: each link redials with the credentials it had.
    socks.dropAll();
    await until(() => a.connected.length === 6, 10_000);
    expect(
      socks.auths
        .slice(3)
        .filter((x) => x !== null)
        .sort(),
    ).toEqual([...creds].sort());
    expect(socks.auths.slice(3).filter((x) => x === null)).toHaveLength(1);
  });

  it('dials at once, backoff reset, when tor is ready again (§1.5)', async () => {
    const target = await setup({ hasClient: false });
    const socks = await fakeSocks(target.listener.port);
    cleanup.push(() => socks.close());
    let port: number | null = null; // tor is down: every attempt fails and the waits grow (1 s, 2 s, …)
    const a = await setup({ socksPort: () => port });
    a.links.dial('b'.repeat(56));
    await new Promise((r) => setTimeout(r, 1300)); // two attempts failed; the next is ≥ 1.6 s away
    port = socks.port;
    a.links.redialNow();
    await until(() => a.connected.length === 1, 1000);
  });

  it('validates onion addresses', () => {
    const id = 'a'.repeat(55) + 'd';
    expect(normalizeOnion(`${id.toUpperCase()}.onion`)).toBe(id);
    expect(() => normalizeOnion('example.com')).toThrow(/v3 onion/);
    expect(() => normalizeOnion('a'.repeat(16))).toThrow(/v3 onion/);
  });

  it('refuses bulk frames while a peer link is backed up, never chat frames (§6.4)', async () => {
    const { links, listener, connected } = await setup();
    const { ws } = await connect(listener.port);
    await until(() => connected.length === 1);
    const link = connected[0]!.link;
    (ws as unknown as { _socket: Socket })._socket.pause(); // the peer stops reading
    const chunk = (stream: number) =>
      encodeFrame({ kind: FrameKind.DATA, stream, body: new Uint8Array(MAX_FRAME - 14) });
    let refused: unknown;
    for (let i = 0; i < 200 && !refused; i++) {
      try {
        links.send(link, chunk(5));
      } catch (e) {
        refused = e;
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(String(refused)).toMatch(/backed up/);
    expect(() => links.send(link, chunk(0))).not.toThrow();
  });
});
