// Tests docs/protocol.md §7: audiences and circles, push and sync, comments and reactions relayed by
// the author, edit and delete reaching every copy, profiles, and refusal of bad items.
import { describe, expect, it } from 'vitest';
import { sealItem, signContribution } from '../crypto/social-item.js';
import { fromBase64Url, fromHex, toBase64Url } from '../util/bytes.js';
import { randomId } from './body.js';
import { encodeContribJson, encodeInnerContent } from './social-content.js';
import { befriend, contactOf, makeNode, newNetwork, settle, until, type Node } from './testing.js';

async function feed(n: Node): Promise<string[]> {
  return (await n.engine.listFeed({ limit: 200 })).map((p) => p.text);
}

async function trio(): Promise<{ alice: Node; bob: Node; carol: Node; net: ReturnType<typeof newNetwork> }> {
  const net = newNetwork();
  const alice = await makeNode(net, 'Alice');
  const bob = await makeNode(net, 'Bob');
  const carol = await makeNode(net, 'Carol');
  await befriend(alice, bob);
  await befriend(alice, carol);
  return { alice, bob, carol, net };
}

const idOf = async (n: Node, other: Node): Promise<string> => (await contactOf(n, other))!.id;
const rid = (): string => randomId((n) => crypto.getRandomValues(new Uint8Array(n)));

type Internals = {
  core: {
    sendTo: (c: string, p: unknown, o: unknown) => Promise<void>;
    k: { identity: { signing: { privateKey: CryptoKey | Uint8Array; publicKey: Uint8Array } } };
  };
};
const internals = (n: Node): Internals['core'] => (n.engine as unknown as Internals).core;

/** Sends a raw social payload from `from` to `to` through the outbox, as a (buggy or hostile) client would. */
async function sendAs(from: Node, to: Node, t: 'social' | 'social-submit', bytes: Uint8Array): Promise<void> {
  const id = rid();
  const payload = t === 'social' ? { t, id, item: toBase64Url(bytes) } : { t, id, c: toBase64Url(bytes) };
  await internals(from).sendTo(await idOf(from, to), payload, { kind: 'control', messageId: id });
  await settle(from, to);
}

