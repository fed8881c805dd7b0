// File transfer end to end (docs/protocol.md §6) on the private Tor network, driven by the client engine
// in headless nodes (no browser): 200 MB from alice to bob; at about half, bob's tor is killed (the
// link is cut); tor comes back, the transfer resumes from the last acknowledged chunk and the received
// file's SHA-256 matches; neither gateway's RSS grows by 64 MB or more during the transfer.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChatMessage } from '../../shared/protocol/api.js';
import { startHeadlessNode } from '../../headless/node.js';
import type { HeadlessNode } from '../../headless/node.js';
import { startTestGateway } from '../support/gateways.js';
import { befriend, until } from '../support/headless.js';
import type { TestGateway } from '../support/gateways.js';

const SIZE = 200 * 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'chattor-files-'));
let gw: TestGateway[] = [];
let nodes: HeadlessNode[] = [];

beforeAll(async () => {
  const lines = inject('testnet').clientTorrcLines;
  gw = await Promise.all(['alice', 'bob'].map((name) => startTestGateway(name, lines, { cwd: work })));
  nodes = await Promise.all(
    gw.map((g) =>
      startHeadlessNode({
        dataDir: g.dataDir,
        displayName: g.name,
        storagePath: join(work, `${g.name}-client`, 'engine.db'),
        filesDir: join(work, `${g.name}-files`),
        engineOptions: { autoAcceptBytes: () => 1024 * 1024 * 1024, retryMs: 5000 },
      }),
    ),
  );
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await Promise.allSettled(gw.map((g) => g.dispose()));
  rmSync(work, { recursive: true, force: true });
});

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

describe('a 200 MB file over Tor', () => {
  it('survives a cut at half, resumes, arrives intact, and the gateways stay flat', async () => {
    const [alice, bob] = nodes as [HeadlessNode, HeadlessNode];
    const gb = gw[1]!;
    const [req] = await befriend(alice, bob);

    const source = join(work, 'source.bin');
    const block = randomBytes(1024 * 1024);
    writeFileSync(source, Buffer.alloc(0));
    for (let i = 0; i < SIZE / block.length; i++) {
      block.writeUInt32BE(i, 0); // every MiB differs
      writeFileSync(source, block, { flag: 'a' });
    }
    const want = await sha256File(source);

    const pids = gw.map((g) => g.child.child.pid!);
    const base = pids.map(rssBytes);
    const peak = [...base];
    const sampler = setInterval(
      () => pids.forEach((p, i) => (peak[i] = Math.max(peak[i]!, rssBytes(p)))),
      200,
    );
    try {
      const m = await alice.engine.sendFile(req.id, { name: 'big.bin', size: SIZE, type: '', source });
      const fileOf = async (n: HeadlessNode): Promise<ChatMessage['file']> =>
        (await n.storage.getMessage(m.id))?.file;
      await until(async () => (((await fileOf(bob))?.done ?? 0) >= SIZE / 2 ? true : undefined), 'half');
      process.kill(await gb.torPid(), 'SIGKILL'); // bob's tor dies: every link of bob's is cut
      const cutAt = (await fileOf(bob))!.done;
      await until(
        async () => ((await fileOf(bob))?.state === 'complete' ? true : undefined),
        'complete',
        600_000,
      );
      expect(cutAt).toBeLessThan(SIZE);
      expect(await sha256File(bob.files.path(m.id))).toBe(want);
      await until(
        async () => ((await fileOf(alice))?.state === 'complete' ? true : undefined),
        'sender complete',
      );
    } finally {
      clearInterval(sampler);
    }
    for (const [i, g] of gw.entries())
      expect(peak[i]! - base[i]!, `${g.name}'s gateway RSS growth`).toBeLessThan(64 * 1024 * 1024);
  }, 900_000);
});
