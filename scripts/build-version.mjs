// The PWA's version name (kit.version.name): the package version plus a hash of everything that goes
// into the web build, so the same sources always give the same version (a reproducible build) and any
// change gives a new one. The service worker names its cache after it: a new version is a new cache,
// installed beside the old one and swapped in only when the user accepts (web/service-worker.ts).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const INPUTS = ['web', 'shared', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'];

/** Files the build never reads: tests beside the code. */
const skip = (path) => /\.spec\.ts$/.test(path);

function walk(root, path, out) {
  const full = join(root, path);
  const st = statSync(full, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(full).sort()) walk(root, join(path, name), out);
  } else if (st.isFile() && !skip(path)) {
    out.push(path);
  }
}

/** `0.1.0+<12 hex>`; CHATTOR_BUILD_VERSION overrides it (a release may name its own). */
export function buildVersion(root = process.cwd(), env = process.env) {
  if (env.CHATTOR_BUILD_VERSION) return env.CHATTOR_BUILD_VERSION;
  const files = [];
  for (const input of INPUTS) walk(root, input, files);
  const hash = createHash('sha256');
  for (const file of files) {
    const rel = relative(root, join(root, file)).split(sep).join('/');
    hash.update(`${rel}\0${readFileSync(join(root, file)).length}\0`);
    hash.update(readFileSync(join(root, file)));
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return `${pkg.version}+${hash.digest('hex').slice(0, 12)}`;
}
