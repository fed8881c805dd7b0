// Peer link checks without tor: a client connects straight to an onion listener on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
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
import type { LinkInfo } from './links.js';
import { LinkManager, normalizeOnion } from './links.js';
import { startPeerListener } from './listener.js';
import type { PeerListener } from './listener.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(opts: { hasClient?: boolean } = {}) {
  const received: { link: number; frame: Uint8Array }[] = [];
  const connected: LinkInfo[] = [];
  const log = memoryLogger();
  const links = new LinkManager({
    socksPort: () => null,
    hasClient: () => opts.hasClient ?? true,
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

  it('validates onion addresses', () => {
    const id = 'a'.repeat(55) + 'd';
    expect(normalizeOnion(`${id.toUpperCase()}.onion`)).toBe(id);
    expect(() => normalizeOnion('example.com')).toThrow(/v3 onion/);
    expect(() => normalizeOnion('a'.repeat(16))).toThrow(/v3 onion/);
  });
});
