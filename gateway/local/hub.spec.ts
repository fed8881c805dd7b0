// The local hub's commands (docs/protocol.md §2.2, §5.8) through a fake socket.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { parseOkey } from '../../shared/mailbox/tokens.js';
import { fromBase64Url, toHex } from '../../shared/util/bytes.js';
import { HomeVault } from '../home-vault.js';
import { memoryLogger } from '../log.js';
import { MailboxStore } from '../mailbox/store.js';
import { RelayManager } from '../relay.js';
import { DEFAULT_RELAY_SETTINGS } from '../tor/relay-config.js';
import { rand, tempDir } from '../mailbox/testing.js';
import type { HubDeps, HubMailbox, HubRelay } from './hub.js';
import { LocalHub } from './hub.js';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  sent: string[] = [];
  send(data: string | Uint8Array): void {
    if (typeof data === 'string') this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

function setup(mailbox: HubMailbox | null, relay?: HubRelay) {
  const dials: [string, { isolated?: boolean } | undefined][] = [];
  const deps: HubDeps = {
    links: {
      dial: (onion, options) => {
        dials.push([onion, options]);
        return dials.length;
      },
      close: () => true,
      send: () => undefined,
    },
    status: () => ({}),
    rotateHandle: () => Promise.resolve('x'),
    mailbox,
    ...(relay ? { relay } : {}),
    log: memoryLogger(),
  };
  const hub = new LocalHub(deps);
  const ws = new FakeSocket();
  hub.attach(ws as unknown as WebSocket);
  let id = 0;
  const command = async (c: object): Promise<Record<string, unknown>> => {
    const cid = `c${++id}`;
    ws.emit('message', Buffer.from(JSON.stringify({ ...c, id: cid })), false);
    for (let i = 0; i < 100; i++) {
      const reply = ws.sent.map((s) => JSON.parse(s) as Record<string, unknown>).find((m) => m.id === cid);
      if (reply) return reply;
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error('no reply');
  };
  return { command, dials };
}

function storeMailbox(): { store: MailboxStore; mailbox: HubMailbox } {
  const tmp = tempDir();
  const store = MailboxStore.open({ dataDir: tmp.dir });
  cleanup.push(() => {
    store.close();
    tmp.remove();
  });
  return { store, mailbox: store };
}

describe('local hub', () => {
  it('opens and closes mailbox accounts and reports counts only', async () => {
    const { store, mailbox } = storeMailbox();
    const { command } = setup(mailbox);
    const capHash = rand(32);
    const opened = await command({ t: 'OpenMailboxAccount', capHash: toHex(capHash) });
    expect(opened.t).toBe('CommandDone');
    const okey = parseOkey(fromBase64Url(opened.okey as string));
    expect(toHex(okey.publicKey)).toBe(toHex(store.tokenKey.publicKey));
    expect(store.hasAccount(capHash)).toBe(true);
    // Idempotent.
    expect((await command({ t: 'OpenMailboxAccount', capHash: toHex(capHash) })).okey).toBe(opened.okey);
    expect(await command({ t: 'GetMailboxStats' })).toMatchObject({
      t: 'CommandDone',
      stats: { accounts: 1, envelopes: 0, bytes: 0, oldestAt: null },
    });
    expect((await command({ t: 'CloseMailboxAccount', capHash: toHex(capHash) })).t).toBe('CommandDone');
    expect(store.hasAccount(capHash)).toBe(false);

    for (const bad of ['', 'ab', toHex(capHash).toUpperCase(), toHex(rand(31)), 7])
      expect(await command({ t: 'OpenMailboxAccount', capHash: bad })).toMatchObject({
        t: 'CommandFailed',
        code: 'E_BAD_INPUT',
        message: expect.stringMatching(/capHash/),
      });
  });

  it('fails mailbox commands with E_MAILBOX when the store is unavailable', async () => {
    const { command } = setup(null);
    expect(await command({ t: 'GetMailboxStats' })).toMatchObject({ t: 'CommandFailed', code: 'E_MAILBOX' });
    expect(await command({ t: 'OpenMailboxAccount', capHash: toHex(rand(32)) })).toMatchObject({
      code: 'E_MAILBOX',
    });
  });

  it('passes `isolated` of DialPeer on, checked', async () => {
    const { command, dials } = setup(null);
    const onion = 'a'.repeat(56);
    expect(await command({ t: 'DialPeer', onion })).toMatchObject({ t: 'CommandDone', link: 1 });
    expect(await command({ t: 'DialPeer', onion, isolated: true })).toMatchObject({ link: 2 });
    expect(await command({ t: 'DialPeer', onion, isolated: 'yes' })).toMatchObject({
      t: 'CommandFailed',
      code: 'E_BAD_INPUT',
    });
    expect(dials).toEqual([
      [onion, { isolated: false }],
      [onion, { isolated: true }],
    ]);
  });

  it('gets and sets relay mode, refusing bad settings with E_BAD_INPUT', async () => {
    const tmp = tempDir();
    const relay = await RelayManager.open({
      dataDir: tmp.dir,
      network: 'public',
      control: () => null,
      log: memoryLogger(),
      changed: () => undefined,
    });
    cleanup.push(() => {
      relay.close();
      tmp.remove();
    });
    const { command } = setup(null, relay);
    expect(await command({ t: 'GetRelay' })).toMatchObject({
      t: 'CommandDone',
      relay: { state: 'off', settings: DEFAULT_RELAY_SETTINGS, network: 'public', torAvailable: false },
    });
    const settings = { ...DEFAULT_RELAY_SETTINGS, enabled: true, nickname: 'hubspec' };
    expect(await command({ t: 'SetRelay', settings })).toMatchObject({
      t: 'CommandDone',
      relay: { state: 'on', settings },
    });
    for (const bad of [
      undefined,
      'on',
      { ...settings, nickname: 'x'.repeat(20) },
      { ...settings, rateKiB: 1 },
    ])
      expect(await command({ t: 'SetRelay', settings: bad })).toMatchObject({
        t: 'CommandFailed',
        code: 'E_BAD_INPUT',
      });
    expect(relay.settings.nickname).toBe('hubspec');
  });

  it('fails relay commands with E_STATE when the hub has no relay', async () => {
    const { command } = setup(null);
    expect(await command({ t: 'GetRelay' })).toMatchObject({ t: 'CommandFailed', code: 'E_STATE' });
  });
});

describe('engine lease over the local link (§2.4)', () => {
  async function twoClients(handOverMs = 5_000) {
    const tmp = tempDir('chattor-lease-');
    cleanup.push(tmp.remove);
    const lease = await HomeVault.open(tmp.dir);
    const hub = new LocalHub({
      links: { dial: () => 1, close: () => true, send: () => undefined },
      status: () => ({}),
      rotateHandle: () => Promise.resolve('x'),
      lease,
      handOverMs,
      log: memoryLogger(),
    });
    let id = 0;
    const client = () => {
      const ws = new FakeSocket();
      hub.attach(ws as unknown as WebSocket);
      const messages = () => ws.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
      const send = (c: object) => {
        const cid = `c${++id}`;
        ws.emit('message', Buffer.from(JSON.stringify({ ...c, id: cid })), false);
        return async (): Promise<Record<string, unknown>> => {
          for (let i = 0; i < 2000; i++) {
            const reply = messages().find((m) => m.id === cid);
            if (reply) return reply;
            await new Promise((r) => setTimeout(r, 2));
          }
          throw new Error('no reply');
        };
      };
      return { ws, messages, send };
    };
    return { client, lease };
  }

  it('refuses a second holder, and hands over when asked: the holder writes, releases, then the new one gets it', async () => {
    const { client, lease } = await twoClients();
    const tab = client();
    const tor = client();
    const first = await tab.send({ t: 'AcquireEngineLease' })();
    expect(first).toMatchObject({ t: 'CommandDone', generation: 0, lease: expect.stringMatching(/^.{22}$/) });
    expect(await tor.send({ t: 'AcquireEngineLease', takeover: false })()).toMatchObject({
      t: 'CommandFailed',
      code: 'E_LEASE_HELD',
    });
    const takeover = tor.send({ t: 'AcquireEngineLease', takeover: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(tab.messages().some((m) => m.t === 'EngineLeaseRequested')).toBe(true);
    // The holder still holds the lease while it writes its state back.
    expect(await lease.put(Uint8Array.of(1), first.lease as string)).toBe(1);
    expect(await tab.send({ t: 'ReleaseEngineLease' })()).toMatchObject({ t: 'CommandDone' });
    expect(await takeover()).toMatchObject({ t: 'CommandDone', generation: 1 });
    expect(tab.messages().some((m) => m.t === 'EngineLeaseLost')).toBe(false);
    expect(await tor.send({ t: 'AcquireEngineLease', takeover: 'yes' })()).toMatchObject({
      code: 'E_BAD_INPUT',
    });
  });

  it('takes the lease from a holder that does not answer in time, and tells it', async () => {
    const { client } = await twoClients(50);
    const tab = client();
    const tor = client();
    await tab.send({ t: 'AcquireEngineLease' })();
    expect(await tor.send({ t: 'AcquireEngineLease', takeover: true })()).toMatchObject({ t: 'CommandDone' });
    expect(tab.messages().some((m) => m.t === 'EngineLeaseLost')).toBe(true);
  });

  it('frees the lease when the holder’s socket closes', async () => {
    const { client } = await twoClients();
    const tab = client();
    await tab.send({ t: 'AcquireEngineLease' })();
    tab.ws.emit('close');
    expect(await client().send({ t: 'AcquireEngineLease' })()).toMatchObject({ t: 'CommandDone' });
  });
});
