import { describe, expect, it } from 'vitest';
import {
  cacheName,
  isSkipWaiting,
  precacheList,
  routeRequest,
  staleCaches,
  type RequestLike,
} from './policy';

const ORIGIN = 'http://127.0.0.1:7780';
const PRECACHED = new Set(
  precacheList(
    '',
    ['/_app/immutable/entry/start.abc.js', '/_app/immutable/assets/0.css'],
    ['/manifest.webmanifest', '/icons/icon-192.png'],
  ),
);

function req(path: string, init: Partial<Omit<RequestLike, 'headers'>> & { headers?: string[] } = {}) {
  const headers = new Set(init.headers ?? []);
  return {
    method: init.method ?? 'GET',
    url: path.startsWith('http') ? path : `${ORIGIN}${path}`,
    mode: init.mode ?? 'no-cors',
    headers: { has: (n: string) => headers.has(n.toLowerCase()) },
  };
}
const route = (r: RequestLike) => routeRequest(r, ORIGIN, '', PRECACHED);

describe('service worker policy', () => {
  it('precaches the shell, the build and the static files, once each', () => {
    expect(
      precacheList('', ['/_app/a.js', '/_app/a.js'], ['/manifest.webmanifest', '/api/x', '/local']),
    ).toEqual(['/', '/_app/a.js', '/manifest.webmanifest']);
    expect(precacheList('/app', ['/app/_app/a.js'], [])).toEqual(['/app/', '/app/_app/a.js']);
  });

  it('answers page loads (network first) and this build’s files (cache)', () => {
    expect(route(req('/', { mode: 'navigate' }))).toBe('navigate');
    expect(route(req('/chats/abc', { mode: 'navigate' }))).toBe('navigate');
    expect(route(req('/_app/immutable/entry/start.abc.js', { mode: 'cors' }))).toBe('cached');
    expect(route(req('/manifest.webmanifest'))).toBe('cached');
    expect(route(req('/icons/icon-192.png'))).toBe('cached');
  });

  it('never touches the API, the local link, the token or anything it did not precache', () => {
    expect(route(req('/api/status', { headers: ['authorization'] }))).toBe('pass');
    expect(route(req('/api/status'))).toBe('pass');
    expect(route(req('/api', { mode: 'navigate' }))).toBe('pass');
    expect(route(req('/api/status', { mode: 'navigate' }))).toBe('pass');
    expect(route(req('/local', { mode: 'navigate' }))).toBe('pass');
    expect(route(req('/icons/icon-192.png', { headers: ['authorization'] }))).toBe('pass');
    expect(route(req('/icons/icon-192.png?x=1'))).toBe('pass');
    expect(route(req('/_app/version.json'))).toBe('pass');
    expect(route(req('/files/blob-1'))).toBe('pass');
  });

  it('passes other methods and other origins', () => {
    expect(route(req('/', { method: 'POST', mode: 'navigate' }))).toBe('pass');
    expect(route(req('/_app/immutable/assets/0.css', { method: 'HEAD' }))).toBe('pass');
    expect(route(req('http://localhost:7780/', { mode: 'navigate' }))).toBe('pass');
    expect(route(req('http://abc.onion/_app/immutable/assets/0.css'))).toBe('pass');
    expect(route({ ...req('/'), url: 'http://[bad' })).toBe('pass');
  });

  it('names caches by version and drops only its own old ones', () => {
    expect(cacheName('0.1.0+abc')).toBe('chattor-app-0.1.0+abc');
    expect(
      staleCaches(['chattor-app-0.1.0+old', 'chattor-app-0.1.0+abc', 'someone-else'], '0.1.0+abc'),
    ).toEqual(['chattor-app-0.1.0+old']);
  });

  it('recognises only the skip-waiting message', () => {
    expect(isSkipWaiting({ t: 'SkipWaiting' })).toBe(true);
    for (const bad of [null, undefined, 'SkipWaiting', { t: 'skipwaiting' }, { type: 'SKIP_WAITING' }, 1])
      expect(isSkipWaiting(bad)).toBe(false);
  });
});
