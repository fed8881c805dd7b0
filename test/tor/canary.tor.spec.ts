// Canary (security rule: the gateway never holds plaintext or identity keys), over every feature: headless
// clients, each behind its own real gateway on the private Tor network, exchange unique markers in
// - chat (a friend request's note, messages: docs/protocol.md §4),
// - the social network (a profile, a post, a comment: §7),
// - a file of five 256 KiB chunks with markers in three of them and in its name (§6),
// - anonymous handles (§8): bob and carol join alice's friends group, alice opens a poll, and bob sends
//   her an anonymous message, an anonymous comment and a vote, each with a real Groth16 proof (snarkjs
//   in Node with the committed development keys; carol is there because a group of one refuses to send);
// then each gateway's whole process memory, a V8 heap snapshot, its log and its data directory contain no
// marker, no identity key, no audience key, no file key, nonce prefix or hash, no zk seed, member secret
// or commitment, no poll id and no handle key. The clients' own files (engine databases, the received
// file) live outside the gateways' data directories, so only the gateway side is scanned.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeProver, terminateProver } from '../../circuits/test/node-prover.js';
import { CHUNK } from '../../shared/crypto/file-stream.js';
import { decodeIdentitySecrets } from '../../shared/crypto/identity.js';
import type { ChatMessage, Contact, FeedPost } from '../../shared/protocol/api.js';
import { memberSecret } from '../../shared/protocol/handles.js';
import { MemoryStorage } from '../../shared/protocol/memory-storage.js';
import { fromBase64Url } from '../../shared/util/bytes.js';
import { identityCommitment, toBytes32 } from '../../shared/zk/index.js';
import { startHeadlessNode } from '../../headless/node.js';
import type { HeadlessNode } from '../../headless/node.js';
import { startTestGateway } from '../support/gateways.js';
import { befriend, until } from '../support/headless.js';
import type { TestGateway } from '../support/gateways.js';
import { needleForms, scanFiles, scanProcessMemory, takeHeapSnapshot } from '../support/memscan.js';

const work = mkdtempSync(join(tmpdir(), 'chattor-canary-'));
let gw: TestGateway[] = [];
let nodes: HeadlessNode[] = [];
/** Everything no gateway may hold, gathered by the tests below and looked for by the last one. */
const needles: Buffer[] = [];
const marker = () => `CANARY-${randomBytes(12).toString('hex')}`;
const clientDir = (name: string) => join(work, `${name}-client`);

// Shared by the tests, in order: alice's contact of bob, bob's of alice, carol's of alice, alice's post.
let aliceToBob: Contact;
let bobToAlice: Contact;
let carolToAlice: Contact;
let post: FeedPost;

beforeAll(async () => {
  const lines = inject('testnet').clientTorrcLines;
  const [zk, gws] = await Promise.all([
    nodeProver(),
    Promise.all(
      ['alice', 'bob', 'carol'].map((name) =>
        startTestGateway(name, lines, {
          nodeArgs: ['--heapsnapshot-signal=SIGUSR2'],
          cwd: work,
          logFile: join(work, `${name}-gateway.log`),
        }),
      ),
    ),
  ]);
  gw = gws;
  nodes = await Promise.all(
    gw.map((g) =>
      startHeadlessNode({
        dataDir: g.dataDir,
        displayName: g.name,
        storagePath: join(clientDir(g.name), 'engine.db'),
        // Not the default `<dataDir>/files`: the received file must not sit in the scanned gateway dir.
        filesDir: join(clientDir(g.name), 'files'),
        social: new MemoryStorage(),
        engineOptions: { zk },
      }),
    ),
  );
});

afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await Promise.allSettled(gw.map((g) => g.dispose()));
  await terminateProver();
  rmSync(work, { recursive: true, force: true });
});

