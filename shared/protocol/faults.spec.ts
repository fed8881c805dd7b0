// Tests docs/protocol.md §4.1, §4.4–4.5 against a hostile peer: malformed, forged, replayed and
// flooding input becomes ProtocolError events and the conversation goes on.
import { describe, expect, it } from 'vitest';
import {
  contactCardFromLink,
  encodeContactCard,
  signContactCard,
  type ContactCard,
} from '../crypto/contact-card.js';
import { generateIdentity, type Identity } from '../crypto/identity.js';
import { onionFromPublicKey } from '../crypto/onion.js';
import { generatePrekeys } from '../crypto/prekeys.js';
import { x3dhInitiate } from '../crypto/x3dh.js';
import { toBase64Url, toHex } from '../util/bytes.js';
import { encodeRequestBody } from './body.js';
import type { MemoryNetwork } from './memory.js';
import { encodePayload } from './payload.js';
import { befriend, contactOf, incoming, makeNode, newNetwork, until, type Node } from './testing.js';

async function stranger(
  name: string,
  onion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32))),
) {
  const { identity } = await generateIdentity();
  const { bundle } = await generatePrekeys(identity, { kem: false });
  const card = await signContactCard(identity, {
    displayName: name,
    contactOnion: onion,
    createdAt: Date.now(),
    ...bundle,
  });
  return { identity, card };
}

async function craftRequest(
  identity: Identity,
  theirCard: ContactCard,
  card: ContactCard,
): Promise<Uint8Array> {
  const plaintext = encodePayload({
    t: 'request',
    id: toHex(crypto.getRandomValues(new Uint8Array(16))),
    sentAt: Date.now(),
    card: toBase64Url(encodeContactCard(card)),
    note: 'hi',
    sidSalt: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
  });
  const { initialMessage } = await x3dhInitiate({ identity, theirCard, plaintext });
  return encodeRequestBody(initialMessage);
}

/** A raw link from a bare node (no engine) to `to`. */
async function rawLink(net: MemoryNetwork, to: Node): Promise<(body: Uint8Array) => void> {
  const t = net.transport(onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32))));
  let open = false;
  t.onLink((e) => (open = e.open));
  const link = await t.dial(to.onion);
  await until(() => open, 'raw link');
  return (body) => t.send(link, body);
}

const codes = (n: Node): string[] => n.errors().map((e) => e.code);

