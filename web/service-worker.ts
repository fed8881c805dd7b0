// The PWA's service worker (docs/architecture.md §The installed PWA). It keeps this build's files in a
// cache named after the build version, so the app shell opens while the gateway is down; it answers
// page loads from the gateway first and falls back to the cached shell; it never touches the API, the
// local WebSocket or anything carrying the token (the rules are in $lib/features/pwa/policy.ts).
// A new version installs beside the running one and waits until the user accepts it in the app.
import { base, build, files, version } from '$service-worker';
import {
  SHELL_PATH,
  cacheName,
  isSkipWaiting,
  precacheList,
  routeRequest,
  staleCaches,
} from '$lib/features/pwa/policy';
import { missingCaseError } from '../shared/util/errors';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = cacheName(version);
const PRECACHE = precacheList(base, build, files);
const PRECACHED = new Set(PRECACHE);
const SHELL = `${base}${SHELL_PATH}`;

sw.addEventListener('install', (event) => {
  // Content-hashed build files may come from the HTTP cache; the shell and the static files must be
  // this version's, so they are fetched anew. One failure fails the install (and the old version
  // stays): a half-filled cache would open a broken shell offline.
  const immutable = new Set(build);
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        cache.addAll(
          PRECACHE.map((url) => new Request(url, { cache: immutable.has(url) ? 'default' : 'no-cache' })),
        ),
      ),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of staleCaches(await caches.keys(), version)) await caches.delete(name);
      // Page loads start on the network while the worker wakes up.
      await sw.registration.navigationPreload?.enable();
      // Control the page that installed us, so it opens offline without another load first.
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  // Only when the user chose "reload" in the app (web/lib/features/pwa/updates.ts).
  if (isSkipWaiting(event.data)) void sw.skipWaiting();
});

sw.addEventListener('fetch', (event) => {
  const route = routeRequest(event.request, sw.location.origin, base, PRECACHED);
  switch (route) {
    case 'pass':
      return;
    case 'navigate':
      event.respondWith(navigate(event));
      return;
    case 'cached':
      event.respondWith(fromCache(event.request));
      return;
    default:
      throw missingCaseError(route);
  }
});

async function navigate(event: FetchEvent): Promise<Response> {
  try {
    const preloaded = (await event.preloadResponse) as Response | undefined;
    return preloaded ?? (await fetch(event.request));
  } catch {
    // The gateway is not there: this version's shell (or the file itself, if it is one of ours).
    // The response is never stored: a navigation URL may carry `#pair=<token>`.
    const cache = await caches.open(CACHE);
    const path = new URL(event.request.url).pathname;
    const cached = (PRECACHED.has(path) ? await cache.match(path) : undefined) ?? (await cache.match(SHELL));
    return cached ?? Response.error();
  }
}

async function fromCache(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: CACHE });
  // Not there (storage evicted part of it): the network, as if there were no worker.
  return cached ?? fetch(request);
}
