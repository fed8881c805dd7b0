// The social feature (docs/protocol.md §7) on the browser's storage: three engines on DexieEngineStorage
// (fake-indexeddb) over the memory network post to all friends and to a circle; the feed pages in order.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { onionFromPublicKey } from '../../../shared/crypto/onion';
import type { FeedPost } from '../../../shared/protocol/api';
import { ChatEngine } from '../../../shared/protocol/engine';
import { createMemoryNetwork } from '../../../shared/protocol/memory';
import { until } from '../../../shared/protocol/testing';
import { DexieEngineStorage } from './engine-storage';
import { specDatabases } from './testing';

const { open } = specDatabases('chattor-social-spec');

async function node(net: ReturnType<typeof createMemoryNetwork>, name: string) {
  const onion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  const storage = new DexieEngineStorage(open());
  const engine = new ChatEngine({ kem: false, storage, social: storage, transport: net.transport(onion) });
  await engine.createIdentity(name);
  await engine.start();
  return { name, engine, storage };
}
type N = Awaited<ReturnType<typeof node>>;

async function friends(a: N, b: N): Promise<void> {
  await a.engine.sendFriendRequest(await b.engine.myContactLink(), 'hi');
  let id = '';
  await until(async () => {
    id = (await b.storage.listContacts()).find((c) => c.state === 'incoming-request')?.id ?? '';
    return id !== '';
  });
  await b.engine.acceptFriendRequest(id);
  await until(async () =>
    (await a.storage.listContacts()).some((c) => c.state === 'friend' && c.displayName === b.name),
  );
}

const texts = (ps: FeedPost[]): string[] => ps.map((p) => p.text);

describe('social on DexieEngineStorage', () => {
  it('all friends, a circle, a marker after it; pages of the feed in order', async () => {
    const net = createMemoryNetwork();
    const alice = await node(net, 'Alice');
    const bob = await node(net, 'Bob');
    const carol = await node(net, 'Carol');
    await friends(alice, bob);
    await friends(alice, carol);
    const bobId = (await alice.storage.listContacts()).find((c) => c.displayName === 'Bob')!.id;
    const close = await alice.engine.createCircle('close', [bobId]);
    await alice.engine.publishPost({
      text: 'hello everyone',
      pictures: [{ type: 'image/png', data: new Uint8Array(120_000) }],
    });
    await alice.engine.publishPost({ text: 'just for bob', audience: close.aid });
    await alice.engine.publishPost({ text: 'marker' });
    await until(async () => texts(await carol.engine.listFeed()).includes('marker'), 'carol gets the marker');
    await until(async () => texts(await bob.engine.listFeed()).length === 3, 'bob gets all three');
    expect(texts(await carol.engine.listFeed())).toEqual(['marker', 'hello everyone']);
    expect(texts(await bob.engine.listFeed())).toEqual(['marker', 'just for bob', 'hello everyone']);
    for (let i = 0; i < 45; i++) await alice.engine.publishPost({ text: `p${i}` });
    const first = await alice.engine.listFeed({ limit: 20 });
    const last = first[first.length - 1]!;
    const second = await alice.engine.listFeed({ limit: 20, before: { at: last.at, key: last.key } });
    expect(texts(first).slice(0, 2)).toEqual(['p44', 'p43']);
    expect(texts(second)).toEqual([...texts(await alice.engine.listFeed({ limit: 40 }))].slice(20, 40));
    expect(second.every((p) => p.at <= last.at)).toBe(true);
    const me = (await alice.engine.myProfile()).contactId;
    const all = await alice.engine.listFeed({ limit: 200, authorId: me });
    expect(all.length).toBe(48);
    for (const n of [alice, bob, carol]) await n.engine.stop();
  });
});