describe('social: posts, audiences, circles', () => {
  it('a post to all friends reaches both friends; a circle post reaches only its members', async () => {
    const { alice, bob, carol } = await trio();
    await alice.engine.publishPost({ text: 'hello friends' });
    const close = await alice.engine.createCircle('close', [await idOf(alice, bob)]);
    await alice.engine.publishPost({ text: 'only for bob', audience: close.aid });
    await settle(alice, bob, carol);
    await until(async () => (await feed(bob)).length === 2, 'bob sees both');
    expect(await feed(bob)).toEqual(['only for bob', 'hello friends']);
    expect(await feed(carol)).toEqual(['hello friends']);
    expect(await feed(alice)).toEqual(['only for bob', 'hello friends']);
    const aud = await alice.engine.listAudiences();
    expect(aud.map((a) => a.kind)).toEqual(['friends', 'circle']);
    expect([...alice.errors(), ...bob.errors(), ...carol.errors()]).toEqual([]);
  });

  it('nothing of a circle post is ever sent to someone outside the circle, not even encrypted', async () => {
    const { alice, bob, carol, net } = await trio();
    const close = await alice.engine.createCircle('close', [await idOf(alice, bob)]);
    await settle(alice, bob, carol);
    let toCarol = 0;
    net.tap = (e) => {
      if (e.from === alice.onion && e.to === carol.onion) toCarol++;
      return true;
    };
    for (let i = 0; i < 5; i++) await alice.engine.publishPost({ text: `secret ${i}`, audience: close.aid });
    await settle(alice, bob, carol);
    expect(toCarol).toBe(0);
    // carol syncing asks for everything: she is served nothing of the circle.
    await carol.engine.stop();
    await carol.engine.start();
    await settle(alice, carol);
    expect(await feed(carol)).toEqual([]);
    expect((await feed(bob)).length).toBe(5);
  });

  it('removing carol from a circle: she keeps what she saw, receives nothing later; bob gets both', async () => {
    const { alice, bob, carol } = await trio();
    const team = await alice.engine.createCircle('team', [await idOf(alice, bob), await idOf(alice, carol)]);
    await alice.engine.publishPost({ text: 'team 1', audience: team.aid });
    await settle(alice, bob, carol);
    await until(async () => (await feed(carol)).includes('team 1'), 'carol sees team 1');
    const updated = await alice.engine.updateCircle(team.aid, 'team', [await idOf(alice, bob)]);
    expect(updated.epoch).toBe(2);
    await alice.engine.publishPost({ text: 'team 2', audience: team.aid });
    await settle(alice, bob, carol);
    await until(async () => (await feed(bob)).includes('team 2'), 'bob sees team 2');
    expect(await feed(carol)).toEqual(['team 1']);
    // carol's next sync is not served the new epoch either
    await carol.engine.stop();
    await carol.engine.start();
    await settle(alice, carol);
    expect(await feed(carol)).toEqual(['team 1']);
  });

  it('a removed friend receives nothing new, even comments on posts it saw', async () => {
    const { alice, bob, carol } = await trio();
    const p = await alice.engine.publishPost({ text: 'before' });
    await settle(alice, bob, carol);
    await until(async () => (await feed(carol)).includes('before'), 'carol sees it');
    await alice.engine.removeFriend(await idOf(alice, carol));
    await settle(alice, bob, carol);
    await bob.engine.comment(p.key, 'a comment carol must not see');
    await alice.engine.publishPost({ text: 'after' });
    await settle(alice, bob, carol);
    await until(async () => (await feed(bob)).includes('after'), 'bob sees after');
    const carolPost = await carol.engine.getPost(p.key);
    expect(carolPost?.comments ?? []).toEqual([]);
    expect(await feed(carol)).toEqual(['before']);
  });

  it('bob comments and reacts; alice and carol see them, signed by bob and relayed by alice', async () => {
    const { alice, bob, carol } = await trio();
    const p = await alice.engine.publishPost({ text: 'pics from the trip' });
    await settle(alice, bob, carol);
    await until(async () => (await bob.engine.getPost(p.key)) !== undefined, 'bob has it');
    await bob.engine.comment(p.key, 'lovely!');
    await bob.engine.react(p.key, 'love');
    await settle(alice, bob, carol);
    const bobId = await idOf(alice, bob);
    for (const n of [alice, bob, carol]) {
      await until(async () => ((await n.engine.getPost(p.key))?.reactions.length ?? 0) === 1, `${n.name}`);
      const post = (await n.engine.getPost(p.key))!;
      expect(post.comments.map((c) => [c.byName, c.text, c.by])).toEqual([['Bob', 'lovely!', bobId]]);
      expect(post.reactions.map((r) => r.emoji)).toEqual(['love']);
    }
    await bob.engine.react(p.key, '');
    const commentId = (await bob.engine.getPost(p.key))!.comments[0]!.id;
    await bob.engine.deleteComment(p.key, commentId);
    await settle(alice, bob, carol);
    await until(async () => ((await carol.engine.getPost(p.key))?.comments.length ?? 1) === 0, 'withdrawn');
    expect((await carol.engine.getPost(p.key))!.reactions).toEqual([]);
    expect([...alice.errors(), ...bob.errors(), ...carol.errors()]).toEqual([]);
  });

  it('edit replaces every copy; delete removes post, pictures and comments from every copy', async () => {
    const { alice, bob, carol } = await trio();
    const pic = { type: 'image/png', data: new Uint8Array([137, 80, 78, 71, 1, 2, 3]) };
    const p = await alice.engine.publishPost({ text: 'first', pictures: [pic] });
    await settle(alice, bob, carol);
    await bob.engine.comment(p.key, 'nice');
    await settle(alice, bob, carol);
    await alice.engine.editPost(p.id, { text: 'first (edited)', pictures: [pic] });
    await settle(alice, bob, carol);
    await until(async () => (await feed(carol))[0] === 'first (edited)', 'edit reached carol');
    const edited = (await carol.engine.getPost(p.key))!;
    expect(edited.edited).toBeGreaterThan(0);
    expect(edited.comments.map((c) => c.text)).toEqual(['nice']);
    expect(edited.pictures[0]!.data).toEqual(pic.data);
    await alice.engine.deletePost(p.id);
    await settle(alice, bob, carol);
    for (const n of [alice, bob, carol]) {
      await until(async () => (await feed(n)).length === 0, `${n.name} deleted`);
      expect(n.storage.posts.size).toBe(0);
    }
    // alice's log keeps only stubs and the tombstone: a sync serves nothing of the post.
    const log = [...alice.storage.log.values()];
    expect(log.filter((e) => e.item).map((e) => e.kind)).toEqual(['delete']);
  });

  it('a late copy of a deleted post (replayed by another path) is not shown again', async () => {
    const { alice, bob, net } = await trio();
    let captured: Uint8Array | undefined;
    net.tap = (e) => {
      if (e.from === alice.onion && e.to === bob.onion && captured === undefined && e.body.length > 300)
        captured = e.body;
      return true;
    };
    const p = await alice.engine.publishPost({ text: 'x'.repeat(400) });
    await settle(alice, bob);
    net.tap = undefined;
    await alice.engine.deletePost(p.id);
    await settle(alice, bob);
    expect(captured).toBeDefined();
    net.inject(alice.onion, bob.onion, captured!);
    await settle(alice, bob);
    expect(await feed(bob)).toEqual([]);
  });

  it('bob offline when alice posts: the post waits in the outbox and arrives when he is back', async () => {
    const { alice, bob, net } = await trio();
    net.setOnline(bob.onion, false);
    await until(async () => (await contactOf(alice, bob))?.online === false, 'offline');
    await alice.engine.publishPost({ text: 'while you were away' });
    expect((await alice.storage.listOutbox(await idOf(alice, bob))).some((o) => o.kind === 'social')).toBe(
      true,
    );
    net.setOnline(bob.onion, true);
    await until(async () => (await feed(bob)).includes('while you were away'), 'delivered');
  });

  it('sync: a new friend receives earlier posts of the current epoch; divergent histories converge', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const dave = await makeNode(net, 'Dave');
    await befriend(alice, bob);
    for (let i = 0; i < 30; i++) await alice.engine.publishPost({ text: `a${i}` });
    await settle(alice, bob);
    // dave joins later: no push was ever made to him; he gets everything by sync.
    await befriend(alice, dave);
    await until(async () => (await feed(dave)).length === 30, 'dave synced');
    // divergence: alice and bob post while every social push between them is lost.
    net.tap = () => false;
    await alice.engine.publishPost({ text: 'alice while cut' });
    await bob.engine.publishPost({ text: 'bob while cut' });
    net.tap = undefined;
    for (const n of [alice, bob])
      for (const o of await n.storage.listOutbox()) await n.storage.deleteOutbox(o.messageId);
    net.setOnline(bob.onion, false);
    net.setOnline(bob.onion, true);
    await until(
      async () =>
        (await feed(alice)).includes('bob while cut') && (await feed(bob)).includes('alice while cut'),
      'converged',
    );
    const a = new Set(await feed(alice));
    const b = new Set(await feed(bob));
    expect(a).toEqual(b);
  });

  it('sync pages: 450 missed posts come in several batches, each within the size limit', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    await befriend(alice, bob);
    net.setOnline(bob.onion, false);
    for (let i = 0; i < 450; i++) await alice.engine.publishPost({ text: `post ${i} ${'z'.repeat(600)}` });
    for (const o of await alice.storage.listOutbox()) await alice.storage.deleteOutbox(o.messageId);
    net.setOnline(bob.onion, true);
    await until(
      async () => (await bob.engine.listFeed({ limit: 200 })).length === 200,
      'first pages',
      20_000,
    );
    await until(async () => bob.storage.posts.size === 450, 'all', 20_000);
  });

  it('profiles: friends see name, bio and avatar; a new profile replaces the old', async () => {
    const { alice, bob, carol } = await trio();
    const avatar = { type: 'image/webp', data: new Uint8Array([1, 2, 3, 4]) };
    await alice.engine.setProfile({ name: 'Alice A.', bio: 'hi', avatar });
    await alice.engine.setProfile({ name: 'Alice B.', bio: 'hello there', avatar });
    await settle(alice, bob, carol);
    const aliceId = await idOf(bob, alice);
    await until(async () => (await bob.engine.getProfile(aliceId))?.name === 'Alice B.', 'profile');
    const p = (await carol.engine.getProfile(await idOf(carol, alice)))!;
    expect([p.name, p.bio, p.avatar?.type]).toEqual(['Alice B.', 'hello there', 'image/webp']);
    expect([...alice.storage.log.values()].filter((e) => e.item && e.kind === 'profile').length).toBe(1);
  });
});

