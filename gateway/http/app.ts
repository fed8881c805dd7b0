// createApp: the gateway's HTTP surface (docs/protocol.md §2.1). No sockets, no process state: the
// composition root (main.ts) passes everything in, and tests call `app.request()`.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bearerToken, checkRequest } from './guard.js';
import type { GuardConfig } from './guard.js';
import { contentSecurityPolicy } from './static.js';
import type { StaticSite } from './static.js';

export interface AppDeps {
  guard: GuardConfig;
  site: StaticSite;
  status: () => unknown;
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

function looksLikeFile(path: string): boolean {
  return /\.[a-z0-9]{1,12}$/i.test(path);
}
