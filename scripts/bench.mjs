#!/usr/bin/env node
// `npm run bench [-- --only a,b]`: builds, then runs test/bench/run.ts (figures and ratios, never a
// pass/fail on time); arguments go to run.ts.
import { spawnSync } from 'node:child_process';

const sh = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
if (sh('bash', ['scripts/setup-system.sh']) !== 0) process.exit(1);
if (sh('npm', ['run', '--silent', 'build']) !== 0) process.exit(1);
process.exit(sh('npx', ['tsx', 'test/bench/run.ts', ...process.argv.slice(2)]));
