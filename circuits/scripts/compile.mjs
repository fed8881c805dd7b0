#!/usr/bin/env node
// Compiles circuits with circom2 (circom 2.2.3 as WebAssembly) into circuits/build/ (docs/zk.md §9).
// The output is byte-identical across runs and machines, so circuits/artifacts.json can lock the r1cs
// and wasm hashes: a different hash means the circuit (or an include, or the compiler) changed.
//
//   node circuits/scripts/compile.mjs [name ...]     default: membership
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CIRCUITS = join(ROOT, 'circuits');
export const BUILD = join(CIRCUITS, 'build');

const require = createRequire(import.meta.url);
const CIRCOM2_CLI = join(dirname(require.resolve('circom2/package.json')), 'cli.js');
const INCLUDE_PATHS = [join(ROOT, 'node_modules'), join(ROOT, 'node_modules/circomlib/circuits')];

/** Where compile() puts a circuit's outputs; `source` is relative to circuits/, without `.circom`. */
export function buildPaths(source = 'membership') {
  const name = source.split('/').pop();
  const dir = join(BUILD, dirname(source));
  return {
    source: join(CIRCUITS, `${source}.circom`),
    r1cs: join(dir, `${name}.r1cs`),
    sym: join(dir, `${name}.sym`),
    wasm: join(dir, `${name}_js`, `${name}.wasm`),
  };
}

export async function sha256File(path) {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/**
 * Compiles circuits/<source>.circom. Each run writes into a fresh temporary directory and renames the
 * files into place, so test files that compile at the same time never see a half-written wasm.
 */
export async function compile(source = 'membership', { quiet = false } = {}) {
  const paths = buildPaths(source);
  const outDir = dirname(paths.r1cs);
  await mkdir(outDir, { recursive: true });
  const tmp = await mkdtemp(join(outDir, '.compile-'));
  try {
    const args = [CIRCOM2_CLI, paths.source, '--r1cs', '--wasm', '--sym', '--O2', '-o', tmp];
    for (const l of INCLUDE_PATHS) args.push('-l', l);
    const { code, output } = await run(process.execPath, args);
    if (code !== 0) throw new Error(`circom2 failed on ${relative(ROOT, paths.source)}:\n${output}`);
    if (!quiet) process.stdout.write(output);
    const name = source.split('/').pop();
    await mkdir(dirname(paths.wasm), { recursive: true });
    await rename(join(tmp, `${name}.r1cs`), paths.r1cs);
    await rename(join(tmp, `${name}.sym`), paths.sym);
    await rename(join(tmp, `${name}_js`, `${name}.wasm`), paths.wasm);
    const constraints = Number(/non-linear constraints: (\d+)/.exec(output)?.[1] ?? NaN);
    return { ...paths, constraints, output };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Compiles only when an output is missing or older than any .circom file under circuits/. */
export async function ensureCompiled(source = 'membership') {
  const paths = buildPaths(source);
  const newestSource = await newestCircom(CIRCUITS);
  const outputs = await Promise.all([paths.r1cs, paths.wasm].map((p) => stat(p).catch(() => null)));
  if (outputs.every((s) => s && s.mtimeMs >= newestSource)) return paths;
  return compile(source, { quiet: true });
}

async function newestCircom(dir) {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'build') newest = Math.max(newest, await newestCircom(p));
    else if (entry.name.endsWith('.circom')) newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    // circom colours its output even when piped.
    child.on('close', (code) => resolve({ code, output: output.replace(ANSI_COLOUR, '') }));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sources = process.argv.length > 2 ? process.argv.slice(2) : ['membership'];
  for (const source of sources) {
    const started = performance.now();
    const out = await compile(source);
    const ms = Math.round(performance.now() - started);
    process.stdout.write(
      `${relative(ROOT, out.r1cs)}  sha256 ${await sha256File(out.r1cs)}\n` +
        `${relative(ROOT, out.wasm)}  sha256 ${await sha256File(out.wasm)}\n` +
        `${out.constraints} constraints, ${ms} ms\n`,
    );
  }
}
