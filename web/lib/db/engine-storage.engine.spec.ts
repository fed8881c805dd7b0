// The real ChatEngine on the dexie storage (fake-indexeddb) over the engine's memory network: the
// storage's buffered transactions must hold up under the engine's crypto-between-writes pattern.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { onionFromPublicKey } from '../../../shared/crypto/onion';
import type { Contact, EngineEvent } from '../../../shared/protocol/api';
import { ChatEngine } from '../../../shared/protocol/engine';
import { createMemoryNetwork, type MemoryNetwork } from '../../../shared/protocol/memory';
import { until } from '../../../shared/protocol/testing';
import { DexieEngineStorage } from './engine-storage';
import { specDatabases } from './testing';

const { open } = specDatabases('chattor-engine-it');

async function node(net: MemoryNetwork, name: string) {
  const db = open();
  const storage = new DexieEngineStorage(db);
  const onion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  const transport = net.transport(onion);
  const events: EngineEvent[] = [];
  const make = () => {
    const engine = new ChatEngine({ kem: false, storage, transport });
    engine.on((e) => events.push(e));
    return engine;
  };
  const self = { name, onion, db, storage, events, engine: make() };
  await self.engine.createIdentity(name);
  await self.engine.start();
  // Object.assign, not a spread: `restart` must replace the engine the tests see.
  return Object.assign(self, {
    async restart() {
      await self.engine.stop();
      self.engine = make();
      await self.engine.start();
    },
    async contactOf(other: { onion: string }): Promise<Contact | undefined> {
      return (await storage.listContacts()).find((c) => c.contactOnion === other.onion);
    },
  });
}

describe('ChatEngine on DexieEngineStorage', () => {
  it('befriends, exchanges messages with receipts, and keeps everything across a restart', async () => {
    const net = createMemoryNetwork();
    const alice = await node(net, 'Alice');
    const bob = await node(net, 'Bob');

    await alice.engine.sendFriendRequest(await bob.engine.myContactLink(), 'hi Bob');
    await until(async () => (await bob.contactOf(alice))?.state === 'incoming-request', 'request');
    const atBob = (await bob.contactOf(alice))!;
    expect(atBob.note).toBe('hi Bob');
    await bob.engine.acceptFriendRequest(atBob.id);
    await until(async () => (await alice.contactOf(bob))?.state === 'friend', 'accept');
    const atAlice = (await alice.contactOf(bob))!;

    const sent = await alice.engine.sendMessage(atAlice.id, 'hello over dexie');
    await until(async () => (await bob.storage.listMessages(atBob.id)).length === 1, 'message');
    await until(async () => (await alice.storage.getMessage(sent.id))?.state === 'delivered', 'delivered');
    expect((await bob.contactOf(alice))?.unread).toBe(1);

    await bob.engine.markRead(atBob.id);
    await until(async () => (await alice.storage.getMessage(sent.id))?.state === 'read', 'read');
    expect(await alice.storage.listOutbox(atAlice.id)).toEqual([]);

    await bob.restart();
    await bob.engine.sendMessage(atBob.id, 'after restart');
    await until(async () => (await alice.storage.listMessages(atAlice.id)).length === 2, 'reply');
    expect((await alice.storage.listMessages(atAlice.id)).map((m) => [m.direction, m.body])).toEqual([
      ['out', 'hello over dexie'],
      ['in', 'after restart'],
    ]);
    expect(alice.events.some((e) => e.t === 'MessageAdded')).toBe(true);
    expect(bob.events.filter((e) => e.t === 'ProtocolError')).toEqual([]);
  });
});
