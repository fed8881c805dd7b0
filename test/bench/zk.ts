// zk membership proofs against Semaphore v4 (issue: anonymous handles, Benchmarks): "prove and verify at
// your depth in Chromium and Node, warm and cold, side by side in the same run with the Semaphore v4
// packages on the same group size: target ≤ 0.9× Semaphore's proving time, verify ≤ 50 ms".
// Semaphore's artifacts are built here from @semaphore-protocol/circuits with circom2 and a Groth16 setup
// on Chattor's committed powers of tau, once, into .bench-cache/ (its official ceremony keys cannot be
// fetched here; the keys' origin does not change proving time). The baseline is Semaphore at depth 16,
// the depth the brief measured it at (any group up to 65,536); Semaphore at the group's own depth (10 for
// 1,000 members, what its generateProof picks by default) is reported beside it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { chromium } from 'playwright';
import * as snarkjs from 'snarkjs';
import { ensureCompiled } from '../../circuits/scripts/compile.mjs';
import { MAX_DEPTH } from '../../shared/zk/tree.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { REPO_ROOT, bundleForBrowser } from './browser-bundle.js';
import { median, type Report } from './report.js';
import { makeProver, type ProverKind, type ZkRun, type ZkSample } from './zk.page.js';

const MEMBERS = 1000;
/** The depth Semaphore's generateProof picks for a group of MEMBERS when none is given. */
const OWN_DEPTH = Math.ceil(Math.log2(MEMBERS));
const PROOFS = 8;
const CACHE = join(REPO_ROOT, '.bench-cache/semaphore');
const ORIGIN = 'http://127.0.0.1:9/';

/**
 * Compiles the Semaphore v4 circuit at `depth` from @semaphore-protocol/circuits and makes a proving key
 * on Chattor's committed powers of tau, once per depth, into .bench-cache/.
 */