describe('ChatEngine: hostile input', () => {
  it('malformed, truncated, bit-flipped, misrouted and replayed MSG bodies → ProtocolError, chat goes on', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const { ab } = await befriend(alice, bob);
    const captured: Uint8Array[] = [];
    net.tap = (e) => {
      if (e.from === alice.onion && e.body[1] === 2) captured.push(e.body);
      return true;
    };
    await alice.engine.sendMessage(ab.id, 'first');
    await until(async () => (await incoming(bob, alice)).length === 1);
    net.tap = undefined;
    const real = captured[0]!;
    const bad: Uint8Array[] = [
      crypto.getRandomValues(new Uint8Array(200)),
      new Uint8Array(0),
      Uint8Array.of(1),
      Uint8Array.of(9, 2, 0),
      real.subarray(0, real.length - 1),
      real.subarray(0, 30),
      Uint8Array.from(real, (b, i) => (i === real.length - 5 ? b ^ 1 : b)), // ciphertext bit
      Uint8Array.from(real, (b, i) => (i === 20 ? b ^ 0x80 : b)), // header bit
      Uint8Array.from(real, (b, i) => (i === 3 ? b ^ 1 : b)), // session id
      real, // replay
    ];
    for (const b of bad) net.inject(alice.onion, bob.onion, b);
    await until(() => bob.errors().length === bad.length, 'errors');
    expect(codes(bob).slice(0, 4)).toEqual(['E_BAD_INPUT', 'E_BAD_INPUT', 'E_BAD_INPUT', 'E_BAD_INPUT']);
    expect(codes(bob).slice(4)).toEqual([
      'E_DECRYPT',
      'E_BAD_INPUT',
      'E_DECRYPT',
      'E_DECRYPT',
      'E_DECRYPT',
      'E_REPLAY',
    ]);
    await alice.engine.sendMessage(ab.id, 'second');
    await until(async () => (await incoming(bob, alice)).length === 2);
    expect(await incoming(bob, alice)).toEqual(['first', 'second']);
    expect(bob.events.filter((e) => e.t === 'MessageAdded').length).toBe(2);
  });

  it('a replayed REQUEST → E_REPLAY; a declined requester is dropped', async () => {
    const net = newNetwork();
    const bob = await makeNode(net, 'Bob');
    const bobCard = contactCardFromLink(await bob.engine.myContactLink());
    const s = await stranger('Sam');
    const body = await craftRequest(s.identity, bobCard, s.card);
    const send = await rawLink(net, bob);
    send(body);
    await until(async () => (await bob.storage.listContacts()).length === 1, 'request');
    send(body);
    await until(() => bob.errors().length === 1);
    expect(codes(bob)).toEqual(['E_REPLAY']);
    await bob.engine.declineFriendRequest((await bob.storage.listContacts())[0]!.id);
    send(await craftRequest(s.identity, bobCard, s.card));
    await new Promise((r) => setTimeout(r, 30));
    expect((await bob.storage.listContacts())[0]!.state).toBe('declined');
    expect(codes(bob)).toEqual(['E_REPLAY']);
  });

  it('forged cards in a REQUEST → E_SIGNATURE, nothing stored', async () => {
    const net = newNetwork();
    const bob = await makeNode(net, 'Bob');
    const alice = await makeNode(net, 'Alice');
    const bobCard = contactCardFromLink(await bob.engine.myContactLink());
    const aliceCard = contactCardFromLink(await alice.engine.myContactLink());
    const mallory = await stranger('Mallory');
    const send = await rawLink(net, bob);
    // Alice's genuine card, sent by Mallory: the card is not the X3DH initiator's.
    send(await craftRequest(mallory.identity, bobCard, aliceCard));
    // Mallory's card, its onion changed after signing.
    send(await craftRequest(mallory.identity, bobCard, { ...mallory.card, contactOnion: alice.onion }));
    // A card naming Alice's key, signed by Mallory's.
    const other = await signContactCard(mallory.identity, { ...aliceCard, displayName: 'Alice' });
    send(await craftRequest(mallory.identity, bobCard, { ...other, signingPublic: aliceCard.signingPublic }));
    await until(() => bob.errors().length === 3);
    expect(codes(bob)).toEqual(['E_SIGNATURE', 'E_SIGNATURE', 'E_SIGNATURE']);
    expect(await bob.storage.listContacts()).toEqual([]);
    // The real Alice still gets through.
    await befriend(alice, bob);
  });

  it('rate-limits requests per sender and in total (injectable clock)', async () => {
    let now = Date.now();
    const net = newNetwork();
    const bob = await makeNode(net, 'Bob', { now: () => now });
    const bobCard = contactCardFromLink(await bob.engine.myContactLink());
    const send = await rawLink(net, bob);
    const s = await stranger('Sam');
    for (let i = 0; i < 6; i++) send(await craftRequest(s.identity, bobCard, s.card));
    await until(() => bob.errors().length === 1);
    expect(codes(bob)).toEqual(['E_RATE_LIMITED']);
    now += 61_000;
    send(await craftRequest(s.identity, bobCard, s.card));
    await bob.engine.idle();
    await new Promise((r) => setTimeout(r, 20));
    expect(codes(bob)).toEqual(['E_RATE_LIMITED']);
    now += 61_000;
    const many = await Promise.all(Array.from({ length: 31 }, (_, i) => stranger(`S${i}`)));
    for (const m of many) send(await craftRequest(m.identity, bobCard, m.card));
    await until(() => bob.errors().length === 2);
    expect(codes(bob)).toEqual(['E_RATE_LIMITED', 'E_RATE_LIMITED']);
    expect((await bob.storage.listContacts()).length).toBe(31);
  });

  it('a friend sending a payload it may not (request inside MSG, msg before accept) → ProtocolError', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    await alice.engine.sendFriendRequest(await bob.engine.myContactLink(), 'hi');
    await until(async () => (await contactOf(bob, alice))?.state === 'incoming-request');
    const ab = (await contactOf(alice, bob))!;
    await expect(alice.engine.sendMessage(ab.id, 'too early')).rejects.toMatchObject({ code: 'E_STATE' });
    expect(bob.errors()).toEqual([]);
  });
});
