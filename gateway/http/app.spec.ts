import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HomeVault, MAX_VAULT_BLOB } from '../home-vault.js';
import { tempDir } from '../mailbox/testing.js';
import { createApp } from './app.js';
import { subprotocolToken, tokenMatches } from './guard.js';
import type { StaticSite } from './static.js';
import { contentSecurityPolicy, createStaticSite, inlineScriptHashes } from './static.js';

const PORT = 7780;
const TOKEN = 'A'.repeat(43);
const ORIGIN = `http://127.0.0.1:${PORT}`;

const site: StaticSite = {
  get: (p) =>
    p === '/app.js'
      ? { body: new TextEncoder().encode('x'), type: 'text/javascript', immutable: false }
      : null,
  index: () => ({
    body: new TextEncoder().encode('<html>shell</html>'),
    type: 'text/html',
    immutable: false,
  }),
  scriptHashes: ["'sha256-abc'"],
};

const app = createApp({
  guard: { port: PORT, token: TOKEN, extraHosts: () => ['home.onion'] },
  site,
  status: () => ({ tor: { state: 'ready' } }),
});

function req(path: string, headers: Record<string, string>, method = 'GET') {
  return app.request(`http://127.0.0.1:${PORT}${path}`, { method, headers });
}
const auth = { authorization: `Bearer ${TOKEN}` };
const cleanupDirs: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanupDirs.splice(0)) c();
});

describe('HTTP guard', () => {
  it('serves the shell and the API to the canonical origin', async () => {
    const shell = await req('/chats', { host: `127.0.0.1:${PORT}` });
    expect(shell.status).toBe(200);
    expect(await shell.text()).toContain('shell');
    const csp = shell.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("'sha256-abc'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(shell.headers.get('set-cookie')).toBeNull();
    const api = await req('/api/status', { host: `127.0.0.1:${PORT}`, origin: ORIGIN, ...auth });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ tor: { state: 'ready' } });
  });

  it('answers a wrong Host with 421 (DNS rebinding)', async () => {
    for (const host of ['evil.example:7780', `127.0.0.1:${PORT + 1}`, '127.0.0.1', '0.0.0.0:7780', '']) {
      const r = await req('/api/status', { host, ...auth });
      expect(r.status, host).toBe(421);
    }
  });

  it('refuses a wrong Origin with 403', async () => {
    for (const origin of [
      'http://evil.example',
      `http://localhost:${PORT}`,
      `http://127.0.0.1:${PORT + 1}`,
      'null',
    ]) {
      const r = await req('/api/status', { host: `127.0.0.1:${PORT}`, origin, ...auth });
      expect(r.status, origin).toBe(403);
    }
  });

  it('refuses cross-site fetch metadata with 403', async () => {
    const r = await req('/', { host: `127.0.0.1:${PORT}`, 'sec-fetch-site': 'cross-site' });
    expect(r.status).toBe(403);
    const same = await req('/', { host: `127.0.0.1:${PORT}`, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(200);
  });

  it('requires the token on the API with 401', async () => {
    const none = await req('/api/status', { host: `127.0.0.1:${PORT}` });
    expect(none.status).toBe(401);
    const wrong = await req('/api/status', {
      host: `127.0.0.1:${PORT}`,
      authorization: `Bearer ${'B'.repeat(43)}`,
    });
    expect(wrong.status).toBe(401);
    const malformed = await req('/api/status', { host: `127.0.0.1:${PORT}`, authorization: TOKEN });
    expect(malformed.status).toBe(401);
  });

  it('sends localhost and [::1] to the canonical origin', async () => {
    for (const host of [`localhost:${PORT}`, `[::1]:${PORT}`]) {
      const r = await req('/chats?x=1', { host });
      expect(r.status).toBe(308);
      expect(r.headers.get('location')).toBe(`${ORIGIN}/chats?x=1`);
    }
    const post = await req('/api/status', { host: `localhost:${PORT}` }, 'POST');
    expect(post.status).toBe(421);
  });

  it('allows the home onion host and origin', async () => {
    const r = await req('/api/status', { host: 'home.onion', origin: 'http://home.onion', ...auth });
    expect(r.status).toBe(200);
    const wrongOrigin = await req('/api/status', { host: 'home.onion', origin: ORIGIN, ...auth });
    expect(wrongOrigin.status).toBe(403);
  });

  it('never changes state on GET and refuses other methods on static paths', async () => {
    const r = await req('/', { host: `127.0.0.1:${PORT}` }, 'POST');
    expect(r.status).toBe(405);
    const missing = await req('/nope.js', { host: `127.0.0.1:${PORT}` });
    expect(missing.status).toBe(404);
    const file = await req('/app.js', { host: `127.0.0.1:${PORT}` });
    expect(file.status).toBe(200);
  });
});

describe('guard helpers', () => {
  it('compares tokens and reads subprotocol tokens', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN, TOKEN.slice(1))).toBe(false);
    expect(tokenMatches(TOKEN, null)).toBe(false);
    expect(subprotocolToken(`chattor.local.v1, chattor.token.${TOKEN}`)).toBe(TOKEN);
    expect(subprotocolToken('chattor.local.v1')).toBeNull();
  });

  it('hashes inline scripts only', () => {
    const html = '<script>boot()</script><script src="/a.js"></script><script type="module">x</script>';
    expect(inlineScriptHashes(html)).toHaveLength(2);
    expect(contentSecurityPolicy([], ['ws://127.0.0.1:1'])).toContain("connect-src 'self' ws://127.0.0.1:1");
  });
});

