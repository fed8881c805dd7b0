// docs/protocol.md §8 end to end on the memory network with real Groth16 proofs (committed development
// keys): friends groups, an anonymous message, a poll, and every refusal of §8.5. Here, not beside
// shared/protocol, because it proves with snarkjs in Node (the shared specs also run in Chromium).
// About 1 s per proof on the 2-core CI machine; the refusals reuse proofs where the check comes first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../shared/crypto/envelope.js';
import type { ChatEngine } from '../shared/protocol/engine.js';
import { encodeHandleBody } from '../shared/protocol/body.js';
import {
  decodeStatement,
  decodeSubmission,
  encodeSubmission,
  memberSecret,
  PROOF_BYTES,
  ROOT_TTL,
  scopeOf,
} from '../shared/protocol/handles.js';
import { decodePayload, encodePayload } from '../shared/protocol/payload.js';
import { befriend, makeNode, newNetwork, settle, until, type Node } from '../shared/protocol/testing.js';
import { fromBase64Url, fromHex, utf8 } from '../shared/util/bytes.js';
import { isChattorError } from '../shared/util/errors.js';
import {
  createGroupTree,
  encodeMembershipProof,
  identityCommitment,
  identitySecretFromSeed,
  MEMBERSHIP_PROOF_BYTES,
  membershipInputFromTree,
  messageHash,
  parsePublicSignals,
  scopeHash,
} from '../shared/zk/index.js';
import { nodeProver, terminateProver } from './test/node-prover.js';

let clock = Date.now();
const now = () => clock;
let alice: Node, bob: Node, carol: Node, dave: Node;
let prover: Awaited<ReturnType<typeof nodeProver>>;
const net = newNetwork();
/** SUBMIT bodies seen on the network (the tap sees every delivered body). */
const submits: Uint8Array[] = [];

beforeAll(async () => {
  prover = await nodeProver();
  const opts = { zk: prover, now };
  [alice, bob, carol, dave] = (await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((n) => makeNode(net, n, opts)),
  )) as [Node, Node, Node, Node];
  await befriend(bob, alice);
  await befriend(dave, alice);
  await befriend(carol, bob); // carol is not alice's friend
  net.tap = ({ body }) => {
    if (body[1] === 0x04 && body[2] === 0x01) submits.push(body.slice());
    return true;
  };
}, 60_000);

afterAll(terminateProver);

const idOf = async (n: Node, of: Node) =>
  (await n.storage.listContacts()).find((c) => c.contactOnion === of.onion)!.id;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isChattorError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

/** What a member (or anyone holding the group's handle key) could send: any statement, any proof. */
async function craft(
  from: Node,
  owner: Node,
  opts: { statement?: Record<string, unknown>; tree?: bigint[]; secret?: bigint; proveFor?: Uint8Array },
): Promise<Uint8Array> {
  const ownerId = await idOf(bob, owner);
  const g = (await bob.storage.getMeta<{
    versions: { gid: string; ver: number; key: string; members: string[] }[];
  }>(`zk-member:${ownerId}`))!.versions[0]!;
  const statement = {
    t: 'anon-msg',
    gid: g.gid,
    ver: g.ver,
    nonce: '0'.repeat(31) + '1',
    handle: '',
    sentAt: clock,
    body: 'crafted',
    ...opts.statement,
  };
  const bytes = utf8.encode(JSON.stringify(statement));
  const proven = opts.proveFor ?? bytes;
  const secret = opts.secret ?? (await secretOf(from, ownerId));
  const members = opts.tree ?? g.members.map((h) => BigInt(`0x${h}`));
  const input = membershipInputFromTree({
    secret,
    tree: createGroupTree(members),
    scope: scopeHash(scopeOf(decodeStatement(proven) as Parameters<typeof scopeOf>[0])),
    messageHash: messageHash(proven),
  });
  const { proof, publicSignals } = await prover.prove(input);
  const encoded = encodeMembershipProof(proof, parsePublicSignals(publicSignals));
  const { envelope } = await sealEnvelope(
    fromBase64Url(g.key),
    fromHex(g.gid),
    encodeSubmission(bytes, encoded),
  );
  return encodeHandleBody('SUBMIT', envelope);
}

/** The zk secret a node uses for `owner`'s group (§8.1), read from its storage (no identityBox here). */
async function secretOf(n: Node, ownerId: string): Promise<bigint> {
  const stored = (await n.storage.getMeta<{ seed: string }>('zk-seed'))!;
  return memberSecret(fromBase64Url(stored.seed), ownerId);
}

