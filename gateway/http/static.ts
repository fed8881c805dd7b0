// Serves the built PWA (build/) from memory-mapped file reads with an SPA fallback, and computes the
// Content-Security-Policy that allows exactly the inline bootstrap scripts of index.html by hash.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.zkey': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  body: Uint8Array;
  type: string;
  immutable: boolean;
}

export interface StaticSite {
  get(path: string): StaticFile | null;
  /** The SPA shell for client-side routes. */
  index(): StaticFile | null;
  scriptHashes: string[];
}

export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  const re = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[1]!.length === 0) continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

export function contentSecurityPolicy(scriptHashes: readonly string[], wsOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' ${scriptHashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    `connect-src 'self' ${wsOrigins.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The zk artifacts the PWA proves with (docs/protocol.md §8, docs/zk.md §9), at fixed paths: the
 * witness wasm as compiled by `circuits/scripts/compile.mjs` and the committed proving key. The browser
 * checks their SHA-256 against the values bundled into the app before using them.
 */
export function zkArtifactFiles(packageRoot: string): Record<string, string> {
  return {
    'zk/membership.wasm': join(packageRoot, 'circuits', 'build', 'membership_js', 'membership.wasm'),
    'zk/membership.zkey': join(packageRoot, 'circuits', 'keys', 'membership.zkey'),
  };
}

/**
 * Loads the site lazily and caches files; a missing build directory yields a site with nothing in it.
 * `extra` maps fixed paths (no leading slash) to files outside the build directory.
 */
export function createStaticSite(root: string, extra: Record<string, string> = {}): StaticSite {
  const cache = new Map<string, StaticFile | null>();
  const load = (rel: string): StaticFile | null => {
    if (cache.has(rel)) return cache.get(rel)!;
    let file: StaticFile | null = null;
    const aliased = Object.hasOwn(extra, rel) ? extra[rel] : undefined;
    const full = aliased ?? normalize(join(root, rel));
    if ((aliased || full.startsWith(normalize(root) + sep)) && existsSync(full) && statSync(full).isFile()) {
      file = {
        body: new Uint8Array(readFileSync(full)),
        type: TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream',
        immutable: rel.startsWith('_app/immutable/'),
      };
    }
    cache.set(rel, file);
    return file;
  };
  const indexFile = load('index.html');
  const scriptHashes = indexFile ? inlineScriptHashes(new TextDecoder().decode(indexFile.body)) : [];
  return {
    get(path) {
      let rel: string;
      try {
        rel = decodeURIComponent(path.split('?')[0]!).replace(/^\/+/, '');
      } catch {
        return null;
      }
      if (rel === '' || rel.includes('\0') || rel.split('/').includes('..')) return null;
      return load(rel);
    },
    index: () => indexFile,
    scriptHashes,
  };
}
