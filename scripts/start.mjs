#!/usr/bin/env node
// `npm start` / `npm run demo`: install what is missing (tor, chromium, npm packages), build what is out of
// date, then start Chattor (public Tor, with the private-network demo as the fallback) or the demo.
// Only Node built-ins here: this runs before `npm ci` may have happened.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const demo = process.argv.includes('--demo');
const rest = process.argv.slice(2).filter((a) => a !== '--demo');

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

sh('bash', ['scripts/setup-system.sh']);
const sources = Math.max(
  newest('web'),
  newest('shared'),
  newest('gateway'),
  newest('headless'),
  newest('static'),
);
const built = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
// build:web also compiles the membership circuit: the gateway serves its witness wasm at /zk/ (§8).
const zkWasm = 'circuits/build/membership_js/membership.wasm';
if (built('build/index.html') < sources || !existsSync(zkWasm)) sh('npm', ['run', '--silent', 'build:web']);
if (['dist/gateway.mjs', 'dist/cli.mjs', 'dist/headless.mjs'].some((f) => built(f) < sources))
  sh('npm', ['run', '--silent', 'build:gateway']);

const child = spawn(process.execPath, ['dist/cli.mjs', demo ? 'demo' : 'start', ...rest], {
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
