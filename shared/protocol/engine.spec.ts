// Tests docs/protocol.md §4.4–4.5 end to end: engines on the memory network.
import { describe, expect, it } from 'vitest';
import { befriend, contactOf, incoming, makeNode, newNetwork, until } from './testing.js';

describe('ChatEngine: friends', () => {
  it('creates identities, exchanges links, request → accept → friends, online', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    expect(await alice.engine.hasIdentity()).toBe(true);
    const link = await bob.engine.myContactLink();
    expect(link.startsWith('chattor:card/')).toBe(true);
    const c = await alice.engine.sendFriendRequest(link, 'hello Bob');
    expect(c.state).toBe('outgoing-request');
    expect(c.displayName).toBe('Bob');
    await until(async () => (await contactOf(bob, alice))?.state === 'incoming-request', 'request');
    const req = (await contactOf(bob, alice))!;
    expect(req.note).toBe('hello Bob');
    expect(req.displayName).toBe('Alice');
    // The request was acknowledged: it left Alice's outbox.
    await until(async () => (await alice.storage.listOutbox()).length === 0, 'request receipt');
    await bob.engine.acceptFriendRequest(req.id);
    await until(async () => (await contactOf(alice, bob))?.state === 'friend', 'accept');
    expect((await contactOf(bob, alice))?.state).toBe('friend');
    await until(async () => (await contactOf(alice, bob))?.online === true, 'alice sees bob online');
    await until(async () => (await contactOf(bob, alice))?.online === true, 'bob sees alice online');
    net.setOnline(bob.onion, false);
    await until(async () => (await contactOf(alice, bob))?.online === false, 'bob offline');
    expect(alice.errors()).toEqual([]);
    expect(bob.errors()).toEqual([]);
  });

  it('refuses own, forged, expired and garbage links with clear errors', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const own = await alice.engine.myContactLink();
    await expect(alice.engine.sendFriendRequest(own, '')).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await expect(alice.engine.sendFriendRequest('chattor:card/AAAA', '')).rejects.toMatchObject({
      code: 'E_BAD_INPUT',
    });
    const { contactCardFromLink, contactCardToLink } = await import('../crypto/contact-card.js');
    const card = contactCardFromLink(await bob.engine.myContactLink());
    const sig = card.signature.slice();
    sig[5] = sig[5]! ^ 1;
    const forged = contactCardToLink({ ...card, signature: sig });
    await expect(alice.engine.sendFriendRequest(forged, '')).rejects.toMatchObject({ code: 'E_SIGNATURE' });
    const moved = contactCardToLink({ ...card, contactOnion: alice.onion });
    await expect(alice.engine.sendFriendRequest(moved, '')).rejects.toMatchObject({ code: 'E_SIGNATURE' });
    await expect(alice.engine.sendFriendRequest(own.slice(0, -4), '')).rejects.toMatchObject({
      code: 'E_BAD_INPUT',
    });
    await expect(
      alice.engine.sendFriendRequest(await bob.engine.myContactLink(), 'x'.repeat(281)),
    ).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    expect(await alice.storage.listContacts()).toEqual([]);
  });

  it('decline drops silently; block drops everything and survives a restart', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const carol = await makeNode(net, 'Carol');
    await alice.engine.sendFriendRequest(await bob.engine.myContactLink(), 'hi');
    await until(async () => (await contactOf(bob, alice))?.state === 'incoming-request', 'request');
    await bob.engine.declineFriendRequest((await contactOf(bob, alice))!.id);
    expect((await contactOf(bob, alice))?.state).toBe('declined');
    expect((await contactOf(alice, bob))?.state).toBe('outgoing-request');

    const { ab } = await befriend(carol, bob).then(async (r) => ({ ab: r.ba, ba: r.ab }));
    await bob.engine.block(ab.id);
    await bob.restart();
    expect((await contactOf(bob, carol))?.state).toBe('blocked');
    const before = bob.events.length;
    await carol.engine.sendMessage((await contactOf(carol, bob))!.id, 'are you there?');
    await new Promise((r) => setTimeout(r, 50));
    expect(await incoming(bob, carol)).toEqual([]);
    expect(bob.events.slice(before).filter((e) => e.t === 'MessageAdded')).toEqual([]);
    await expect(carol.engine.sendFriendRequest(await bob.engine.myContactLink(), 'x')).rejects.toMatchObject(
      {
        code: 'E_STATE',
      },
    );
  });

  it('remove tells the peer; rename sets the alias', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const { ab } = await befriend(alice, bob);
    await alice.engine.renameFriend(ab.id, 'Bobby');
    expect((await contactOf(alice, bob))?.alias).toBe('Bobby');
    await expect(alice.engine.renameFriend(ab.id, 'a\u0000b')).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await alice.engine.removeFriend(ab.id);
    expect(await contactOf(alice, bob)).toBeUndefined();
    await until(async () => (await contactOf(bob, alice)) === undefined, 'bob forgets alice');
    expect(bob.events.some((e) => e.t === 'ContactRemoved')).toBe(true);
    await until(async () => (await alice.storage.listOutbox()).length === 0, 'removed acknowledged');
  });

  it('crossed requests end with one shared session', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    await Promise.all([
      alice.engine.sendFriendRequest(await bob.engine.myContactLink(), 'hi'),
      bob.engine.sendFriendRequest(await alice.engine.myContactLink(), 'hi'),
    ]);
    await until(async () => (await contactOf(alice, bob))?.state === 'friend', 'alice friend');
    await until(async () => (await contactOf(bob, alice))?.state === 'friend', 'bob friend');
    await alice.engine.sendMessage((await contactOf(alice, bob))!.id, 'ping');
    await bob.engine.sendMessage((await contactOf(bob, alice))!.id, 'pong');
    await until(
      async () => (await incoming(bob, alice)).length === 1 && (await incoming(alice, bob)).length === 1,
    );
  });
});
