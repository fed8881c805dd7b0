#!/usr/bin/env node
// `npm test`: every tier (docs/architecture.md §Tests) against one private Tor network, then one plain
// summary line `N passed, N failed` summed over the tiers (the CI harness reads that line).
// Usage: npm test [-- --only unit,tor,slow,browser,e2e]  (browser: the shared/ specs again, in Chromium)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { only: { type: 'string' }, 'skip-build': { type: 'boolean' } } });
const tiers = new Set((values.only ?? 'unit,tor,slow,browser,e2e').split(','));
const results = [];

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function step(title) {
  console.log(`\n=== ${title}`);
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

let testnetDir = process.env.CHATTOR_TESTNET_DIR;
let ownTestnet = false;
function stopTestnet() {
  if (ownTestnet && testnetDir) {
    spawnSync(process.execPath, ['bin/chattor.mjs', 'testnet', 'down', '--dir', testnetDir], {
      stdio: 'inherit',
    });
    rmSync(dirname(testnetDir), { recursive: true, force: true });
    ownTestnet = false;
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (stopTestnet(), process.exit(130)));

async function main() {
  mkdirSync('test-results', { recursive: true });
  step('system check');
  if ((await run('bash', ['scripts/setup-system.sh'])) !== 0) return 1;
  if (!values['skip-build']) {
    step('build (PWA and gateway)');
    if ((await run('npm', ['run', '--silent', 'build'])) !== 0) {
      results.push({ tier: 'build', passed: 0, failed: 1 });
      return 1;
    }
  }
  if (tiers.has('unit')) {
    step('zk: committed keys match the circuit (compile, hashes, snarkjs zkey verify)');
    const ok = (await run('npm', ['run', '--silent', 'zk:verify'])) === 0;
    results.push({ tier: 'zk-artifacts', passed: ok ? 1 : 0, failed: ok ? 0 : 1 });
  }
  const needsTor = tiers.has('tor') || tiers.has('e2e');
  if (needsTor && !testnetDir) {
    step('private Tor network');
    const base = mkdtempSync(join(tmpdir(), 'chattor-test-'));
    testnetDir = join(base, 'net');
    ownTestnet = true;
    if ((await run(process.execPath, ['bin/chattor.mjs', 'testnet', 'up', '--dir', testnetDir])) !== 0) {
      results.push({ tier: 'testnet', passed: 0, failed: 1 });
      return 1;
    }
  }
  const env = testnetDir ? { CHATTOR_TESTNET_DIR: testnetDir } : {};

  // The tor tier runs on its own, one file at a time: its specs kill tors, add relays to the private
  // network and flood it, and must not do so under each other (a project's fileParallelism does not
  // hold while other projects run beside it).
  const groups = [
    { name: 'vitest', projects: ['unit', 'slow', 'browser'].filter((t) => tiers.has(t)), extra: [] },
    { name: 'vitest-tor', projects: tiers.has('tor') ? ['tor'] : [], extra: ['--no-file-parallelism'] },
  ];
  for (const g of groups) {
    if (g.projects.length === 0) continue;
    step(`vitest: ${g.projects.join(', ')}`);
    const out = `test-results/${g.name}.json`;
    rmSync(out, { force: true });
    const code = await run(
      'npx',
      [
        'vitest',
        'run',
        ...g.projects.flatMap((p) => ['--project', p]),
        ...g.extra,
        '--reporter=default',
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      env,
    );
    const r = readJson(out);
    const passed = r?.numPassedTests ?? 0;
    const failed = (r?.numFailedTests ?? 0) + (code !== 0 && !r?.numFailedTests ? 1 : 0);
    results.push({
      tier: g.name,
      passed,
      failed,
      skipped: (r?.numPendingTests ?? 0) + (r?.numTodoTests ?? 0),
    });
  }
  if (tiers.has('e2e')) {
    step('playwright (Chromium) e2e');
    const out = 'test-results/e2e.json';
    rmSync(out, { force: true });
    const code = await run('npx', ['playwright', 'test'], env);
    const r = readJson(out);
    const s = r?.stats ?? {};
    const passed = (s.expected ?? 0) + (s.flaky ?? 0);
    const failed = (s.unexpected ?? 0) + (code !== 0 && !s.unexpected ? 1 : 0);
    results.push({ tier: 'e2e', passed, failed, skipped: s.skipped ?? 0 });
  }
  return results.some((r) => r.failed > 0) ? 1 : 0;
}

const code = await main().catch((e) => {
  console.error(e);
  return 1;
});
stopTestnet();
console.log('\n=== summary');
for (const r of results)
  console.log(
    `${r.tier}: ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`,
  );
const sum = (k) => results.reduce((a, r) => a + (r[k] ?? 0), 0);
const skipped = sum('skipped');
console.log(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (!existsSync('test-results')) mkdirSync('test-results');
process.exit(code);
