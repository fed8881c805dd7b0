// The mass relay (headless/bots/mass-relay.ts) on the private Tor network: `chattor node --headless
// --bot relay --invite CODE --mailbox-…`, which starts its own gateway with those holder limits; alice
// and bob (headless nodes) befriend it with the code and each other; their automatic mailboxes pick the relay, which
// holds; bob goes offline, alice writes, and bob, back, receives every message from the relay's
// mailbox exactly once, in order; the relay's store is empty afterwards. It never echoes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnHeadless } from '../../gateway/spawn-gateway.js';
import type { HeadlessChild } from '../../gateway/spawn-gateway.js';
import { startHeadlessNode } from '../../headless/node.js';
import type { HeadlessNode } from '../../headless/node.js';
import { contactCardFromLink } from '../../shared/crypto/contact-card.js';
import type { Contact } from '../../shared/protocol/api.js';
import type { MailTo } from '../../shared/protocol/mail-state.js';
import { startTestGateway, storedEnvelopes } from '../support/gateways.js';
import type { TestGateway } from '../support/gateways.js';
import { befriend, until, untilFetched } from '../support/headless.js';

const work = mkdtempSync(join(tmpdir(), 'chattor-relay-'));
const CODE = 'relay-test-7f3a';
const gw: Record<'alice' | 'bob', TestGateway> = {} as never;
const relayDir = join(work, 'relay');
const nodes: Partial<Record<'alice' | 'bob', HeadlessNode>> = {};
let relay: HeadlessChild | undefined;
const engineOptions = { depositAfterMs: 2000, fetchEveryMs: 3_600_000, retryMs: 5000 };

const user = (name: 'alice' | 'bob') =>
  startHeadlessNode({
    dataDir: gw[name].dataDir,
    displayName: name,
    storagePath: join(work, `${name}-client`, 'engine.db'),
    engineOptions,
  });

beforeAll(async () => {
  const lines = inject('testnet').clientTorrcLines;
  const torrc = join(work, 'relay-torrc');
  writeFileSync(torrc, lines.join('\n') + '\n');
  // No gateway runs for relayDir: the node starts one with these options.
  relay = spawnHeadless({
    bundle: resolve('dist/headless.mjs'),
    name: 'relay',
    dataDir: relayDir,
    args: [
      ...['--bot', 'relay', '--invite', CODE, '--torrc-extra', torrc],
      ...['--mailbox-max-envelopes', '500', '--mailbox-max-mib', '64', '--mailbox-tokens-per-day', '4096'],
    ],
  });
  [gw.alice, gw.bob] = await Promise.all([
    startTestGateway('alice', lines, { cwd: work }),
    startTestGateway('bob', lines, { cwd: work }),
  ]);
  nodes.alice = await user('alice');
  nodes.bob = await user('bob');
}, 300_000);

afterAll(async () => {
  await relay?.stop();
  await Promise.allSettled(Object.values(nodes).map((n) => n.stop()));
  await Promise.allSettled(Object.values(gw).map((g) => g.dispose()));
  rmSync(work, { recursive: true, force: true });
});

/** `n` befriends the relay with the invite code; resolves with the relay's contact and its greeting. */
async function joinRelay(n: HeadlessNode, link: string): Promise<[Contact, string]> {
  const c = await n.engine.sendFriendRequest(link, `Hello relay, my invite code is ${CODE}.`);
  const greeting = await until(async () => {
    const [m] = (await n.storage.listMessages(c.id)).filter((x) => x.direction === 'in');
    return m?.body;
  }, 'the relay’s greeting');
  return [(await n.storage.getContact(c.id))!, greeting];
}

describe('mass relay', () => {
  it('accepts with the code, holds for its friends, and delivers mail to a returning user once, in order', async () => {
    const alice = nodes.alice!;
    let bob = nodes.bob!;
    const link = (await relay!.ready).contactLink;
    const [relayAtAlice, greeting] = await joinRelay(alice, link);
    const [relayAtBob] = await joinRelay(bob, link);
    expect(relayAtAlice.state).toBe('friend');
    expect(greeting).toContain('mass relay');
    // The limits the relay states are those it started its gateway with.
    expect(greeting).toContain('500 envelopes (64 MiB)');
    expect(greeting).toContain('4,096 deposits a day');
    const [bobAtAlice] = await befriend(alice, bob);
    const aliceId = (await alice.engine.myProfile()).contactId;

    // Automatic mailboxes: each asks its online friends, the relay among them, and the relay holds.
    for (const [n, r] of [
      [alice, relayAtAlice],
      [bob, relayAtBob],
    ] as const)
      await until(async () => {
        const s = await n.engine.mailboxStatus();
        return s.holders.some((h) => h.contactId === r.id && h.state === 'holding') ? true : undefined;
      }, 'the relay holds');
    // bob keeps only the relay (alice would otherwise hold for him too), so where mail waits is clear.
    await bob.engine.setMailboxHolders([relayAtBob.id]);
    const relayOnion = contactCardFromLink(link).contactOnion.replace(/\.onion$/, '');
    await until(async () => {
      const to = await alice.storage.getMeta<MailTo>(`mbx:to:${bobAtAlice.id}`);
      const only = to?.holders.length === 1 ? to.holders[0] : undefined;
      return only?.onion === relayOnion && only.tokens.length > 0 ? true : undefined;
    }, "bob's mailto at alice names the relay only");

    // bob goes offline, node and gateway.
    await bob.stop();
    delete nodes.bob;
    await gw.bob.stop();

    const texts = Array.from({ length: 6 }, (_, i) => `while you were away ${i + 1}`);
    for (const t of texts) await alice.engine.sendMessage(bobAtAlice.id, t);
    await until(async () => {
      const ms = await alice.storage.listMessages(bobAtAlice.id);
      return ms.length === 6 && ms.every((m) => m.via === 'mailbox') ? true : undefined;
    }, 'all deposited at the relay');
    expect(storedEnvelopes(relayDir)).toBe(6);

    // bob comes back: his node fetches from the relay on start.
    gw.bob = await gw.bob.restart();
    bob = nodes.bob = await user('bob');
    const got = await untilFetched(bob, aliceId, 6, 'bob has all six');
    expect(got.map((m) => m.body)).toEqual(texts);
    expect(got.every((m) => m.via === 'mailbox')).toBe(true);
    expect(new Set(got.map((m) => m.id)).size).toBe(6);
    await until(async () => (storedEnvelopes(relayDir) === 0 ? true : undefined), 'relay emptied');
    // A later fetch brings nothing twice.
    await bob.engine.fetchMail();
    expect((await bob.storage.listMessages(aliceId)).filter((m) => m.direction === 'in')).toHaveLength(6);

    // The relay never echoes: alice's messages to it go unanswered; /help gets the greeting again.
    await alice.engine.sendMessage(relayAtAlice.id, 'are you an echo bot?');
    await alice.engine.sendMessage(relayAtAlice.id, '/help');
    const answers = await until(async () => {
      const ms = (await alice.storage.listMessages(relayAtAlice.id)).filter((m) => m.direction === 'in');
      return ms.length >= 2 ? ms : undefined;
    }, 'the /help answer');
    expect(answers.map((m) => m.body)).toEqual([greeting, greeting]);

    // Stopping the relay stops the gateway it started.
    const { pid } = JSON.parse(readFileSync(join(relayDir, 'gateway.json'), 'utf8')) as { pid: number };
    await relay!.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  }, 900_000);
});
