// Pairing with the local gateway (docs/protocol.md §2.1): the gateway prints
// `http://127.0.0.1:PORT/#pair=<token>`; the fragment never reaches the server. On load we keep the
// token in IndexedDB, drop the fragment from the address bar and history, and ask the gateway whether
// the token is still the one it holds.
import { parseStatus, type LocalStatus } from './local-protocol';

/** 32 random bytes, base64url without padding. */
export const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
export const PAIR_PARAM = 'pair';

export type PairingFragment =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  /** A `#pair=` fragment whose token is not 43 base64url characters (a damaged copy-paste). */
  | { kind: 'malformed' };

export function parsePairingFragment(hash: string): PairingFragment {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get(PAIR_PARAM);
  if (token === null) return { kind: 'none' };
  return TOKEN_RE.test(token) ? { kind: 'token', token } : { kind: 'malformed' };
}

export interface TokenStore {
  get(): Promise<string | undefined>;
  set(token: string): Promise<void>;
}

export interface PairingCapture {
  fragment: PairingFragment['kind'];
  /** The token from the link, kept in memory too in case IndexedDB refused it. */
  token: string | null;
  storeError?: unknown;
}

/**
 * Takes a pairing token out of the address bar: stores it, then replaces the history entry with the
 * same URL minus the fragment (also a malformed one: it may still hold most of a secret).
 */
export async function capturePairingLink(
  win: { location: Pick<Location, 'hash' | 'href'>; history: Pick<History, 'replaceState' | 'state'> },
  store: TokenStore,
): Promise<PairingCapture> {
  const fragment = parsePairingFragment(win.location.hash);
  if (fragment.kind === 'none') return { fragment: 'none', token: null };
  let storeError: unknown;
  if (fragment.kind === 'token') {
    try {
      await store.set(fragment.token);
    } catch (error) {
      storeError = error;
    }
  }
  const url = new URL(win.location.href);
  url.hash = '';
  win.history.replaceState(win.history.state, '', url.pathname + url.search);
  const capture: PairingCapture = {
    fragment: fragment.kind,
    token: fragment.kind === 'token' ? fragment.token : null,
  };
  if (storeError !== undefined) capture.storeError = storeError;
  return capture;
}

export type TokenCheck =
  | { kind: 'paired'; status: LocalStatus | null }
  | { kind: 'unauthorized' }
  | { kind: 'unreachable'; detail: string };

/** `GET /api/status` with the token: 200 paired, 401 not paired, anything else unreachable. */
export async function checkToken(
  token: string,
  fetchFn: typeof fetch = (input, init) => fetch(input, init),
  timeoutMs = 10_000,
): Promise<TokenCheck> {
  let res: Response;
  try {
    res = await fetchFn('/api/status', {
      headers: { Authorization: `Bearer ${token}` },
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return { kind: 'unreachable', detail: name === 'TimeoutError' ? 'timed out' : 'no connection' };
  }
  if (res.status === 401) return { kind: 'unauthorized' };
  if (!res.ok) return { kind: 'unreachable', detail: `HTTP ${res.status}` };
  // The body is a bonus (an early status to show); the WebSocket sends the real one on connect.
  let status: LocalStatus | null = null;
  try {
    const body: unknown = await res.json();
    const parsed = parseStatus(typeof body === 'object' && body && 'status' in body ? body.status : body);
    if (parsed.ok) status = parsed.value;
  } catch {
    status = null;
  }
  return { kind: 'paired', status };
}
