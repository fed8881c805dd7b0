#!/usr/bin/env node
// Bundles the gateway (and its CLI) with esbuild into dist/. The same bundle graph is what
// check-boundaries.mjs inspects, so what is checked is what runs. The headless client is bundled apart.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';

export const ENTRIES = { gateway: 'gateway/main.ts', cli: 'gateway/cli.ts' };

const NODE_BUNDLE = {
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
};

export async function buildGateway({ write = true } = {}) {
  mkdirSync('dist', { recursive: true });
  const result = await build({ ...NODE_BUNDLE, entryPoints: ENTRIES, metafile: true, write });
  if (write) writeFileSync('dist/meta.json', JSON.stringify(result.metafile));
  return result.metafile;
}

/** The headless node is a client (it holds keys): bundled apart from the gateway, never checked into it. */
export async function buildHeadless() {
  await build({ ...NODE_BUNDLE, entryPoints: { headless: 'headless/main.ts' } });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildGateway();
  await buildHeadless();
}
