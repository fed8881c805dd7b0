// zk membership proofs against Semaphore v4 (issue: anonymous handles, Benchmarks): "prove and verify at
// your depth in Chromium and Node, warm and cold, side by side in the same run with the Semaphore v4
// packages on the same group size: target ≤ 0.9× Semaphore's proving time, verify ≤ 50 ms".
// Semaphore's artifacts are built here from @semaphore-protocol/circuits (test/bench/zk/semaphore16.circom,
// depth 16 like Chattor's) with circom2 and a Groth16 setup on Chattor's committed powers of tau, once,
// into .bench-cache/ (its official ceremony keys cannot be fetched here; the keys' origin does not change
// proving time). Both proofs run on the same machine, in the same process or page kind, alternately.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright';
import * as snarkjs from 'snarkjs';
import { ensureCompiled } from '../../circuits/scripts/compile.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { REPO_ROOT, bundleForBrowser } from './browser-bundle.js';
import type { Report } from './report.js';
import { ours, semaphore, type ZkFigures, type ZkRun } from './zk.page.js';

const MEMBERS = 1000;
const PROOFS = 6;
const CACHE = join(REPO_ROOT, '.bench-cache/semaphore16');
const ORIGIN = 'http://127.0.0.1:9/';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Compiles the Semaphore circuit and makes a proving key on the committed ptau, once. */
async function semaphoreArtifacts(): Promise<{ wasm: string; zkey: string; vkey: unknown }> {
  const wasm = join(CACHE, 'semaphore16_js/semaphore16.wasm');
  const r1cs = join(CACHE, 'semaphore16.r1cs');
  const zkey = join(CACHE, 'semaphore16.zkey');
  const vkeyPath = join(CACHE, 'semaphore16.vkey.json');
  if (!existsSync(vkeyPath)) {
    process.stdout.write('  (building Semaphore v4 depth-16 artifacts into .bench-cache/, once)\n');
    mkdirSync(CACHE, { recursive: true });
    const require = createRequire(import.meta.url);
    const circom2 = join(dirname(require.resolve('circom2/package.json')), 'cli.js');
    const nm = join(REPO_ROOT, 'node_modules');
    const r = spawnSync(
      process.execPath,
      [
        circom2,
        join(REPO_ROOT, 'test/bench/zk/semaphore16.circom'),
        '--r1cs',
        '--wasm',
        '--O2',
        '-o',
        CACHE,
        ...[
          '-l',
          nm,
          '-l',
          join(nm, 'circomlib/circuits'),
          '-l',
          join(nm, '@zk-kit/binary-merkle-root.circom/src'),
        ],
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`circom2 failed on the Semaphore circuit:\n${r.stdout}${r.stderr}`);
    await snarkjs.zKey.newZKey(r1cs, join(REPO_ROOT, 'circuits/keys/pot13_final.ptau'), zkey);
    writeFileSync(vkeyPath, JSON.stringify(await snarkjs.zKey.exportVerificationKey(zkey)));
  }
  return { wasm, zkey, vkey: JSON.parse(readFileSync(vkeyPath, 'utf8')) as unknown };
}

function add(report: Report, where: string, a: ZkFigures, b: ZkFigures): void {
  if (!a.ok || !b.ok) process.stdout.write(`  WARNING: a proof did not verify (${where})\n`);
  const sem = { name: `Semaphore v4, ${where}`, value: 0 };
  report.add({
    name: `zk prove, ${where}, warm (median of ${a.warm.length}), group of ${MEMBERS}`,
    value: median(a.warm),
    unit: 'ms',
    baseline: { ...sem, value: median(b.warm) },
    target: '≤ ×0.9',
  });
  report.add({
    name: `zk prove, ${where}, cold (first proof)`,
    value: a.cold,
    unit: 'ms',
    baseline: { ...sem, value: b.cold },
    target: '≤ ×0.9',
    note: 'includes loading the witness wasm and proving key and starting snarkjs',
  });
  report.add({
    name: `zk verify, ${where} (median)`,
    value: median(a.verify),
    unit: 'ms',
    baseline: { ...sem, value: median(b.verify) },
    target: '≤ 50 ms',
  });
}

export async function benchZk(report: Report): Promise<void> {
  process.stdout.write(`zk: membership proof vs Semaphore v4, depth 16, group of ${MEMBERS}\n`);
  const sem = await semaphoreArtifacts();
  const { wasm } = await ensureCompiled('membership');
  const own = {
    wasm,
    zkey: join(REPO_ROOT, 'circuits/keys/membership.zkey'),
    vkey: JSON.parse(readFileSync(join(REPO_ROOT, 'circuits/keys/membership.vkey.json'), 'utf8')) as unknown,
  };

  // Node: one process, alternating (each library's first proof is its cold figure).
  const base = { members: MEMBERS, proofs: PROOFS };
  const nodeOurs = await ours({ ...base, ...own });
  const nodeSem = await semaphore({ ...base, ...sem });
  add(report, 'Node', nodeOurs, nodeSem);
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();

  // Chromium: a fresh page per library; artifacts served from disk on a loopback origin.
  const script = await bundleForBrowser({ entry: 'test/bench/zk.page.ts' });
  const files: Record<string, string> = {
    '/ours.wasm': own.wasm,
    '/ours.zkey': own.zkey,
    '/sem.wasm': sem.wasm,
    '/sem.zkey': sem.zkey,
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const inPage = async (fn: 'ours' | 'semaphore', run: ZkRun): Promise<ZkFigures> => {
      const context = await browser.newContext();
      await context.route(`${ORIGIN}**`, (route) => {
        const path = new URL(route.request().url()).pathname;
        if (files[path])
          return route.fulfill({ body: readFileSync(files[path]), contentType: 'application/octet-stream' });
        if (path === '/bench.js') return route.fulfill({ contentType: 'text/javascript', body: script });
        return route.fulfill({
          contentType: 'text/html',
          body: '<!doctype html><script src="/bench.js"></script>',
        });
      });
      const page = await context.newPage();
      await page.goto(ORIGIN);
      await page.waitForFunction('globalThis.chattorZkBench !== undefined');
      try {
        return (await page.evaluate(`globalThis.chattorZkBench.${fn}(${JSON.stringify(run)})`)) as ZkFigures;
      } finally {
        await context.close();
      }
    };
    const chrOurs = await inPage('ours', { ...base, wasm: '/ours.wasm', zkey: '/ours.zkey', vkey: own.vkey });
    const chrSem = await inPage('semaphore', {
      ...base,
      wasm: '/sem.wasm',
      zkey: '/sem.zkey',
      vkey: sem.vkey,
    });
    add(report, 'Chromium', chrOurs, chrSem);
  } finally {
    await browser.close();
  }
}
