// Tests docs/protocol.md §4.5: order, once-only, outbox across offline peers, restarts, receipts.
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from './api.js';
import { befriend, contactOf, incoming, makeNode, newNetwork, until } from './testing.js';

const range = (n: number, p: string): string[] => Array.from({ length: n }, (_, i) => `${p} ${i + 1}`);

describe('ChatEngine: messages', () => {
  it('50 messages each way, interleaved, arrive once and in order, then delivered', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const { ab, ba } = await befriend(alice, bob);
    const sends: Promise<ChatMessage>[] = [];
    for (let i = 1; i <= 50; i++) {
      sends.push(alice.engine.sendMessage(ab.id, `a ${i}`));
      sends.push(bob.engine.sendMessage(ba.id, `b ${i}`));
    }
    await Promise.all(sends);
    await until(
      async () => (await incoming(bob, alice)).length === 50 && (await incoming(alice, bob)).length === 50,
    );
    expect(await incoming(bob, alice)).toEqual(range(50, 'a'));
    expect(await incoming(alice, bob)).toEqual(range(50, 'b'));
    const added = bob.events.flatMap((e) =>
      e.t === 'MessageAdded' && e.message.direction === 'in' ? [e.message.body] : [],
    );
    expect(added).toEqual(range(50, 'a'));
    await until(async () => (await alice.storage.listOutbox()).length === 0, 'all acknowledged');
    const mine = (await alice.storage.listMessages(ab.id)).filter((m) => m.direction === 'out');
    expect(mine.map((m) => m.state)).toEqual(Array(50).fill('delivered'));
    expect(mine.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await contactOf(bob, alice))?.unread).toBe(50);
    expect([...alice.errors(), ...bob.errors()]).toEqual([]);
  });

  it('the outbox holds 10 messages while the peer is offline and delivers them once, in order', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const { ab } = await befriend(alice, bob);
    net.setOnline(bob.onion, false);
    await until(async () => (await contactOf(alice, bob))?.online === false, 'offline');
    for (const body of range(10, 'm')) await alice.engine.sendMessage(ab.id, body);
    expect((await alice.storage.listOutbox(ab.id)).length).toBe(10);
    const states = (await alice.storage.listMessages(ab.id)).map((m) => m.state);
    expect(states).toEqual(Array(10).fill('queued'));
    net.setOnline(bob.onion, true);
    await until(async () => (await incoming(bob, alice)).length === 10, 'delivery');
    await until(async () => (await alice.storage.listOutbox()).length === 0, 'receipts');
    expect(await incoming(bob, alice)).toEqual(range(10, 'm'));
    const added = bob.events.filter((e) => e.t === 'MessageAdded');
    expect(added.length).toBe(10);
  });

  it('bodies lost in flight are resent byte-identical; duplicates are stored once', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice', { retryMs: 20 });
    const bob = await makeNode(net, 'Bob');
    const { ab } = await befriend(alice, bob);
    // Drop every receipt from Bob for a while: Alice keeps resending the same bodies.
    const seen = new Map<string, number>();
    net.tap = (e) => {
      if (e.from === alice.onion) seen.set(e.body.join(','), (seen.get(e.body.join(',')) ?? 0) + 1);
      return e.from !== bob.onion;
    };
    for (const body of range(3, 'r')) await alice.engine.sendMessage(ab.id, body);
    await until(() => [...seen.values()].filter((n) => n >= 2).length >= 3, 'resends');
    net.tap = undefined;
    await until(async () => (await alice.storage.listOutbox()).length === 0, 'acknowledged');
    expect(await incoming(bob, alice)).toEqual(range(3, 'r'));
    expect(bob.errors().every((e) => e.code === 'E_REPLAY')).toBe(true);
  });

  it('a restarted engine keeps sessions, history and its outbox', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const { ab, ba } = await befriend(alice, bob);
    await alice.engine.sendMessage(ab.id, 'before');
    await until(async () => (await incoming(bob, alice)).length === 1);
    net.setOnline(bob.onion, false);
    await alice.engine.sendMessage(ab.id, 'while bob is away');
    await alice.restart();
    await bob.restart();
    net.setOnline(bob.onion, true);
    await until(async () => (await incoming(bob, alice)).length === 2, 'outbox after restart');
    await bob.engine.sendMessage(ba.id, 'after');
    await until(async () => (await incoming(alice, bob)).length === 1);
    expect(await incoming(bob, alice)).toEqual(['before', 'while bob is away']);
    expect((await alice.storage.listMessages(ab.id)).map((m) => m.body)).toEqual([
      'before',
      'while bob is away',
      'after',
    ]);
    // A receipt in flight at the restart makes Alice resend once: a harmless duplicate for Bob.
    expect([...alice.errors(), ...bob.errors()].filter((e) => e.code !== 'E_REPLAY')).toEqual([]);
  });

  it('messages written while the peer’s client was down come at once when it is back (resend), not after RETRY', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice', { retryMs: 600_000 });
    const bob = await makeNode(net, 'Bob', { retryMs: 600_000 });
    const { ab } = await befriend(alice, bob);
    // Bob's engine is gone (a crashed tab) while his gateway and the link stay up: what alice writes is
    // dropped, and she would write it again only after RETRY.
    await bob.engine.stop();
    await alice.engine.sendMessage(ab.id, 'while the tab was down');
    await until(async () => (await alice.storage.listMessages(ab.id)).some((m) => m.state === 'sent'));
    await bob.restart();
    await until(async () => (await incoming(bob, alice)).length === 1, 'delivered after the resend');
    await until(async () => (await alice.storage.listMessages(ab.id)).every((m) => m.state === 'delivered'));
  });

  it('read receipts are sent by markRead, and not when switched off', async () => {
    const net = newNetwork();
    let receipts = true;
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob', { readReceipts: () => receipts });
    const { ab, ba } = await befriend(alice, bob);
    const m1 = await alice.engine.sendMessage(ab.id, 'one');
    await until(async () => (await alice.storage.getMessage(m1.id))?.state === 'delivered', 'delivered');
    await bob.engine.markRead(ba.id);
    expect((await contactOf(bob, alice))?.unread).toBe(0);
    await until(async () => (await alice.storage.getMessage(m1.id))?.state === 'read', 'read');
    receipts = false;
    const m2 = await alice.engine.sendMessage(ab.id, 'two');
    await until(async () => (await alice.storage.getMessage(m2.id))?.state === 'delivered', 'delivered 2');
    await bob.engine.markRead(ba.id);
    await new Promise((r) => setTimeout(r, 50));
    expect((await alice.storage.getMessage(m2.id))?.state).toBe('delivered');
    expect((await bob.storage.getMessage(m2.id))?.state).toBe('read');
    expect(alice.events.filter((e) => e.t === 'MessageChanged' && e.message.state === 'read').length).toBe(1);
  });

  it('a failed storage transaction stores nothing; the resend is then accepted once', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice', { retryMs: 30 });
    const bob = await makeNode(net, 'Bob');
    const { ab } = await befriend(alice, bob);
    bob.storage.failNextTransaction = true;
    await alice.engine.sendMessage(ab.id, 'survives');
    await until(() => bob.errors().some((e) => e.code === 'E_INTERNAL'), 'failed write');
    await until(async () => (await alice.storage.listOutbox()).length === 0, 'resent and acknowledged');
    expect(await incoming(bob, alice)).toEqual(['survives']);
    expect(bob.events.filter((e) => e.t === 'MessageAdded').length).toBe(1);
  });

  it('three engines keep their conversations apart', async () => {
    const net = newNetwork();
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((n) => makeNode(net, n)));
    const ab = await befriend(a!, b!);
    const ac = await befriend(a!, c!);
    const bc = await befriend(b!, c!);
    await Promise.all([
      a!.engine.sendMessage(ab.ab.id, 'a→b'),
      a!.engine.sendMessage(ac.ab.id, 'a→c'),
      b!.engine.sendMessage(bc.ab.id, 'b→c'),
      c!.engine.sendMessage(ac.ba.id, 'c→a'),
    ]);
    await until(async () => (await incoming(c!, a!)).length === 1 && (await incoming(c!, b!)).length === 1);
    await until(async () => (await incoming(b!, a!)).length === 1 && (await incoming(a!, c!)).length === 1);
    expect(await incoming(c!, a!)).toEqual(['a→c']);
    expect(await incoming(c!, b!)).toEqual(['b→c']);
    expect(await incoming(b!, a!)).toEqual(['a→b']);
    expect(await incoming(a!, c!)).toEqual(['c→a']);
  });
});
