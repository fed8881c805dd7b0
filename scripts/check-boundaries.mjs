#!/usr/bin/env node
// The trust boundary as a build check (docs/architecture.md §Boundaries): the gateway bundle must not
// contain anything under shared/crypto or shared/protocol (code that holds keys or plaintext), and web/
// and gateway/ never import each other. On failure it prints the import chain, like SvelteKit does for
// server-only modules.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ENTRIES, buildGateway } from './build-gateway.mjs';

const FORBIDDEN_IN_GATEWAY = [/^shared\/crypto\//, /^shared\/protocol\//, /^web\//];

export function findViolations(metafile, entries = Object.values(ENTRIES)) {
  const violations = [];
  for (const entry of entries) {
    // Breadth-first from the entry, remembering each file's parent to print the chain.
    const parent = new Map([[entry, null]]);
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.shift();
      const bad = FORBIDDEN_IN_GATEWAY.find((re) => re.test(file));
      if (bad) {
        const chain = [];
        for (let f = file; f; f = parent.get(f)) chain.unshift(f);
        violations.push({ entry, file, chain });
        continue;
      }
      for (const imp of metafile.inputs[file]?.imports ?? []) {
        if (imp.external || parent.has(imp.path)) continue;
        parent.set(imp.path, file);
        queue.push(imp.path);
      }
    }
  }
  return violations;
}

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (/\.(ts|js|svelte)$/.test(name)) out.push(p);
  }
  return out;
}

function webImportsGateway() {
  const found = [];
  for (const f of filesUnder('web')) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g))
      if (/(^|\/)gateway\//.test(m[1])) found.push(`${f} imports ${m[1]}`);
  }
  return found;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const metafile = await buildGateway({ write: false });
  const violations = findViolations(metafile);
  const webViolations = webImportsGateway();
  if (violations.length === 0 && webViolations.length === 0) {
    console.log(`boundaries ok: ${Object.keys(metafile.inputs).length} gateway modules, none decrypting`);
    process.exit(0);
  }
  for (const v of violations) {
    console.error(
      `Cannot import ${v.file} into the gateway (${v.entry}): the gateway must never hold keys or`,
    );
    console.error('plaintext. Import chain:');
    v.chain.forEach((f, i) => console.error(`${'  '.repeat(i + 1)}${i === 0 ? '' : '→ '}${f}`));
  }
  for (const w of webViolations) console.error(`web/ must not import gateway/: ${w}`);
  process.exit(1);
}