/** Sends a crafted SUBMIT from `from` over its own handle link and returns alice's RESULT. */
async function submitRaw(from: Node, body: Uint8Array): Promise<{ ok: boolean; code?: string }> {
  const reply = await from.net.transport(from.onion).handles!.exchange(alice.onion, body);
  return JSON.parse(utf8.decode(reply.subarray(3))) as { ok: boolean; code?: string };
}

const engineOf = (n: Node): ChatEngine => n.engine;

describe('friends groups (§8.2)', () => {
  it('friends opt in; the owner signs versions and members keep them', async () => {
    const aliceId = await idOf(bob, alice);
    await engineOf(bob).joinGroup(aliceId, true);
    await settle(alice, bob);
    await engineOf(dave).joinGroup(await idOf(dave, alice), true);
    await settle(alice, bob, dave);
    await until(async () => (await alice.engine.handlesStatus()).own?.size === 2, 'two members');
    const own = (await alice.engine.handlesStatus()).own!;
    expect(own.ver).toBe(2);
    expect(own.exp).toBe(clock + ROOT_TTL);
    await until(
      async () => (await bob.engine.handlesStatus()).groups.find((g) => g.owner === aliceId)?.size === 2,
      'bob holds version 2',
    );
    // carol is not alice's friend: alice is not in her list, and she cannot join.
    expect((await carol.engine.handlesStatus()).groups.map((g) => g.owner)).not.toContain(aliceId);
    expect(await refusal(carol.engine.joinGroup(aliceId, true))).toBe('E_STATE');
  });

  it('a version not signed by the owner is refused', async () => {
    const p = decodePayload(
      encodePayload({
        t: 'zk-group',
        id: 'a'.repeat(32),
        gid: 'b'.repeat(32),
        ver: 9,
        exp: clock + 1000,
        key: 'A'.repeat(43),
        members: ['1'.padStart(64, '0'), '2'.padStart(64, '0')],
        sig: 'A'.repeat(86),
      }),
    );
    expect(p.t).toBe('zk-group');
    // Member lists must be distinct, non-zero, canonical commitments.
    for (const members of [
      ['0'.repeat(64), '1'.padStart(64, '0')],
      ['1'.padStart(64, '0'), '1'.padStart(64, '0')],
      ['f'.repeat(64)],
    ])
      expect(() => encodePayload({ ...(p as Extract<typeof p, { t: 'zk-group' }>), members })).toThrow(
        /members/,
      );
  });
});

describe('an anonymous message (§8.4–8.5)', () => {
  it('bob → alice: verified, shown as one of her friends with the group size', async () => {
    const aliceId = await idOf(bob, alice);
    const stages: string[] = [];
    await engineOf(bob).sendAnonymous(aliceId, 'guess who', (s) => stages.push(s));
    expect(stages).toEqual(['loading', 'sending']); // the Node prover reports no stages of its own
    const inbox = (await alice.engine.handlesStatus()).inbox;
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ body: 'guess who', groupSize: 2 });
    // Nothing in alice's storage names bob as the sender.
    const bobId = await idOf(alice, bob);
    expect(JSON.stringify(inbox)).not.toContain(bobId);
    expect(submits).toHaveLength(1);
    const { statement } = await openSubmitForTest(submits[0]!);
    expect(statement).not.toBeUndefined();
  });

  it('a replayed SUBMIT is refused: the nullifier of that scope is used', async () => {
    expect(await submitRaw(carol, submits[0]!)).toEqual(
      expect.objectContaining({ ok: false, code: 'E_ZK_NULLIFIER' }),
    );
    expect((await alice.engine.handlesStatus()).inbox).toHaveLength(1);
  });

  it('a tampered message is refused (the proof binds the exact statement bytes)', async () => {
    const ownerId = await idOf(bob, alice);
    const g = (await bob.storage.getMeta<{ versions: { gid: string; ver: number }[] }>(
      `zk-member:${ownerId}`,
    ))!.versions[0]!;
    const signed = utf8.encode(
      JSON.stringify({
        t: 'anon-msg',
        gid: g.gid,
        ver: g.ver,
        nonce: '0'.repeat(31) + '1',
        handle: '',
        sentAt: clock,
        body: 'crafted',
      }),
    );
    const body = await craft(bob, alice, { statement: { body: 'tampered' }, proveFor: signed });
    expect(await submitRaw(bob, body)).toMatchObject({ ok: false, code: 'E_ZK_PROOF' });
  });

  it('a non-member (carol, with a tree of her own) is refused', async () => {
    const aliceId = await idOf(bob, alice);
    const own = identitySecretFromSeed(new Uint8Array(32).fill(3));
    const fake = identityCommitment(identitySecretFromSeed(new Uint8Array(32).fill(7)));
    const body = await craft(carol, alice, { secret: own, tree: [identityCommitment(own), fake] });
    expect(await submitRaw(carol, body)).toMatchObject({ ok: false, code: 'E_ZK_PROOF' });
    // And her engine will not even try: alice is not her friend.
    expect(await refusal(carol.engine.sendAnonymous(aliceId, 'hi'))).toBe('E_STATE');
  });

  it('an unknown or expired version is refused', async () => {
    const unknown = await craft(bob, alice, { statement: { ver: 99 }, proveFor: undefined });
    expect(await submitRaw(bob, unknown)).toMatchObject({ ok: false, code: 'E_ZK_ROOT' });
    const saved = clock;
    clock += ROOT_TTL + 1;
    try {
      const fresh = await craft(bob, alice, { statement: { nonce: '0'.repeat(31) + '2' } });
      expect(await submitRaw(bob, fresh)).toMatchObject({ ok: false, code: 'E_ZK_ROOT' });
    } finally {
      clock = saved;
    }
    expect((await alice.engine.handlesStatus()).inbox).toHaveLength(1);
    expect(alice.errors().map((e) => e.code)).toEqual(
      expect.arrayContaining(['E_ZK_NULLIFIER', 'E_ZK_PROOF', 'E_ZK_ROOT']),
    );
  });

  it('malformed submissions are refused without a proof check', async () => {
    expect(PROOF_BYTES).toBe(MEMBERSHIP_PROOF_BYTES);
    expect(() => decodeSubmission(new Uint8Array(10))).toThrow(/short/);
    expect(() => decodeStatement(utf8.encode('{"t":"anon-msg"}'))).toThrow(/statement/);
    const junk = encodeHandleBody('SUBMIT', new Uint8Array(1024).fill(1));
    expect(await submitRaw(carol, junk)).toMatchObject({ ok: false, code: 'E_DECRYPT' });
  });
});