describe('installed PWA (a built site on disk)', () => {
  const root = mkdtempSync(join(tmpdir(), 'chattor-site-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, '_app/immutable/entry'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<html><script>boot()</script></html>');
  writeFileSync(join(root, 'manifest.webmanifest'), '{"name":"Chattor"}');
  writeFileSync(join(root, 'service-worker.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(root, '_app/immutable/entry/start.abc.js'), 'export {};');
  const pwa = createApp({
    guard: { port: PORT, token: TOKEN },
    site: createStaticSite(root),
    status: () => ({}),
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    pwa.request(`${ORIGIN}${path}`, { headers: { host: `127.0.0.1:${PORT}`, ...headers } });

  it('serves the manifest as a manifest, and the CSP lets it and the worker load', async () => {
    const r = await get('/manifest.webmanifest', {
      'sec-fetch-dest': 'manifest',
      'sec-fetch-site': 'same-origin',
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/manifest+json');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("manifest-src 'self'");
    expect(csp).toMatch(/worker-src 'self'/);
  });

  it('serves the service worker revalidated every time, at the root (its scope), as script', async () => {
    const r = await get('/service-worker.js', {
      'sec-fetch-dest': 'serviceworker',
      'sec-fetch-site': 'same-origin',
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    // Scope / is the script's own directory: no Service-Worker-Allowed needed, none widened.
    expect(r.headers.get('service-worker-allowed')).toBeNull();
    const shell = await get('/');
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    expect(shell.headers.get('content-security-policy')).toContain(
      inlineScriptHashes('<script>boot()</script>')[0],
    );
    const immutable = await get('/_app/immutable/entry/start.abc.js');
    expect(immutable.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('refuses the worker script to another site', async () => {
    const r = await get('/service-worker.js', { 'sec-fetch-site': 'cross-site' });
    expect(r.status).toBe(403);
  });
});

describe('home vault over HTTP (§2.4)', () => {
  const HOME = `${'h'.repeat(56)}.onion`;
  async function homeApp(homeOn = true) {
    const tmp = tempDir('chattor-app-vault-');
    cleanupDirs.push(tmp.remove);
    const vault = await HomeVault.open(tmp.dir);
    const a = createApp({
      guard: { port: PORT, token: TOKEN, extraHosts: () => (homeOn ? [HOME] : []) },
      site,
      status: () => ({}),
      home: { vault, host: () => (homeOn ? HOME : null) },
    });
    const call = (path: string, init: RequestInit & { host?: string } = {}) =>
      a.request(`http://127.0.0.1:${PORT}${path}`, {
        ...init,
        headers: { host: init.host ?? `127.0.0.1:${PORT}`, ...(init.headers as Record<string, string>) },
      });
    return { vault, call };
  }

  it('stores a blob for the lease holder and serves it, with its generation', async () => {
    const { vault, call } = await homeApp();
    expect((await call('/api/home/vault', { headers: auth })).status).toBe(404);
    const { lease } = vault.acquire({}, false);
    const put = await call('/api/home/vault', {
      method: 'PUT',
      headers: { ...auth, 'x-chattor-lease': lease },
      body: Uint8Array.of(9, 8, 7),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ generation: 1 });
    const got = await call('/api/home/vault', { headers: auth });
    expect(got.headers.get('x-chattor-generation')).toBe('1');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(Uint8Array.of(9, 8, 7));
    expect(got.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a write without the token, without the lease, or too large', async () => {
    const { vault, call } = await homeApp();
    const { lease } = vault.acquire({}, false);
    const body = Uint8Array.of(1);
    expect((await call('/api/home/vault', { method: 'PUT', body })).status).toBe(401);
    expect(
      (await call('/api/home/vault', { method: 'PUT', headers: { ...auth, 'x-chattor-lease': 'x' }, body }))
        .status,
    ).toBe(409);
    const big = new Uint8Array(MAX_VAULT_BLOB + 1);
    expect(
      (
        await call('/api/home/vault', {
          method: 'PUT',
          headers: { ...auth, 'x-chattor-lease': lease },
          body: big,
        })
      ).status,
    ).toBe(413);
  });

  it('serves /home/vault without the token on the home onion only', async () => {
    const { vault, call } = await homeApp();
    const { lease } = vault.acquire({}, false);
    await vault.put(Uint8Array.of(5), lease);
    const onion = await call('/home/vault', { host: HOME });
    expect(onion.status).toBe(200);
    expect(new Uint8Array(await onion.arrayBuffer())).toEqual(Uint8Array.of(5));
    expect((await call('/home/vault', { host: HOME, headers: { origin: `http://${HOME}` } })).status).toBe(
      200,
    );
    expect((await call('/home/vault', { host: HOME, headers: { origin: ORIGIN } })).status).toBe(403);
    // On 127.0.0.1 the route does not exist (a local page gets nothing without the token).
    expect((await call('/home/vault')).status).toBe(404);
    const off = await homeApp(false);
    expect((await off.call('/home/vault', { host: HOME })).status).toBe(421);
  });
});