async function semaphoreArtifacts(depth: number): Promise<{ wasm: string; zkey: string; vkey: unknown }> {
  const name = `semaphore${depth}`;
  const wasm = join(CACHE, `${name}_js/${name}.wasm`);
  const r1cs = join(CACHE, `${name}.r1cs`);
  const zkey = join(CACHE, `${name}.zkey`);
  const vkeyPath = join(CACHE, `${name}.vkey.json`);
  if (!existsSync(vkeyPath)) {
    process.stdout.write(`  (building Semaphore v4 depth-${depth} artifacts into .bench-cache/, once)\n`);
    mkdirSync(CACHE, { recursive: true });
    const source = join(CACHE, `${name}.circom`);
    writeFileSync(
      source,
      [
        '// Benchmark only (test/bench/zk.ts), generated: the Semaphore v4 circuit at one depth.',
        'pragma circom 2.1.5;',
        'include "@semaphore-protocol/circuits/src/semaphore.circom";',
        `component main {public [message, scope]} = Semaphore(${depth});`,
        '',
      ].join('\n'),
    );
    const require = createRequire(import.meta.url);
    const circom2 = join(dirname(require.resolve('circom2/package.json')), 'cli.js');
    // circom2 runs as WebAssembly with the repository as its file system: relative paths only.
    const rel = (p: string) => relative(REPO_ROOT, p);
    const nm = 'node_modules';
    const r = spawnSync(
      process.execPath,
      [
        circom2,
        rel(source),
        '--r1cs',
        '--wasm',
        '--O2',
        '-o',
        rel(CACHE),
        ...['-l', nm, '-l', `${nm}/circomlib/circuits`, '-l', `${nm}/@zk-kit/binary-merkle-root.circom/src`],
      ],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    if (r.status !== 0) throw new Error(`circom2 failed on the Semaphore circuit:\n${r.stdout}${r.stderr}`);
    await snarkjs.zKey.newZKey(r1cs, join(REPO_ROOT, 'circuits/keys/pot13_final.ptau'), zkey);
    writeFileSync(vkeyPath, JSON.stringify(await snarkjs.zKey.exportVerificationKey(zkey)));
  }
  return { wasm, zkey, vkey: JSON.parse(readFileSync(vkeyPath, 'utf8')) as unknown };
}

/** The samples of each prover, proofs taken in turn (one of each, again and again), first = cold. */
type Samples = Record<'ours' | 'sem16' | 'semOwn', ZkSample[]>;

async function alternate(provers: Record<keyof Samples, (i: number) => Promise<ZkSample>>): Promise<Samples> {
  const out: Samples = { ours: [], sem16: [], semOwn: [] };
  const order = Object.keys(out) as (keyof Samples)[];
  for (let i = 0; i < PROOFS; i++)
    // Rotate who goes first, so no prover always follows the same one.
    for (let k = 0; k < order.length; k++) {
      const name = order[(i + k) % order.length]!;
      out[name].push(await provers[name](i));
    }
  return out;
}

function add(report: Report, where: string, s: Samples): void {
  if (!Object.values(s).every((xs) => xs.every((x) => x.ok)))
    process.stdout.write(`  WARNING: a proof did not verify (${where})\n`);
  const warm = (xs: ZkSample[]) => median(xs.slice(1).map((x) => x.prove));
  const base = (value: number) => ({ name: `Semaphore v4 depth 16, ${where}`, value });
  report.add({
    name: `zk prove, ${where}, warm (median of ${PROOFS - 1}), group of ${MEMBERS}`,
    value: warm(s.ours),
    unit: 'ms',
    baseline: base(warm(s.sem16)),
    target: '≤ ×0.9',
    note: `Chattor depth ${MAX_DEPTH}; Semaphore at the group's own depth ${OWN_DEPTH}: ${warm(s.semOwn).toFixed(0)} ms (×${(warm(s.ours) / warm(s.semOwn)).toFixed(2)}); proofs taken in turn`,
  });
  report.add({
    name: `zk prove, ${where}, cold (first proof)`,
    value: s.ours[0]!.prove,
    unit: 'ms',
    baseline: base(s.sem16[0]!.prove),
    target: '≤ ×0.9',
    note: `includes loading the witness wasm and proving key; Semaphore depth ${OWN_DEPTH}: ${s.semOwn[0]!.prove.toFixed(0)} ms`,
  });
  report.add({
    name: `zk verify, ${where} (median)`,
    value: median(s.ours.map((x) => x.verify)),
    unit: 'ms',
    baseline: base(median(s.sem16.map((x) => x.verify))),
    target: '≤ 50 ms',
  });
}

export async function benchZk(report: Report): Promise<void> {
  process.stdout.write(
    `zk: membership proof (depth ${MAX_DEPTH}) vs Semaphore v4 (depth 16 and ${OWN_DEPTH}), group of ${MEMBERS}\n`,
  );
  const sem16 = await semaphoreArtifacts(16);
  const semOwn = await semaphoreArtifacts(OWN_DEPTH);
  const { wasm } = await ensureCompiled('membership');
  const own = {
    wasm,
    zkey: join(REPO_ROOT, 'circuits/keys/membership.zkey'),
    vkey: JSON.parse(readFileSync(join(REPO_ROOT, 'circuits/keys/membership.vkey.json'), 'utf8')) as unknown,
  };
  const m = { members: MEMBERS };

  // Node: one process.
  add(
    report,
    'Node',
    await alternate({
      ours: makeProver('ours', { ...m, ...own }),
      sem16: makeProver('semaphore', { ...m, ...sem16, depth: 16 }),
      semOwn: makeProver('semaphore', { ...m, ...semOwn, depth: OWN_DEPTH }),
    }),
  );
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();

  // Chromium: a page per prover (its own snarkjs workers), artifacts served from disk on a loopback origin.
  const script = await bundleForBrowser({ entry: 'test/bench/zk.page.ts' });
  const files: Record<string, string> = {
    '/ours.wasm': own.wasm,
    '/ours.zkey': own.zkey,
    '/sem16.wasm': sem16.wasm,
    '/sem16.zkey': sem16.zkey,
    '/semOwn.wasm': semOwn.wasm,
    '/semOwn.zkey': semOwn.zkey,
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const inPage = async (kind: ProverKind, run: ZkRun): Promise<(i: number) => Promise<ZkSample>> => {
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
      await page.evaluate(
        `globalThis.chattorZkBench.prepare(${JSON.stringify(kind)}, ${JSON.stringify(run)})`,
      );
      return async (i) => (await page.evaluate(`globalThis.chattorZkBench.prove(${i})`)) as ZkSample;
    };
    add(
      report,
      'Chromium',
      await alternate({
        ours: await inPage('ours', { ...m, wasm: '/ours.wasm', zkey: '/ours.zkey', vkey: own.vkey }),
        sem16: await inPage('semaphore', {
          ...m,
          depth: 16,
          wasm: '/sem16.wasm',
          zkey: '/sem16.zkey',
          vkey: sem16.vkey,
        }),
        semOwn: await inPage('semaphore', {
          ...m,
          depth: OWN_DEPTH,
          wasm: '/semOwn.wasm',
          zkey: '/semOwn.zkey',
          vkey: semOwn.vkey,
        }),
      }),
    );
  } finally {
    await browser.close();
  }
}
