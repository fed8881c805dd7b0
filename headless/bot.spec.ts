// The bot API (headless/bot.ts) and the shipped bots (headless/bots/) on the memory network: a bot's
// node is the real engine on SQLite; its friend is an engine on the memory storage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailboxStore } from '../gateway/mailbox/store.js';
import { onionFromPublicKey } from '../shared/crypto/onion.js';
import { ChatEngine } from '../shared/protocol/engine.js';
import { contactOf, makeNode, newNetwork, until, type Node } from '../shared/protocol/testing.js';
import { createMemoryNetwork } from '../shared/protocol/memory.js';
import type { MemoryMailboxHost, MemoryNetwork } from '../shared/protocol/memory.js';
import { botOnNode, type Bot } from './bot.js';
import { echoReply, runEchoBot } from './bots/echo.js';
import { checkRelayOptions, noteHasCode, relayGreeting, runMassRelay } from './bots/mass-relay.js';
import { DiskFileStore } from './file-store.js';
import type { GatewayMailboxLimits, HeadlessNode } from './node.js';
import { SqliteStorage } from './sqlite-storage.js';
import { realMailboxHost } from '../test/support/mailbox-host.js';

const dirs: string[] = [];
const bots: Bot[] = [];
const stores: MailboxStore[] = [];
/** What handlers threw: none of the shipped bots' handlers may. */
const botErrors: unknown[] = [];
afterEach(async () => {
  await Promise.allSettled(bots.splice(0).map((b) => b.close()));
  expect(botErrors.splice(0)).toEqual([]);
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Every node's gateway mailbox: the real service over a temporary store. */
function hostFor(): MemoryMailboxHost {
  const dir = mkdtempSync(join(tmpdir(), 'chattor-bot-mbx-'));
  dirs.push(dir);
  const store = MailboxStore.open({ dataDir: dir });
  stores.push(store);
  return realMailboxHost(store);
}

const LIMITS: GatewayMailboxLimits = {
  ttlDays: 7,
  maxEnvelopes: 5000,
  maxBytes: 64 * 1024 ** 2,
  issuePerDay: 640,
};

async function botNode(net: MemoryNetwork, name: string): Promise<{ bot: Bot; onion: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'chattor-bot-'));
  dirs.push(dir);
  const onion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  const storage = new SqliteStorage(join(dir, 'engine.db'));
  const files = new DiskFileStore(join(dir, 'files'));
  const engine = new ChatEngine({ kem: false, storage, files, transport: net.transport(onion) });
  await engine.createIdentity(name);
  const node: HeadlessNode = {
    engine,
    storage,
    files,
    gateway: { uiPort: 1, mailbox: LIMITS },
    start: () => engine.start(),
    contactLink: () => engine.myContactLink(),
    async stop() {
      await engine.stop();
      storage.close();
    },
  };
  const bot = botOnNode(node, { name, onError: (e) => botErrors.push(e) });
  bots.push(bot);
  return { bot, onion };
}

async function texts(n: Node, from: string): Promise<string[]> {
  const c = (await n.storage.listContacts()).find((x) => x.contactOnion === from);
  return c ? (await n.storage.listMessages(c.id)).filter((m) => m.direction === 'in').map((m) => m.body) : [];
}

describe('echo bot', () => {
  it('accepts, greets once, echoes, answers /help and /ping, and never echoes an echo', async () => {
    const net = newNetwork();
    const { bot, onion } = await botNode(net, 'echo');
    runEchoBot(bot, { greeting: 'Hello from echo' });
    const seen: string[] = [];
    bot.onMessage((m) => {
      seen.push(m.text);
    });
    await bot.start();
    const alice = await makeNode(net, 'alice');
    await alice.engine.sendFriendRequest(await bot.contactLink(), 'hi');
    await until(async () => (await texts(alice, onion)).length === 1, 'greeting');
    expect(await texts(alice, onion)).toEqual(['Hello from echo']);
    const bobAtAlice = (await alice.storage.listContacts())[0]!;
    expect(bobAtAlice.state).toBe('friend');
    expect((await bot.friends()).map((f) => f.displayName)).toEqual(['alice']);

    for (const t of ['hello', '/help', '/PING now', '/nope', 'carol got your message: “x”'])
      await alice.engine.sendMessage(bobAtAlice.id, t);
    await until(async () => seen.length === 5, 'five messages at the bot');
    await until(async () => (await texts(alice, onion)).length === 5, 'four answers');
    const got = await texts(alice, onion);
    expect(got[1]).toBe('echo got your message: “hello”');
    expect(got[2]).toContain('/help — lists these commands');
    expect(got[2]).toContain('/ping');
    expect(got[3]).toBe('pong');
    expect(got[4]).toBe('Unknown command /nope. Try /help.');
    // Read receipts went back: alice's messages are read.
    await until(
      async () =>
        (await alice.storage.listMessages(bobAtAlice.id))
          .filter((m) => m.direction === 'out')
          .every((m) => m.state === 'read'),
      'read receipts',
    );
    // Contact updates (online, renames) do not greet again.
    await alice.engine.renameFriend(bobAtAlice.id, 'bobby');
    net.setOnline(alice.onion, false);
    net.setOnline(alice.onion, true);
    await alice.engine.sendMessage(bobAtAlice.id, 'again');
    await until(async () => (await texts(alice, onion)).length === 6, 'echo of again');
    expect((await texts(alice, onion)).filter((t) => t === 'Hello from echo')).toHaveLength(1);
  });

  it('answers each kind of text as documented', () => {
    expect(echoReply('bob', 'hi')).toBe('bob got your message: “hi”');
    expect(echoReply('bob', 'x'.repeat(900))).toHaveLength('bob got your message: “”'.length + 500);
    expect(echoReply('bob', '   ')).toBeNull();
    expect(echoReply('bob', 'alice got your message: “hi”')).toBeNull();
    expect(echoReply('bob', 'report.pdf', true)).toBe('bob does not take files.');
    expect(echoReply('bob', '/x'.repeat(100))).toBe(`Unknown command ${'/x'.repeat(16)}. Try /help.`);
  });
});