describe('an anonymous comment (§8.4): relayed by the post’s author as “a friend of” them', () => {
  it('bob comments on alice’s post; everyone sees "a friend of alice", nobody sees bob', async () => {
    const post = await alice.engine.publishPost({ text: 'what should I cook?', pictures: [] });
    await settle(alice, bob, dave);
    const key = `${await idOf(bob, alice)}:${post.id}`;
    await until(async () => (await bob.engine.getPost(key)) !== undefined, 'bob has the post');
    await bob.engine.commentAnonymously(key, 'pasta, obviously');
    const mine = (await alice.engine.getPost(post.key))!;
    expect(mine.comments).toHaveLength(1);
    expect(mine.comments[0]).toMatchObject({ byName: 'a friend of alice', text: 'pasta, obviously' });
    expect(mine.comments[0]!.by).not.toBe(await idOf(alice, bob));
    await settle(alice, bob, dave);
    await until(
      async () => (await dave.engine.getPost(`${await idOf(dave, alice)}:${post.id}`))?.comments.length === 1,
      'dave sees the comment',
    );
  });
});

describe('a poll (§8.4: scope = poll, one vote per member)', () => {
  it('bob votes once; his second vote is refused; dave votes', async () => {
    const aliceId = await idOf(bob, alice);
    const poll = await alice.engine.createPoll('Pizza or pasta?', ['pizza', 'pasta'], clock + 3600_000);
    await settle(alice, bob, dave);
    await until(async () => (await bob.engine.handlesStatus()).polls.length === 1, 'bob has the poll');
    await bob.engine.vote(aliceId, poll.poll, 0);
    expect(await refusal(bob.engine.vote(aliceId, poll.poll, 1))).toBe('E_ZK_NULLIFIER');
    await dave.engine.vote(await idOf(dave, alice), poll.poll, 1);
    const mine = (await alice.engine.handlesStatus()).polls[0]!;
    expect(mine.tally).toEqual([1, 1]);
    await settle(alice, bob, dave);
    await until(
      async () => (await bob.engine.handlesStatus()).polls[0]?.tally.join() === '1,1',
      'the tally reaches bob',
    );
    expect((await bob.engine.handlesStatus()).polls[0]!.voted).toBe(0);
  });
});

/** Opens a captured SUBMIT with alice's handle key, as her engine does. */
async function openSubmitForTest(body: Uint8Array) {
  const { openEnvelope } = await import('../shared/crypto/envelope.js');
  const g = (await alice.storage.getMeta<{ gid: string; key: { privateKey: string } }>('zk-own'))!;
  const { body: inner } = await openEnvelope(
    [fromBase64Url(g.key.privateKey)],
    fromHex(g.gid),
    body.subarray(3),
  );
  const sub = decodeSubmission(inner);
  return { statement: decodeStatement(sub.statement) };
}
