import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isChattorError } from '../../../shared/util/errors';
import {
  GatewayClient,
  GatewayCommandError,
  type ConnectionInfo,
  type WebSocketLike,
} from './gateway-client';
import type { LocalStatus } from './local-protocol';

const TOKEN = 't'.repeat(43);
const ONION = 'a'.repeat(56);
const status: LocalStatus = {
  version: '0.1.0',
  tor: { state: 'ready', progress: 100, summary: 'Done', socksPort: 9050 },
  onions: { contact: ONION },
  links: [],
  uiUrl: 'http://127.0.0.1:7780/',
};

class FakeSocket implements WebSocketLike {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  protocol = '';
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  sent: (string | Uint8Array)[] = [];
  closed: { code?: number } | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    this.sent.push(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer));
  }
  close(code?: number): void {
    this.closed = { code };
    this.readyState = 3;
  }
  // test drivers
  open(protocol = 'chattor.local.v1'): void {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  receive(data: unknown): void {
    this.onmessage?.({
      data: typeof data === 'string' || data instanceof ArrayBuffer ? data : JSON.stringify(data),
    } as MessageEvent);
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006 } as CloseEvent);
  }
  sentJson(): Record<string, unknown>[] {
    return this.sent
      .filter((s): s is string => typeof s === 'string')
      .map((s) => JSON.parse(s) as Record<string, unknown>);
  }
}

