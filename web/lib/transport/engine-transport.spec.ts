import { describe, expect, it } from 'vitest';
import {
  FrameKind,
  PeerErrorCode,
  decodeFrame,
  encodeErrorFrame,
  encodeFrame,
} from '../../../shared/wire/frame';
import { GatewayEngineTransport, type EngineTransportClient } from './engine-transport';
import type { LocalEventMap, LocalEventType, LocalStatus } from './local-protocol';

const ONION = 'a'.repeat(56);
const OTHER = 'b'.repeat(56);

function status(links: LocalStatus['links'] = [], contact?: string): LocalStatus {
  return {
    version: '0.1.0',
    tor: { state: 'ready', progress: 100, summary: 'Done', socksPort: 9050 },
    onions: contact === undefined ? {} : { contact },
    links,
    uiUrl: 'http://127.0.0.1:7780/',
  };
}

class FakeClient implements EngineTransportClient {
  sent: [number, Uint8Array][] = [];
  dialed: string[] = [];
  closed: number[] = [];
  frameListener: ((link: number, frame: Uint8Array) => void) | null = null;
  listeners = new Map<string, (e: never) => void>();

  isolated: string[] = [];
  nextIsolated = 40;
  dialPeer = (onion: string, opts: { isolated?: boolean } = {}) => {
    if (opts.isolated) {
      this.isolated.push(onion);
      return Promise.resolve(this.nextIsolated++);
    }
    this.dialed.push(onion);
    return Promise.resolve(7);
  };
  openMailboxAccount = (capHash: string) => Promise.resolve(`okey-${capHash.slice(0, 4)}`);
  closeMailboxAccount = () => Promise.resolve();
  bufferedAmount = () => 0;
  getMailboxStats = () => Promise.resolve({ accounts: 1, envelopes: 2, bytes: 2048, oldestAt: null });
  closePeer = (link: number) => {
    this.closed.push(link);
    return Promise.resolve();
  };
  sendFrame = (link: number, frame: Uint8Array) => void this.sent.push([link, frame]);
  onFrame = (listener: (link: number, frame: Uint8Array) => void) => {
    this.frameListener = listener;
    return () => (this.frameListener = null);
  };
  on = <K extends LocalEventType>(t: K, listener: (e: LocalEventMap[K]) => void) => {
    this.listeners.set(t, listener as (e: never) => void);
    return () => this.listeners.delete(t);
  };
  emit<K extends LocalEventType>(t: K, e: Omit<LocalEventMap[K], 't'>): void {
    (this.listeners.get(t) as ((e: LocalEventMap[K]) => void) | undefined)?.({ ...e, t } as LocalEventMap[K]);
  }
}

