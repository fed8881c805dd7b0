// What the service worker (web/service-worker.ts) does with each request, docs/architecture.md
// §The installed PWA. Pure, so the rules are tested without a worker: the app shell and the build's
// files come from a cache named after the build version; navigations go to the gateway first and fall
// back to the cached shell; nothing else is touched — never the API, the local WebSocket, anything
// carrying the token, nor any URL outside the precached list (so nothing a user did lands in a cache).

export const CACHE_PREFIX = 'chattor-app-';

/** The SPA shell (adapter-static's fallback page): every route renders from it. */
export const SHELL_PATH = '/';

/** Paths the worker must never answer, whatever the list says: the gateway's API and local link. */
const NEVER = [/^\/api(\/|$)/, /^\/local(\/|$)/];

export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** Caches to delete when `version` activates: every other one of ours, none of anybody else's. */
export function staleCaches(names: readonly string[], version: string): string[] {
  return names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== cacheName(version));
}

/** The URLs precached at install: the shell, the build and the static files, each once. */
export function precacheList(base: string, build: readonly string[], files: readonly string[]): string[] {
  const all = [`${base}${SHELL_PATH}`, ...build, ...files];
  return [...new Set(all)].filter((p) => !NEVER.some((re) => re.test(p.slice(base.length))));
}

export interface RequestLike {
  method: string;
  url: string;
  mode: string;
  headers: { has(name: string): boolean };
}

/**
 * - `pass`: not ours; the worker does not call `respondWith`, the browser goes to the network as if
 *   there were no worker (and nothing is cached).
 * - `navigate`: a page load: the gateway first, the cached shell if it cannot be reached.
 * - `cached`: a file of this build: from the cache (it never changes within a version).
 */
export type RequestRoute = 'pass' | 'navigate' | 'cached';

export function routeRequest(
  req: RequestLike,
  origin: string,
  base: string,
  precached: ReadonlySet<string>,
): RequestRoute {
  if (req.method !== 'GET') return 'pass';
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return 'pass';
  }
  if (url.origin !== origin) return 'pass';
  if (req.headers.has('authorization')) return 'pass';
  const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
  if (NEVER.some((re) => re.test(path))) return 'pass';
  if (req.mode === 'navigate') return 'navigate';
  // Exact paths only: a query string means something the build did not make.
  if (url.search === '' && precached.has(url.pathname)) return 'cached';
  return 'pass';
}

/** The one message a page sends its waiting worker, when the user accepted the new version. */
export const SKIP_WAITING = { t: 'SkipWaiting' } as const;

export function isSkipWaiting(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { t?: unknown }).t === SKIP_WAITING.t;
}
