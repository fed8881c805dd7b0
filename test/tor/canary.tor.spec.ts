// Canary (security rule: the gateway never holds plaintext or identity keys): a full conversation with
// unique markers between two headless clients, each behind its own real gateway on the private Tor
// network, and the social network on top (a profile, a post, a comment: docs/protocol.md §7); then each
// gateway's whole process memory, a V8 heap snapshot, its log and its data directory contain no marker,
// no private key byte string and no audience key.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeIdentitySecrets } from '../../shared/crypto/identity.js';
import { fromBase64Url } from '../../shared/util/bytes.js';
import type { ChatMessage } from '../../shared/protocol/api.js';
import { startHeadlessNode } from '../../headless/node.js';
import { MemoryStorage } from '../../shared/protocol/memory-storage.js';
import type { HeadlessNode } from '../../headless/node.js';
import { startTestGateway } from '../support/gateways.js';
import { befriend, until } from '../support/headless.js';
import type { TestGateway } from '../support/gateways.js';
import { needleForms, scanFiles, scanProcessMemory, takeHeapSnapshot } from '../support/memscan.js';

const work = mkdtempSync(join(tmpdir(), 'chattor-canary-'));
let gw: TestGateway[] = [];
let nodes: HeadlessNode[] = [];

beforeAll(async () => {
  const lines = inject('testnet').clientTorrcLines;
  gw = await Promise.all(
    ['alice', 'bob'].map((name) =>
      startTestGateway(name, lines, {
        nodeArgs: ['--heapsnapshot-signal=SIGUSR2'],
        cwd: work,
        logFile: join(work, `${name}-gateway.log`),
      }),
    ),
  );
  nodes = await Promise.all(
    gw.map((g) =>
      startHeadlessNode({
        dataDir: g.dataDir,
        displayName: g.name,
        storagePath: join(work, `${g.name}-client`, 'engine.db'),
        social: new MemoryStorage(),
      }),
    ),
  );
});

afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await Promise.allSettled(gw.map((g) => g.dispose()));
  rmSync(work, { recursive: true, force: true });
});

describe('canary: the gateway never holds plaintext or keys', () => {
  it('after a full conversation, no marker and no key is in any gateway', async () => {
    const [alice, bob] = nodes as [HeadlessNode, HeadlessNode];
    const markers = Array.from({ length: 9 }, () => `CANARY-${randomBytes(12).toString('hex')}`);
    const [req, incoming] = await befriend(alice, bob, `note ${markers[0]}`);
    for (let i = 1; i < 6; i++) {
      const [from, toId] = i % 2 ? [alice, req.id] : [bob, incoming.id];
      await from.engine.sendMessage(toId, `message ${i}: ${markers[i]}`);
    }
    const delivered = (ms: ChatMessage[]) =>
      ms.filter((m) => m.direction === 'out').every((m) => m.state === 'delivered' || m.state === 'read');
    await until(async () => {
      const a = await alice.storage.listMessages(req.id);
      const b = await bob.storage.listMessages(incoming.id);
      return a.length === 5 && b.length === 5 && delivered(a) && delivered(b) ? true : undefined;
    }, 'all messages delivered');

    // Social: alice's profile and post reach bob; bob's comment goes to alice, who relays it back.
    await alice.engine.setProfile({ name: 'alice', bio: `bio ${markers[6]}` });
    const post = await alice.engine.publishPost({ text: `post ${markers[7]}` });
    await until(async () => ((await bob.engine.getPost(post.key)) ? true : undefined), 'post at bob');
    await bob.engine.comment(post.key, `comment ${markers[8]}`);
    await until(
      async () => ((await alice.engine.getPost(post.key))?.comments.length === 1 ? true : undefined),
      'comment at alice',
    );
    expect((await bob.engine.getProfile(incoming.id))?.bio).toBe(`bio ${markers[6]}`);

    const needles: Buffer[] = [];
    for (const m of markers) needles.push(...needleForms(m));
    for (const n of nodes) {
      const secrets = decodeIdentitySecrets((await n.storage.getMeta<Uint8Array>('identity'))!);
      for (const k of [secrets.signingSeed, secrets.dhPrivate, secrets.deviceSeed])
        needles.push(...needleForms(k));
    }
    // The audience keys of alice's friends audience (§7.1), as she keeps them.
    const audiences =
      (await alice.storage.getMeta<{ epochs: { key: string }[] }[]>('social:audiences')) ?? [];
    expect(audiences.length, 'alice has audiences').toBeGreaterThan(0);
    for (const a of audiences) for (const e of a.epochs) needles.push(...needleForms(fromBase64Url(e.key)));

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
    // The check itself works: the markers are in the clients' own storage.
    const aliceDb = scanFiles([join(work, 'alice-client')], needleForms(markers[2]!));
    expect(aliceDb.size).toBeGreaterThan(0);
  });
});
