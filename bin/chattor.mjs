#!/usr/bin/env node
// The `chattor` command: runs the bundled CLI (build it with `npm run build:gateway`).
// `chattor node --headless …` runs the headless client (dist/headless.mjs), which the gateway CLI
// cannot import: it holds keys.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const headless = process.argv[2] === 'node' && process.argv.includes('--headless');
const entry = join(dist, headless ? 'headless.mjs' : 'cli.mjs');
if (!existsSync(entry)) {
  console.error('chattor: not built yet — run `npm run build` (or `npm start`, which builds first)');
  process.exit(1);
}
if (headless)
  process.argv = [process.argv[0], entry, ...process.argv.slice(3).filter((a) => a !== '--headless')];
await import(entry);