describe('canary: the gateway never holds plaintext or keys', () => {
  it('chat and the social network', async () => {
    const [alice, bob, carol] = nodes as [HeadlessNode, HeadlessNode, HeadlessNode];
    const markers = Array.from({ length: 9 }, marker);
    // carol befriends alice meanwhile: she only makes alice's friends group two members large (§8.2).
    [[aliceToBob, bobToAlice], [carolToAlice]] = await Promise.all([
      befriend(alice, bob, `note ${markers[0]}`),
      befriend(carol, alice),
    ]);
    for (let i = 1; i < 6; i++) {
      const [from, toId] = i % 2 ? [alice, aliceToBob.id] : [bob, bobToAlice.id];
      await from.engine.sendMessage(toId, `message ${i}: ${markers[i]}`);
    }
    const delivered = (ms: ChatMessage[]) =>
      ms.filter((m) => m.direction === 'out').every((m) => m.state === 'delivered' || m.state === 'read');
    await until(async () => {
      const a = await alice.storage.listMessages(aliceToBob.id);
      const b = await bob.storage.listMessages(bobToAlice.id);
      return a.length === 5 && b.length === 5 && delivered(a) && delivered(b) ? true : undefined;
    }, 'all messages delivered');

    // Social: alice's profile and post reach bob; bob's comment goes to alice, who relays it back.
    await alice.engine.setProfile({ name: 'alice', bio: `bio ${markers[6]}` });
    post = await alice.engine.publishPost({ text: `post ${markers[7]}` });
    await until(async () => ((await bob.engine.getPost(post.key)) ? true : undefined), 'post at bob');
    await bob.engine.comment(post.key, `comment ${markers[8]}`);
    await until(
      async () => ((await alice.engine.getPost(post.key))?.comments.length === 1 ? true : undefined),
      'comment at alice',
    );
    expect((await bob.engine.getProfile(bobToAlice.id))?.bio).toBe(`bio ${markers[6]}`);

    for (const m of markers) needles.push(...needleForms(m));
    // The audience keys of alice's friends audience (§7.1), as she keeps them.
    const audiences =
      (await alice.storage.getMeta<{ epochs: { key: string }[] }[]>('social:audiences')) ?? [];
    expect(audiences.length, 'alice has audiences').toBeGreaterThan(0);
    for (const a of audiences) for (const e of a.epochs) needles.push(...needleForms(fromBase64Url(e.key)));
    // The check itself works: the markers are in the clients' own storage.
    expect(scanFiles([clientDir('alice')], needleForms(markers[2]!)).size).toBeGreaterThan(0);
  });

  it('a file of five chunks (§6)', async () => {
    const [alice, bob] = nodes as [HeadlessNode, HeadlessNode];
    const size = 4 * CHUNK + 1000;
    const content = randomBytes(size);
    const inChunks = [0, 2, 4].map((i) => {
      const m = marker();
      content.write(m, i * CHUNK + 100, 'utf8');
      return m;
    });
    const name = `${marker()}.bin`;
    mkdirSync(clientDir('alice'), { recursive: true });
    const source = join(clientDir('alice'), 'canary.bin');
    writeFileSync(source, content);
    const m = await alice.engine.sendFile(aliceToBob.id, { name, size, type: '', source });
    for (const n of [bob, alice])
      await until(
        async () => ((await n.storage.getMessage(m.id))?.file?.state === 'complete' ? true : undefined),
        'file complete on both sides',
      );
    expect(readFileSync(bob.files.path(m.id)).equals(content)).toBe(true);
    expect(scanFiles([bob.files.dir], needleForms(inChunks[1]!)).size, 'in bob’s files').toBeGreaterThan(0);

    for (const s of [...inChunks, name]) needles.push(...needleForms(s));
    // The file key, nonce prefix and plaintext hash, from alice's transfer record (§6.1).
    const rec = await alice.storage.getMeta<{ key: string; nonce: string; hash: string }>(`file:${m.id}`);
    expect(fromBase64Url(rec!.nonce)).toHaveLength(7);
    for (const v of [rec!.key, rec!.nonce, rec!.hash]) needles.push(...needleForms(fromBase64Url(v)));
  });

  it('anonymous handles (§8): a message, a comment and a vote with real proofs', async () => {
    const [alice, bob, carol] = nodes as [HeadlessNode, HeadlessNode, HeadlessNode];
    const aliceId = bobToAlice.id;
    expect(carolToAlice.id).toBe(aliceId); // a contact id is the identity's, whoever looks
    await bob.engine.joinGroup(aliceId, true);
    await carol.engine.joinGroup(aliceId, true);
    await until(
      async () =>
        (await bob.engine.handlesStatus()).groups.find((g) => g.owner === aliceId)?.size === 2 || undefined,
      'bob holds a version with both members',
    );
    const [question, anonBody, anonComment] = [marker(), marker(), marker()];
    const poll = await alice.engine.createPoll(`poll ${question}`, ['yes', 'no'], Date.now() + 86_400_000);
    await bob.engine.sendAnonymous(aliceId, `anonymous ${anonBody}`);
    await bob.engine.commentAnonymously(post.key, `anonymous comment ${anonComment}`);
    await until(
      async () => (await bob.engine.handlesStatus()).polls.some((p) => p.poll === poll.poll) || undefined,
      'the poll at bob',
    );
    await bob.engine.vote(aliceId, poll.poll, 0);

    const status = await alice.engine.handlesStatus();
    expect(status.inbox[0]).toMatchObject({ body: `anonymous ${anonBody}`, groupSize: 2 });
    expect(status.polls.find((p) => p.poll === poll.poll)?.tally).toEqual([1, 0]);
    expect((await alice.engine.getPost(post.key))?.comments).toContainEqual(
      expect.objectContaining({ byName: 'a friend of alice', text: `anonymous comment ${anonComment}` }),
    );

    for (const s of [question, anonBody, anonComment, poll.poll]) needles.push(...needleForms(s));
    // alice's handle key (what SUBMITs are sealed to) and the group's commitments (§8.2).
    const own = await alice.storage.getMeta<{
      key: { privateKey: string };
      members: { commitment: string }[];
    }>('zk-own');
    needles.push(...needleForms(fromBase64Url(own!.key.privateKey)));
    const commitments = own!.members.map((x) => x.commitment);
    for (const c of commitments) needles.push(...needleForms(c));
    // Each member's zk seed and its secret for alice's group (§8.1), as bytes and as the prover's decimal.
    for (const n of [bob, carol]) {
      const seed = fromBase64Url((await n.storage.getMeta<{ seed: string }>('zk-seed'))!.seed);
      const secret = await memberSecret(seed, aliceId);
      expect(commitments).toContain(identityCommitment(secret).toString(16).padStart(64, '0'));
      needles.push(
        ...needleForms(seed),
        ...needleForms(toBytes32(secret)),
        ...needleForms(secret.toString()),
      );
    }
    expect(scanFiles([clientDir('alice')], needleForms(anonBody)).size, 'in alice’s storage').toBeGreaterThan(
      0,
    );
  });

  it('no gateway holds a marker or a key: memory, heap snapshot, log, data directory', async () => {
    for (const n of nodes) {
      const secrets = decodeIdentitySecrets((await n.storage.getMeta<Uint8Array>('identity'))!);
      for (const k of [secrets.signingSeed, secrets.dhPrivate, secrets.deviceSeed])
        needles.push(...needleForms(k));
    }
    for (const g of gw) {
      const pid = g.child.child.pid!;
      // The scan can see what the gateway does hold: its own pairing token.
      expect(scanProcessMemory(pid, needleForms(g.token)).size, 'memory scan sanity check').toBeGreaterThan(
        0,
      );
      const inMemory = scanProcessMemory(pid, needles);
      expect([...inMemory], `${g.name}'s gateway memory`).toEqual([]);
      const snapshot = await takeHeapSnapshot(pid, work);
      const inFiles = scanFiles([snapshot, join(work, `${g.name}-gateway.log`), g.dataDir], needles);
      expect([...inFiles.entries()], `${g.name}'s heap snapshot, log and data directory`).toEqual([]);
    }
  });
});