describe('mass relay', () => {
  it('accepts only with the invite code, greets with its limits, holds for all, never echoes', async () => {
    const net = createMemoryNetwork({ mailbox: hostFor });
    const { bot, onion } = await botNode(net, 'relay');
    runMassRelay(bot, { inviteCode: 'open-sesame' });
    await bot.start();
    expect(await bot.node.engine.mailboxStatus()).toMatchObject({ auto: false, holders: [] });
    const link = await bot.contactLink();

    const mallory = await makeNode(net, 'mallory');
    await mallory.engine.sendFriendRequest(link, 'let me in: open-sesam');
    await until(
      async () => (await bot.node.storage.listContacts()).some((c) => c.state === 'declined'),
      'declined',
    );
    expect((await contactOf(mallory, { onion } as Node))?.state).toBe('outgoing-request');

    const alice = await makeNode(net, 'alice');
    await alice.engine.sendFriendRequest(link, 'code: open-sesame, thanks');
    await until(async () => (await texts(alice, onion)).length === 1, 'greeting');
    const [greeting] = await texts(alice, onion);
    expect(greeting).toBe(relayGreeting('relay', LIMITS));
    expect(greeting).toContain('up to 7 days');
    expect(greeting).toContain('5,000 envelopes (64 MiB)');
    expect(greeting).toContain('640 deposits a day');
    // alice's mailboxes are automatic: she asks the relay (online) to hold, and it does.
    await until(async () => {
      const st = await alice.engine.mailboxStatus();
      return st.holders.some((h) => h.state === 'holding');
    }, 'the relay holds for alice');
    expect((await bot.node.engine.mailboxStatus()).hosting).toEqual([
      (await alice.engine.myProfile()).contactId,
    ]);

    const relayAtAlice = (await alice.storage.listContacts())[0]!;
    await alice.engine.sendMessage(relayAtAlice.id, 'hello?');
    await alice.engine.sendMessage(relayAtAlice.id, '/help');
    await until(async () => (await texts(alice, onion)).length === 2, '/help answer');
    await alice.engine.sendMessage(relayAtAlice.id, 'still there?');
    await until(
      async () =>
        (await alice.storage.listMessages(relayAtAlice.id)).every(
          (m) => m.direction === 'in' || m.state === 'read',
        ),
      'all read',
    );
    expect(await texts(alice, onion)).toEqual([greeting, greeting]);
  });

  it('checks its options and matches codes as whole words', () => {
    expect(() => checkRelayOptions({ inviteCode: 'abc' })).toThrow(/invite code/);
    expect(() => checkRelayOptions({ inviteCode: 'has space' })).toThrow(/invite code/);
    expect(() => checkRelayOptions({ maxFriends: 0 })).toThrow(/max friends/);
    expect(() => checkRelayOptions({ maxFriends: 1.5 })).toThrow(/max friends/);
    expect(checkRelayOptions({})).toEqual({ maxFriends: 10_000 });
    expect(noteHasCode('my code is abcd!', 'abcd')).toBe(true);
    expect(noteHasCode('abcde', 'abcd')).toBe(false);
    expect(noteHasCode('', 'abcd')).toBe(false);
    expect(relayGreeting('r')).not.toContain('days');
  });

  it('declines beyond max friends', async () => {
    const net = createMemoryNetwork({ mailbox: hostFor });
    const { bot } = await botNode(net, 'relay');
    runMassRelay(bot, { maxFriends: 1 });
    await bot.start();
    const link = await bot.contactLink();
    const a = await makeNode(net, 'a');
    await a.engine.sendFriendRequest(link, '');
    await until(async () => (await bot.friends()).length === 1, 'first friend');
    const b = await makeNode(net, 'b');
    await b.engine.sendFriendRequest(link, '');
    await until(
      async () => (await bot.node.storage.listContacts()).some((c) => c.state === 'declined'),
      'second declined',
    );
    expect((await bot.friends()).map((f) => f.displayName)).toEqual(['a']);
  });
});

describe('bot API', () => {
  it('offers requests that came while it was stopped, once, and keeps going when a handler throws', async () => {
    const net = newNetwork();
    const first = await botNode(net, 'b');
    await first.bot.start(); // no request handler: requests stay pending
    const alice = await makeNode(net, 'alice');
    await alice.engine.sendFriendRequest(await first.bot.contactLink(), 'hi');
    await until(
      async () => (await first.bot.node.storage.listContacts()).some((c) => c.state === 'incoming-request'),
      'pending request',
    );
    const storage = first.bot.node.storage;
    // A new bot over the same node's storage: restart the engine through a second node object.
    await first.bot.node.engine.stop();
    const engine = new ChatEngine({ kem: false, storage, transport: net.transport(first.onion) });
    const bot = botOnNode(
      { ...first.bot.node, engine, start: () => engine.start(), stop: () => engine.stop() },
      { name: 'b', onError: () => undefined },
    );
    bots.push(bot);
    const notes: string[] = [];
    bot.onFriendRequest(() => {
      throw new Error('a broken handler');
    });
    bot.onFriendRequest((r) => {
      notes.push(r.note);
      return 'accept';
    });
    await bot.start();
    await until(async () => (await bot.friends()).length === 1, 'accepted after restart');
    expect(notes).toEqual(['hi']);
    await expect(bot.send('0'.repeat(32), 'x')).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    expect(() => bot.onMessage(null as never)).toThrow(/handler/);
  });
});
