// The local HTTP/WebSocket guard, docs/protocol.md §2.1: Host allow-list, exact Origin, Sec-Fetch-Site,
// bearer token on /api. One pure function so the hono middleware and the WebSocket upgrade share it.
import { timingSafeEqual } from 'node:crypto';

export interface GuardConfig {
  /** The fixed UI port on 127.0.0.1. */
  port: number;
  /** The per-install token (base64url). */
  token: string;
  /** Extra allowed hosts, e.g. the home onion `xyz.onion` (no port: onions are served on port 80). */
  extraHosts?: () => readonly string[];
}

export type GuardDecision =
  | { ok: true; origin: string }
  | { ok: false; status: 308; location: string }
  | { ok: false; status: 401 | 403 | 421; reason: string };

export interface GuardRequest {
  method: string;
  /** Path plus query, as on the request line. */
  path: string;
  headers: { get(name: string): string | null | undefined };
}

const LOOPBACK_ALIASES = ['localhost', '[::1]'];

export function canonicalOrigin(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Constant-time token comparison; unequal lengths compare a dummy to keep timing flat. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(given);
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header);
  return m ? m[1]! : null;
}

/** Token from the WebSocket subprotocol list `chattor.local.v1, chattor.token.<token>`. */
export function subprotocolToken(header: string | null | undefined): string | null {
  if (!header) return null;
  for (const p of header.split(',')) {
    const v = p.trim();
    if (v.startsWith('chattor.token.')) return v.slice('chattor.token.'.length);
  }
  return null;
}

export function checkRequest(
  cfg: GuardConfig,
  req: GuardRequest,
  opts: { requireToken: string | null | false },
) {
  const decision = checkOrigin(cfg, req);
  if (!decision.ok) return decision;
  if (opts.requireToken !== false && !tokenMatches(cfg.token, opts.requireToken))
    return { ok: false, status: 401, reason: 'missing or wrong token' } as const;
  return decision;
}

function checkOrigin(cfg: GuardConfig, req: GuardRequest): GuardDecision {
  const host = (req.headers.get('host') ?? '').toLowerCase();
  const canonicalHost = `127.0.0.1:${cfg.port}`;
  const extra = cfg.extraHosts?.() ?? [];
  let origin: string;
  if (host === canonicalHost) {
    origin = canonicalOrigin(cfg.port);
  } else if (extra.includes(host)) {
    origin = `http://${host}`;
  } else if (LOOPBACK_ALIASES.some((h) => host === `${h}:${cfg.port}`)) {
    // One origin, one IndexedDB: send localhost and [::1] to the canonical origin. Only safe methods
    // are redirected; anything else is refused so nothing state-changing rides on a redirect.
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return { ok: false, status: 421, reason: 'use 127.0.0.1' };
    const path = req.path.startsWith('/') ? req.path : '/';
    return { ok: false, status: 308, location: `${canonicalOrigin(cfg.port)}${path}` };
  } else {
    return { ok: false, status: 421, reason: 'host not allowed' };
  }
  const reqOrigin = req.headers.get('origin');
  if (reqOrigin != null && reqOrigin !== origin)
    return { ok: false, status: 403, reason: 'origin not allowed' };
  const site = req.headers.get('sec-fetch-site');
  if (site != null && site !== 'same-origin' && site !== 'none')
    return { ok: false, status: 403, reason: 'cross-site request' };
  return { ok: true, origin };
}