let sockets: FakeSocket[];
let errors: unknown[];
function makeClient(options: { commandTimeoutMs?: number } = {}): GatewayClient {
  return new GatewayClient({
    token: TOKEN,
    url: 'ws://127.0.0.1:7780/local',
    createSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
    onError: (e) => errors.push(e),
    random: () => 1,
    backoff: { initialMs: 100, maxMs: 1000 },
    ...options,
  });
}
const last = () => sockets[sockets.length - 1]!;

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  errors = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GatewayClient', () => {
  it('connects with the local and token subprotocols and arraybuffer frames', () => {
    makeClient().start();
    expect(last().url).toBe('ws://127.0.0.1:7780/local');
    expect(last().protocols).toEqual(['chattor.local.v1', `chattor.token.${TOKEN}`]);
    expect(last().binaryType).toBe('arraybuffer');
  });

  it('queues commands until open and resolves them with the checked result', async () => {
    const client = makeClient();
    client.start();
    const pending = client.getStatus();
    expect(last().sent).toEqual([]);
    last().open();
    const [cmd] = last().sentJson();
    expect(cmd).toMatchObject({ t: 'GetStatus' });
    last().receive({ t: 'CommandDone', id: cmd!.id, status });
    await expect(pending).resolves.toEqual(status);
  });

  it('sends command fields and maps CommandFailed to GatewayCommandError', async () => {
    const client = makeClient();
    client.start();
    last().open();
    const dial = client.dialPeer(ONION);
    const [cmd] = last().sentJson();
    expect(cmd).toEqual({ t: 'DialPeer', id: cmd!.id, onion: ONION });
    last().receive({ t: 'CommandFailed', id: cmd!.id, code: 'E_DIAL_FAILED', message: 'no route' });
    const error = await dial.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayCommandError);
    expect(error).toMatchObject({ command: 'DialPeer', code: 'E_DIAL_FAILED', message: 'no route' });
  });

  it('dials isolated links and runs the mailbox commands of §5.8', async () => {
    const client = makeClient();
    client.start();
    last().open();
    const reply = (fields: object) => {
      const cmd = last().sentJson().at(-1)!;
      last().receive({ t: 'CommandDone', id: cmd.id, ...fields });
      return cmd;
    };

    const dial = client.dialPeer(ONION, { isolated: true });
    expect(reply({ link: 9 })).toMatchObject({ t: 'DialPeer', onion: ONION, isolated: true });
    await expect(dial).resolves.toBe(9);

    const capHash = 'ab'.repeat(32);
    const okey = 'A'.repeat(53) + 'w';
    const open = client.openMailboxAccount(capHash);
    expect(reply({ okey })).toMatchObject({ t: 'OpenMailboxAccount', capHash });
    await expect(open).resolves.toBe(okey);

    const close = client.closeMailboxAccount(capHash);
    expect(reply({})).toMatchObject({ t: 'CloseMailboxAccount', capHash });
    await expect(close).resolves.toBeUndefined();

    const stats = { accounts: 1, envelopes: 3, bytes: 3072, oldestAt: null };
    const got = client.getMailboxStats();
    expect(reply({ stats })).toMatchObject({ t: 'GetMailboxStats' });
    await expect(got).resolves.toEqual(stats);

    // A capHash that is not 64 lower-case hex digits never leaves the browser.
    const sent = last().sent.length;
    await expect(client.openMailboxAccount('AB'.repeat(32))).rejects.toSatisfy((e) =>
      isChattorError(e, 'E_BAD_INPUT'),
    );
    await expect(client.closeMailboxAccount('ab')).rejects.toSatisfy((e) => isChattorError(e, 'E_BAD_INPUT'));
    expect(last().sent).toHaveLength(sent);
  });

  it('rejects a CommandDone whose result has the wrong shape', async () => {
    const client = makeClient();
    client.start();
    last().open();
    const dial = client.dialPeer(ONION);
    last().receive({ t: 'CommandDone', id: last().sentJson()[0]!.id, link: 'seven' });
    await expect(dial).rejects.toSatisfy((e) => isChattorError(e, 'E_BAD_INPUT'));
  });

  it('times out a command that is never answered', async () => {
    const client = makeClient({ commandTimeoutMs: 500 });
    client.start();
    last().open();
    const p = client.rotateHandle();
    const assertion = expect(p).rejects.toSatisfy((e) => isChattorError(e, 'E_STATE'));
    vi.advanceTimersByTime(501);
    await assertion;
  });

  it('delivers typed events and survives bad input and throwing listeners', () => {
    const client = makeClient();
    const seen: string[] = [];
    client.on('StatusChanged', (e) => seen.push(`status:${e.status.tor.state}`));
    client.on('OnionPublished', (e) => seen.push(`onion:${e.kind}`));
    client.on('TorBootstrapped', () => {
      throw new Error('listener bug');
    });
    client.start();
    last().open();
    last().receive({ t: 'StatusChanged', status });
    last().receive({ t: 'Unknown' });
    last().receive('{not json');
    last().receive({ t: 'StatusChanged', status: { ...status, tor: null } });
    last().receive({ t: 'TorBootstrapped' });
    last().receive({ t: 'CommandDone', id: 'nobody' });
    last().receive({ t: 'CommandFailed', id: null, code: 'E_BAD_INPUT', message: 'unreadable' });
    last().receive({ t: 'OnionPublished', kind: 'contact', onion: ONION });
    expect(seen).toEqual(['status:ready', 'onion:contact']);
    expect(errors).toHaveLength(6);
    expect(errors.map((e) => (e as Error).message)).toContain('listener bug');
  });

  it('sends and receives binary frames', () => {
    const client = makeClient();
    const frames: [number, number[]][] = [];
    client.onFrame((link, frame) => frames.push([link, [...frame]]));
    client.start();
    expect(() => client.sendFrame(1, new Uint8Array([9]))).toThrow(/not open/);
    last().open();
    client.sendFrame(258, new Uint8Array([7, 8]));
    expect([...(last().sent[0] as Uint8Array)]).toEqual([1, 0, 0, 1, 2, 7, 8]);
    last().receive(new Uint8Array([2, 0, 0, 0, 5, 42]).buffer);
    last().receive(new Uint8Array([1, 0, 0, 0, 5, 42]).buffer); // wrong direction
    last().receive(new Uint8Array([2, 0]).buffer); // short
    expect(frames).toEqual([[5, [42]]]);
    expect(errors).toHaveLength(2);
  });

  it('reconnects with growing backoff, fails in-flight commands, keeps queued ones', async () => {
    const client = makeClient();
    const states: ConnectionInfo[] = [];
    client.onConnection((i) => states.push(i));
    client.start();
    last().open();
    const inFlight = client.getStatus();
    last().drop();
    await expect(inFlight).rejects.toSatisfy((e) => isChattorError(e, 'E_STATE'));
    expect(client.connection).toEqual({ state: 'waiting', attempt: 1, retryInMs: 100 });

    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    last().drop();
    expect(client.connection).toMatchObject({ attempt: 2, retryInMs: 200 });
    const queued = client.getStatus();
    vi.advanceTimersByTime(200);
    last().open();
    expect(client.connection).toEqual({ state: 'open', attempt: 0 });
    const cmd = last().sentJson()[0]!;
    last().receive({ t: 'CommandDone', id: cmd.id, status });
    await expect(queued).resolves.toEqual(status);
    expect(states.map((s) => s.state)).toEqual([
      'connecting',
      'open',
      'waiting',
      'connecting',
      'waiting',
      'connecting',
      'open',
    ]);
  });

  it('caps the backoff and retries at once when asked', () => {
    const client = makeClient();
    client.start();
    for (let i = 0; i < 8; i++) {
      last().drop();
      vi.advanceTimersByTime(client.connection.retryInMs ?? 0);
    }
    last().drop();
    expect(client.connection.retryInMs).toBe(1000);
    const before = sockets.length;
    client.retryNow();
    expect(sockets).toHaveLength(before + 1);
  });

  it('refuses a gateway that selected another subprotocol', () => {
    makeClient().start();
    last().open('');
    expect(last().closed).toEqual({ code: 4002 });
    expect(errors).toHaveLength(1);
  });

  it('stops for good: closes, fails everything, does not reconnect', async () => {
    const client = makeClient();
    client.start();
    const queued = client.getStatus();
    client.stop();
    await expect(queued).rejects.toSatisfy((e) => isChattorError(e, 'E_STATE'));
    expect(last().closed).toEqual({ code: 1000 });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    await expect(client.getStatus()).rejects.toSatisfy((e) => isChattorError(e, 'E_STATE'));
  });
});
