// createApp: the gateway's HTTP surface (docs/protocol.md §2.1, the home vault of §2.4). No sockets, no process state: the
// composition root (main.ts) passes everything in, and tests call `app.request()`.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { isChattorError } from '../../shared/util/errors.js';
import { MAX_VAULT_BLOB } from '../home-vault.js';
import type { HomeVault } from '../home-vault.js';
import type { Context } from 'hono';
import { bearerToken, checkRequest } from './guard.js';
import type { GuardConfig } from './guard.js';
import { contentSecurityPolicy } from './static.js';
import type { StaticSite } from './static.js';

export interface AppDeps {
  guard: GuardConfig;
  site: StaticSite;
  status: () => unknown;
  /** The home vault (§2.4) and the home onion's Host while it is on (`<onion>.onion`, else null). */
  home?: { vault: HomeVault; host: () => string | null };
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

export function createApp(deps: AppDeps) {
  const app = new Hono();
  const wsOrigins = () => {
    const hosts = [`127.0.0.1:${deps.guard.port}`, ...(deps.guard.extraHosts?.() ?? [])];
    return hosts.map((h) => `ws://${h}`);
  };

  app.use('*', async (c, next) => {
    const isApi = c.req.path.startsWith('/api/');
    const url = new URL(c.req.url);
    const decision = checkRequest(
      deps.guard,
      { method: c.req.method, path: url.pathname + url.search, headers: c.req.raw.headers },
      { requireToken: isApi ? bearerToken(c.req.header('authorization')) : false },
    );
    if (!decision.ok) {
      if (decision.status === 308) return c.redirect(decision.location, 308);
      return c.text(decision.reason, decision.status);
    }
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    c.header('Content-Security-Policy', contentSecurityPolicy(deps.site.scriptHashes, wsOrigins()));
    c.header('Cache-Control', c.res.headers.get('Cache-Control') ?? 'no-store');
  });

  app.get('/api/status', (c) => c.json(deps.status()));
  app.get('/api/health', (c) => c.json({ ok: true }));
  if (deps.home) mountHomeVault(app, deps.home);
  app.all('/api/*', (c) => c.text('not found', 404));

  const serve = (c: Context) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('method not allowed', 405);
    const file = deps.site.get(c.req.path) ?? (looksLikeFile(c.req.path) ? null : deps.site.index());
    if (!file) return c.text('not found', 404);
    c.header('Content-Type', file.type);
    c.header('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(file.body as Uint8Array<ArrayBuffer>);
  };
  app.all('*', serve);
  return app;
}

/** The vault's bytes, never cached, with the generation they carry. */
function vaultResponse(c: Context, vault: HomeVault): Response {
  const v = vault.get();
  if (!v) return c.text('no vault', 404);
  c.header('Content-Type', 'application/octet-stream');
  c.header('X-Chattor-Generation', String(v.generation));
  return c.body(v.blob as Uint8Array<ArrayBuffer>);
}

/**
 * §2.4: `GET|PUT|DELETE /api/home/vault` with the token (PUT also with the lease), and `GET /home/vault`
 * without it, on the home onion's Host only: a Tor Browser session has no token until the vault opens.
 */
function mountHomeVault(app: Hono, home: NonNullable<AppDeps['home']>): void {
  app.get('/api/home/vault', (c) => vaultResponse(c, home.vault));
  app.put(
    '/api/home/vault',
    bodyLimit({ maxSize: MAX_VAULT_BLOB, onError: (c) => c.text('vault too large', 413) }),
    async (c) => {
      try {
        const blob = new Uint8Array(await c.req.arrayBuffer());
        const generation = await home.vault.put(blob, c.req.header('x-chattor-lease'));
        return c.json({ generation });
      } catch (e) {
        if (isChattorError(e, 'E_LEASE_LOST')) return c.text(e.message, 409);
        if (isChattorError(e, 'E_TOO_LARGE')) return c.text(e.message, 413);
        throw e;
      }
    },
  );
  app.delete('/api/home/vault', async (c) => {
    await home.vault.clear();
    return c.json({ ok: true });
  });
  app.get('/home/vault', (c) => {
    const host = home.host();
    if (!host || (c.req.header('host') ?? '').toLowerCase() !== host) return c.text('not found', 404);
    return vaultResponse(c, home.vault);
  });
}

function looksLikeFile(path: string): boolean {
  return /\.[a-z0-9]{1,12}$/i.test(path);
}
