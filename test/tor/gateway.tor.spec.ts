// Backbone over real onion services (issue: backbone): two gateways on the private Tor network.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  FrameKind,
  PeerErrorCode,
  decodeErrorBody,
  decodeFrame,
  encodeFrame,
} from '../../shared/wire/frame.js';
import { LocalClient } from '../support/local-client.js';
import { startTestGateway } from '../support/gateways.js';
import { dialOnion, socks5Connect } from '../support/socks.js';
import type { SocksError } from '../support/socks.js';
import type { TestGateway } from '../support/gateways.js';

let a: TestGateway;
let b: TestGateway;
let ca: LocalClient;
let cb: LocalClient;
const lines = () => inject('testnet').clientTorrcLines;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestGateway('a', lines()), startTestGateway('b', lines())]);
  ca = await LocalClient.connect(a.uiUrl, a.token);
  cb = await LocalClient.connect(b.uiUrl, b.token);
});

afterAll(async () => {
  ca?.close();
  cb?.close();
  await Promise.allSettled([a?.dispose(), b?.dispose()]);
});

const body = (tag: number, i: number) => {
  const out = new Uint8Array(64 + (i % 300));
  new DataView(out.buffer).setUint32(0, i);
  out[4] = tag;
  for (let j = 5; j < out.length; j++) out[j] = (i * 31 + j) & 0xff;
  return out;
};

