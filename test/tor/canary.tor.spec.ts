// Canary (security rule: the gateway never holds plaintext or identity keys): a full conversation with
// unique markers between two headless clients, each behind its own real gateway on the private Tor
// network; then each gateway's whole process memory, a V8 heap snapshot, its log and its data directory
// contain no marker and no private key byte string.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeIdentitySecrets } from '../../shared/crypto/identity.js';
import type { ChatMessage } from '../../shared/protocol/api.js';
import { startHeadlessNode } from '../../headless/node.js';
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
    const markers = Array.from({ length: 6 }, () => `CANARY-${randomBytes(12).toString('hex')}`);
    const [req, incoming] = await befriend(alice, bob, `note ${markers[0]}`);
    for (let i = 1; i < markers.length; i++) {
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

    const needles: Buffer[] = [];
    for (const m of markers) needles.push(...needleForms(m));
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
    // The check itself works: the markers are in the clients' own storage.
    const aliceDb = scanFiles([join(work, 'alice-client')], needleForms(markers[2]!));
    expect(aliceDb.size).toBeGreaterThan(0);
  });
});