describe('GatewayEngineTransport', () => {
  it('dials the bare onion, reports links, and sends DATA frames on stream 0 only over open links', async () => {
    const client = new FakeClient();
    const errors: unknown[] = [];
    const t = new GatewayEngineTransport(client, {
      status: () => status([], `${ONION}.onion`),
      onError: (e) => errors.push(e),
    });
    const links: unknown[] = [];
    t.onLink((e) => links.push(e));

    expect(t.contactOnion()).toBe(ONION);
    expect(await t.dial(`${OTHER}.onion`)).toBe(7);
    expect(client.dialed).toEqual([OTHER]);

    expect(() => t.send(7, new Uint8Array([1]))).toThrow(/not open/);
    client.emit('PeerConnected', { link: 7, direction: 'out', onion: `${OTHER}.onion` });
    expect(links).toEqual([{ link: 7, open: true, onion: OTHER }]);
    t.send(7, new Uint8Array([1, 2, 3]));
    const [link, frame] = client.sent[0]!;
    expect(link).toBe(7);
    expect(decodeFrame(frame)).toMatchObject({
      kind: FrameKind.DATA,
      stream: 0,
      body: new Uint8Array([1, 2, 3]),
    });

    client.emit('PeerClosed', { link: 7, reason: 'gone', willRetry: true });
    expect(links.at(-1)).toEqual({ link: 7, open: false });
    expect(() => t.send(7, new Uint8Array([1]))).toThrow(/not open/);
    await t.close(7);
    expect(client.closed).toEqual([7]);
    expect(errors).toEqual([]);
  });

  it('passes DATA bodies to the engine and reports ERROR frames and damaged frames quietly', () => {
    const client = new FakeClient();
    const errors: { code?: string }[] = [];
    const t = new GatewayEngineTransport(client, {
      status: () => null,
      onError: (e) => errors.push(e as { code?: string }),
    });
    const bodies: [number, number[]][] = [];
    t.onBody((link, body) => bodies.push([link, [...body]]));

    client.frameListener?.(3, encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([9]) }));
    client.frameListener?.(3, encodeErrorFrame(PeerErrorCode.NO_CLIENT, 'no browser'));
    const damaged = encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([1]) });
    damaged[10]! ^= 1;
    client.frameListener?.(3, damaged);

    expect(bodies).toEqual([[3, [9]]]);
    expect(errors.map((e) => e.code)).toEqual(['E_NO_CLIENT', 'E_FRAME_MALFORMED']);
    expect(t.contactOnion()).toBeUndefined();
  });

  it('adopts links from status and drops them when the gateway no longer lists them', () => {
    const client = new FakeClient();
    const t = new GatewayEngineTransport(client, {
      status: () => status([{ link: 1, direction: 'in', open: true }]),
    });
    const links: unknown[] = [];
    t.onLink((e) => links.push(e));
    expect(links).toEqual([{ link: 1, open: true }]); // replayed to a new subscriber
    links.length = 0;
    t.send(1, new Uint8Array());
    client.emit('StatusChanged', {
      status: status([{ link: 2, direction: 'out', onion: ONION, open: true }]),
    });
    expect(links).toEqual([
      { link: 1, open: false },
      { link: 2, open: true, onion: ONION },
    ]);
    t.dispose();
    expect(client.frameListener).toBeNull();
  });

  it('a restarted gateway (another instance, §2.2): every known link closes, even a reused number', () => {
    const client = new FakeClient();
    const first = { ...status([{ link: 1, direction: 'out', onion: ONION, open: true }]), instance: 'a' };
    const t = new GatewayEngineTransport(client, { status: () => first });
    const links: unknown[] = [];
    t.onLink((e) => links.push(e));
    links.length = 0;
    // The same status again, then a reconnect to the same instance: nothing changes.
    client.emit('StatusChanged', { status: first });
    expect(links).toEqual([]);
    // The new instance numbers an accepted link 1: the old link 1 (to ONION) is gone, the new one has
    // no onion, and nothing was closed at the new gateway on the old link's behalf.
    client.emit('StatusChanged', {
      status: { ...status([{ link: 1, direction: 'in', open: true }]), instance: 'b' },
    });
    expect(links).toEqual([
      { link: 1, open: false },
      { link: 1, open: true },
    ]);
    expect(client.closed).toEqual([]);
  });

  it('a restarted gateway: a link we dialed that was not open is said closed too', async () => {
    const client = new FakeClient();
    const first = { ...status([]), instance: 'a' };
    const t = new GatewayEngineTransport(client, { status: () => first });
    const links: unknown[] = [];
    t.onLink((e) => links.push(e));
    expect(await t.dial(ONION)).toBe(7); // waiting for the peer, never open
    client.emit('StatusChanged', { status: first });
    expect(links).toEqual([]);
    client.emit('StatusChanged', { status: { ...status([]), instance: 'b' } });
    expect(links).toEqual([{ link: 7, open: false }]);
    // Said once: the new instance has not given that number out.
    client.emit('StatusChanged', { status: { ...status([]), instance: 'c' } });
    expect(links).toEqual([{ link: 7, open: false }]);
  });

  it('keeps isolated mailbox links away from the engine and matches replies by stream', async () => {
    const client = new FakeClient();
    const t = new GatewayEngineTransport(client, { status: () => status([], `${ONION}.onion`) });
    const events: unknown[] = [];
    t.onLink((e) => events.push(e));
    const connecting = t.mailbox.connect(`${ONION}.onion`);
    await Promise.resolve();
    await Promise.resolve();
    client.emit('PeerConnected', { link: 40, direction: 'out', onion: `${ONION}.onion` });
    const session = await connecting;
    expect(client.isolated).toEqual([ONION]);
    expect(events).toEqual([]);
    const a = session.request(FrameKind.FETCH, new Uint8Array([1]));
    const b = session.request(FrameKind.FETCH, new Uint8Array([2]));
    const streams = client.sent.map(([, f]) => decodeFrame(f).stream);
    expect(streams).toEqual([1, 2]);
    client.frameListener!(40, encodeFrame({ kind: FrameKind.DELETED, stream: 2, body: new Uint8Array(4) }));
    client.frameListener!(40, encodeFrame({ kind: FrameKind.STORED, stream: 1, body: new Uint8Array(0) }));
    expect((await a).kind).toBe(FrameKind.STORED);
    expect((await b).kind).toBe(FrameKind.DELETED);
    const c = session.request(FrameKind.FETCH, new Uint8Array([3]));
    client.emit('PeerClosed', { link: 40, reason: 'closed', willRetry: false });
    await expect(c).rejects.toThrow(/closed/);
    session.close();
    expect(client.closed).toEqual([40]);
    expect(await t.mailbox.stats()).toEqual({ accounts: 1, envelopes: 2, bytes: 2048, oldestAt: null });
  });

  it('a handle exchange (§8.4): one body out on an isolated link, the first DATA back, then closed', async () => {
    const client = new FakeClient();
    const st = {
      ...status([], `${ONION}.onion`),
      onions: { contact: `${ONION}.onion`, handle: `${OTHER}.onion` },
    };
    const t = new GatewayEngineTransport(client, { status: () => st });
    const bodies: unknown[] = [];
    t.onBody((link, body) => bodies.push([link, body]));
    expect(t.handles.handleOnion()).toBe(OTHER);
    const exchange = t.handles.exchange(`${ONION}.onion`, Uint8Array.of(1, 4, 1, 9));
    await Promise.resolve();
    await Promise.resolve();
    client.emit('PeerConnected', { link: 40, direction: 'out', onion: `${ONION}.onion` });
    await new Promise((r) => setTimeout(r, 0));
    expect(client.isolated).toEqual([ONION]);
    const [[link, frame]] = client.sent as [[number, Uint8Array]];
    expect(link).toBe(40);
    expect(decodeFrame(frame)).toMatchObject({
      kind: FrameKind.DATA,
      stream: 0,
      body: Uint8Array.of(1, 4, 1, 9),
    });
    client.frameListener!(
      40,
      encodeFrame({ kind: FrameKind.DATA, stream: 0, body: Uint8Array.of(1, 4, 2, 7) }),
    );
    expect(await exchange).toEqual(Uint8Array.of(1, 4, 2, 7));
    expect(client.closed).toEqual([40]);
    expect(bodies).toEqual([]); // never handed to the engine as a link of its own
  });
});