describe('social: bad input is refused and never shown', () => {
  it('validates posts, circles and profiles at the API edge', async () => {
    const { alice, bob } = await trio();
    await expect(alice.engine.publishPost({ text: '   ' })).rejects.toThrow(/write something/);
    await expect(alice.engine.publishPost({ text: 'x'.repeat(5001) })).rejects.toThrow(/5000/);
    await expect(
      alice.engine.publishPost({ text: 'x', pictures: [{ type: 'image/svg+xml', data: new Uint8Array(3) }] }),
    ).rejects.toThrow(/JPEG/);
    await expect(alice.engine.publishPost({ text: 'x', audience: 'ab'.repeat(16) })).rejects.toThrow(
      /audience/,
    );
    await expect(alice.engine.createCircle('', [])).rejects.toThrow(/name/);
    await expect(alice.engine.createCircle('c', ['0'.repeat(32)])).rejects.toThrow(/only friends/);
    await expect(alice.engine.setProfile({ name: '', bio: '' })).rejects.toThrow(/name/);
    await expect(alice.engine.comment('nope', 'x')).rejects.toThrow(/unknown post/);
    expect(await feed(bob)).toEqual([]);
  });

  /** Builds a `social` item as alice would, with hooks to break it. */
  async function forge(
    alice: Node,
    o: { key?: Uint8Array; aid?: string; epoch?: number; text?: string } = {},
  ) {
    const aud = (await alice.engine.listAudiences())[0]!;
    const rec =
      (await alice.storage.getMeta<{ aid: string; epochs: { key: string }[] }[]>('social:audiences'))!;
    const key = o.key ?? fromBase64Url(rec[0]!.epochs[0]!.key);
    const json = { t: 'post' as const, id: rid(), at: 1, edited: 0, text: o.text ?? 'forged', pics: [] };
    const k = internals(alice).k;
    return sealItem({
      signingKey: k.identity.signing.privateKey,
      author: k.identity.signing.publicKey,
      aid: fromHex(o.aid ?? aud.aid),
      epoch: o.epoch ?? 1,
      seq: 9999,
      key,
      inner: encodeInnerContent({ json, blobs: [] }),
    });
  }

  it('a flipped bit, another author, an unknown key or a wrong key: refused, never shown', async () => {
    const { alice, bob } = await trio();
    await alice.engine.publishPost({ text: 'real' });
    await settle(alice, bob);
    const deliver = (item: Uint8Array) => sendAs(alice, bob, 'social', item);
    const good = await forge(alice, { text: 'good forged' });
    const flipped = good.slice();
    flipped[100] = flipped[100]! ^ 1;
    await deliver(flipped);
    await deliver(await forge(alice, { key: new Uint8Array(32).fill(7) }));
    await deliver(await forge(alice, { aid: 'ab'.repeat(16), text: 'out of audience' }));
    const codes = bob.errors().map((e) => e.code);
    expect(codes).toEqual(['E_SIGNATURE', 'E_DECRYPT']);
    expect(await feed(bob)).toEqual(['real']);
    // the out-of-audience item waits for a key bob never gets
    const pending = await bob.storage.getMeta<unknown[]>(`social:pending:${await idOf(bob, alice)}`);
    expect(pending?.length).toBe(1);
    // carol relaying an item of alice's to bob is refused: items come only from their author (v1)
    expect(await feed(bob)).not.toContain('good forged');
  });

  it('an item sent by someone other than its author is refused', async () => {
    const { alice, bob, carol } = await trio();
    await befriend(bob, carol);
    const item = await forge(alice, { text: 'passed on by carol' });
    await sendAs(carol, bob, 'social', item);
    expect(bob.errors().map((e) => e.code)).toContain('E_SIGNATURE');
    expect(await feed(bob)).toEqual([]);
  });

  it('the author refuses contributions that are forged, from outside the audience, or on unknown posts', async () => {
    const { alice, bob, carol } = await trio();
    const close = await alice.engine.createCircle('close', [await idOf(alice, bob)]);
    const p = await alice.engine.publishPost({ text: 'circle post', audience: close.aid });
    await settle(alice, bob, carol);
    const aliceKey = internals(alice).k.identity.signing.publicKey;
    const submit = (from: Node, c: Uint8Array) => sendAs(from, alice, 'social-submit', c);
    const signAs = async (n: Node, post: string, postAuthor = aliceKey) => {
      const signing = internals(n).k.identity.signing;
      const json = encodeContribJson({ t: 'comment', id: rid(), post, at: 5, name: n.name, text: 'hey' });
      return signContribution({ signingKey: signing.privateKey, by: signing.publicKey, postAuthor, json });
    };
    await submit(carol, await signAs(carol, p.id)); // carol is not in the circle
    await submit(bob, await signAs(bob, 'ab'.repeat(16))); // unknown post
    const forged = await signAs(bob, p.id);
    forged[forged.length - 3] = forged[forged.length - 3]! ^ 1;
    await submit(bob, forged);
    await submit(bob, await signAs(bob, p.id, new Uint8Array(32).fill(9))); // signed for another author
    expect(alice.errors().map((e) => e.code)).toEqual([
      'E_STATE',
      'E_BAD_INPUT',
      'E_SIGNATURE',
      'E_SIGNATURE',
    ]);
    expect((await alice.engine.getPost(p.key))!.comments).toEqual([]);
    expect((await bob.engine.getPost(p.key))!.comments).toEqual([]);
  });
});