async function waitFor(cond: () => boolean, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A's link to B's contact onion, once open; returns [A's link id, B's link id]. */
async function linkAtoB(): Promise<[number, number]> {
  const from = cb.events.length;
  const done = await ca.command('DialPeer', { onion: b.contactOnion });
  const link = done.link as number;
  await ca.waitForEvent((e) => e.t === 'PeerConnected' && e.link === link, 120_000);
  const inEv = await cb.waitForEvent((e) => e.t === 'PeerConnected' && e.direction === 'in', 60_000, from);
  return [link, inEv.link as number];
}

describe('gateway backbone on the private Tor network', () => {
  it('shows tor bootstrapped and both onions in its status', async () => {
    const r = await fetch(`${b.uiUrl}/api/status`, { headers: { authorization: `Bearer ${b.token}` } });
    const s = (await r.json()) as {
      tor: { state: string; progress: number };
      onions: { contact: string; handle: string };
    };
    expect(s.tor).toMatchObject({ state: 'ready', progress: 100 });
    expect(s.onions.contact).toBe(b.contactOnion);
    expect(s.onions.handle).toBe(b.handleOnion);
    expect(s.onions.contact).not.toBe(s.onions.handle);
  });

  it('carries 1,000 frames each way, complete, in order, byte-identical', async () => {
    const [linkA, linkB] = await linkAtoB();
    const N = 1000;
    const gotB: Uint8Array[] = [];
    const gotA: Uint8Array[] = [];
    const offB = cb.onFrame((l, f) => l === linkB && gotB.push(f));
    const offA = ca.onFrame((l, f) => l === linkA && gotA.push(f));
    for (let i = 0; i < N; i++) {
      ca.sendFrame(linkA, encodeFrame({ kind: FrameKind.DATA, stream: 0, body: body(1, i) }));
      cb.sendFrame(linkB, encodeFrame({ kind: FrameKind.DATA, stream: 0, body: body(2, i) }));
    }
    await waitFor(() => gotA.length >= N && gotB.length >= N, 120_000, '1,000 frames each way');
    offA();
    offB();
    expect(gotB).toHaveLength(N);
    expect(gotA).toHaveLength(N);
    for (let i = 0; i < N; i++) {
      expect(Array.from(decodeFrame(gotB[i]!).body)).toEqual(Array.from(body(1, i)));
      expect(Array.from(decodeFrame(gotA[i]!).body)).toEqual(Array.from(body(2, i)));
    }
    await ca.command('ClosePeer', { link: linkA });
  });

  it('refuses garbage and oversized frames from a raw SOCKS client while a real link keeps working', async () => {
    const [linkA, linkB] = await linkAtoB();
    // 1. Not even HTTP: the listener drops it.
    const raw = await socks5Connect(a.socksPort, `${b.contactOnion}.onion`, 80);
    const rawClosed = new Promise<void>((r) => raw.once('close', () => r()));
    raw.write(Buffer.from('\x00\x01garbage that is not a websocket\r\n\r\n'));
    await rawClosed;
    // 2. A WebSocket without the peer subprotocol: refused with 400.
    const http = await socks5Connect(a.socksPort, `${b.contactOnion}.onion`, 80);
    const answer = new Promise<string>((r) => http.once('data', (d: Buffer) => r(d.toString('latin1'))));
    http.write(
      `GET /peer HTTP/1.1\r\nHost: ${b.contactOnion}.onion\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(await answer).toMatch(/^HTTP\/1\.1 400/);
    http.destroy();
    // 3. Malformed and oversized frames on A's real link: answered with error frames, link stays up.
    const errors: number[] = [];
    const off = ca.onFrame((l, f) => {
      if (l !== linkA) return;
      const d = decodeFrame(f);
      if (d.kind === FrameKind.ERROR) errors.push(decodeErrorBody(d.body).code);
    });
    // A hostile peer speaks WebSocket over tor to B's contact onion and sends junk.
    const { default: WebSocket } = await import('ws');
    const { SocksProxyAgent } = await import('socks-proxy-agent');
    const evil = new WebSocket(`ws://${b.contactOnion}.onion/peer`, ['chattor.peer.v1'], {
      agent: new SocksProxyAgent(`socks5h://127.0.0.1:${a.socksPort}`),
      maxPayload: 4 * 1024 * 1024,
    });
    const evilErrors: number[] = [];
    evil.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d));
      if (f.kind === FrameKind.ERROR) evilErrors.push(decodeErrorBody(f.body).code);
    });
    await new Promise<void>((r, j) => (evil.once('open', () => r()), evil.once('error', j)));
    evil.send(new Uint8Array([1, 2, 3, 4]));
    evil.send(new Uint8Array(1024 * 1024 + 100));
    const flipped = encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([1, 2, 3]) });
    flipped[12]! ^= 1;
    evil.send(flipped);
    await waitFor(() => evilErrors.length >= 3, 60_000, 'error frames to the evil peer');
    expect(evilErrors).toEqual([PeerErrorCode.MALFORMED, PeerErrorCode.TOO_LARGE, PeerErrorCode.MALFORMED]);
    const evilClosed = new Promise<number>((r) => evil.once('close', (c) => r(c)));
    evil.send(new Uint8Array(3 * 1024 * 1024));
    expect(await evilClosed).toBe(1009);
    // The honest link still carries frames both ways.
    const got: Uint8Array[] = [];
    const offB = cb.onFrame((l, f) => l === linkB && got.push(f));
    ca.sendFrame(linkA, encodeFrame({ kind: FrameKind.DATA, stream: 3, body: new Uint8Array([42]) }));
    await waitFor(() => got.length === 1, 30_000, 'frame after the attack');
    offB();
    off();
    expect(errors).toEqual([]);
    await ca.command('ClosePeer', { link: linkA });
  });

  it('rotates the handle onion, and the old address stops answering', async () => {
    const before = b.handleOnion;
    const probe = await socks5Connect(a.socksPort, `${before}.onion`, 80);
    probe.destroy();
    const done = await cb.command('RotateHandle');
    const next = done.onion as string;
    expect(next).not.toBe(before);
    await cb.waitForEvent((e) => e.t === 'OnionPublished' && e.kind === 'handle' && e.onion === next);
    // The new one answers (retry while its descriptor propagates)…
    (await dialOnion(a.socksPort, next, 80)).destroy();
    // …and the old one does not: tor answers with an onion error code (0xF0–0xF7) or a failure.
    const err = await socks5Connect(a.socksPort, `${before}.onion`, 80).then(
      (s) => (s.destroy(), null),
      (e: SocksError) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.reply).toBeGreaterThan(0);
    b.handleOnion = next;
  });

  // Retried for the same tor behaviour as tor-layer's restart test (an onion re-published after a
  // SIGKILL sometimes stays unreachable for minutes on the private network).
  it('brings a killed tor back, and the peer link comes back', { timeout: 420_000, retry: 2 }, async () => {
    const [linkA] = await linkAtoB();
    const fromA = ca.events.length;
    const fromB = cb.events.length;
    const pid = await b.torPid();
    process.kill(pid, 'SIGKILL');
    const closed = await ca.waitForEvent(
      (e) => e.t === 'PeerClosed' && e.link === linkA && e.willRetry === true,
      120_000,
      fromA,
    );
    await cb.waitForEvent((e) => e.t === 'OnionPublished' && e.kind === 'contact', 120_000, fromB);
    await ca.waitForEvent(
      (e) => e.t === 'PeerConnected' && e.link === linkA,
      180_000,
      ca.events.indexOf(closed) + 1,
    );
    expect(await b.torPid()).not.toBe(pid);
    const got: Uint8Array[] = [];
    const off = cb.onFrame((_l, f) => got.push(f));
    ca.sendFrame(linkA, encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([7, 7]) }));
    await waitFor(() => got.length >= 1, 60_000, 'a frame over the restored link');
    off();
    await ca.command('ClosePeer', { link: linkA });
  });

  // Retried like the tor-restart test: after a restart the re-published onion sometimes stays
  // unreachable for minutes on the private network (root cause not found; see the closing notes).
  it('keeps the same contact onion when the gateway restarts', { retry: 2 }, async () => {
    const before = b.contactOnion;
    cb.close();
    b = await b.restart();
    cb = await LocalClient.connect(b.uiUrl, b.token);
    expect(b.contactOnion).toBe(before);
    const [linkA] = await linkAtoB();
    expect(linkA).toBeGreaterThan(0);
  });
});
