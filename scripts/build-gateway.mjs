#!/usr/bin/env node
// Bundles the gateway (and its CLI) with esbuild into dist/. The same bundle graph is what
// check-boundaries.mjs inspects, so what is checked is what runs.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';

export const ENTRIES = { gateway: 'gateway/main.ts', cli: 'gateway/cli.ts' };

export async function buildGateway({ write = true } = {}) {
  mkdirSync('dist', { recursive: true });
  const result = await build({
    entryPoints: ENTRIES,
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    write,
    logLevel: 'warning',
    banner: { js: '// Built by scripts/build-gateway.mjs; do not edit.' },
  });
  if (write) writeFileSync('dist/meta.json', JSON.stringify(result.metafile));
  return result.metafile;
}

/** The headless node is a client (it holds keys): bundled apart from the gateway, never checked into it. */
export async function buildHeadless() {
  await build({
    entryPoints: { headless: 'headless/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    banner: { js: '// Built by scripts/build-gateway.mjs; do not edit.' },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildGateway();
  await buildHeadless();
}
