#!/usr/bin/env node
// The `chattor` command: runs the bundled CLI (build it with `npm run build:gateway`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.mjs');
if (!existsSync(cli)) {
  console.error('chattor: not built yet — run `npm run build` (or `npm start`, which builds first)');
  process.exit(1);
}
await import(cli);
