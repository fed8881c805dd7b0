import { describe, expect, it, vi } from 'vitest';
import { capturePairingLink, checkToken, parsePairingFragment, type TokenStore } from './pairing';

const TOKEN = 'q'.repeat(20) + '-_' + 'Z9'.repeat(10) + 'x';

function fakeWindow(href: string) {
  const url = new URL(href);
  const history = { state: { kit: 1 }, replaceState: vi.fn() };
  return { win: { location: { hash: url.hash, href }, history }, history };
}
function memoryStore(): TokenStore & { value?: string } {
  const store: TokenStore & { value?: string } = {
    get: () => Promise.resolve(store.value),
    set: (t) => {
      store.value = t;
      return Promise.resolve();
    },
  };
  return store;
}

describe('parsePairingFragment', () => {
  it('reads a 43-character base64url token', () => {
    expect(TOKEN).toHaveLength(43);
    expect(parsePairingFragment(`#pair=${TOKEN}`)).toEqual({ kind: 'token', token: TOKEN });
    expect(parsePairingFragment(`#x=1&pair=${TOKEN}`)).toEqual({ kind: 'token', token: TOKEN });
  });
  it('tells a missing token from a damaged one', () => {
    expect(parsePairingFragment('')).toEqual({ kind: 'none' });
    expect(parsePairingFragment('#section')).toEqual({ kind: 'none' });
    expect(parsePairingFragment(`#pair=${TOKEN.slice(1)}`)).toEqual({ kind: 'malformed' });
    expect(parsePairingFragment(`#pair=${TOKEN.slice(1)}=`)).toEqual({ kind: 'malformed' });
    expect(parsePairingFragment(`#pair=${TOKEN}A`)).toEqual({ kind: 'malformed' });
  });
});

describe('capturePairingLink', () => {
  it('stores the token, then drops the fragment keeping path, query and history state', async () => {
    const { win, history } = fakeWindow(`http://127.0.0.1:7780/node?x=1#pair=${TOKEN}`);
    const store = memoryStore();
    const capture = await capturePairingLink(win, store);
    expect(capture).toEqual({ fragment: 'token', token: TOKEN });
    expect(store.value).toBe(TOKEN);
    expect(history.replaceState).toHaveBeenCalledWith({ kit: 1 }, '', '/node?x=1');
  });

  it('drops a malformed fragment without storing it', async () => {
    const { win, history } = fakeWindow('http://127.0.0.1:7780/#pair=abc');
    const store = memoryStore();
    expect(await capturePairingLink(win, store)).toEqual({ fragment: 'malformed', token: null });
    expect(store.value).toBeUndefined();
    expect(history.replaceState).toHaveBeenCalledWith({ kit: 1 }, '', '/');
  });

  it('leaves the URL alone without a pairing fragment', async () => {
    const { win, history } = fakeWindow('http://127.0.0.1:7780/feed#top');
    expect(await capturePairingLink(win, memoryStore())).toEqual({ fragment: 'none', token: null });
    expect(history.replaceState).not.toHaveBeenCalled();
  });

  it('still drops the fragment and keeps the token in memory when storage fails', async () => {
    const { win, history } = fakeWindow(`http://127.0.0.1:7780/#pair=${TOKEN}`);
    const boom = new Error('quota');
    const capture = await capturePairingLink(win, { get: vi.fn(), set: () => Promise.reject(boom) });
    expect(capture).toEqual({ fragment: 'token', token: TOKEN, storeError: boom });
    expect(history.replaceState).toHaveBeenCalledOnce();
  });
});

describe('checkToken', () => {
  const respond = (status: number, body = '{}') =>
    vi.fn<typeof fetch>().mockResolvedValue(new Response(body, { status }));

  it('sends the bearer token to /api/status', async () => {
    const fetchFn = respond(200);
    await checkToken(TOKEN, fetchFn);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe('/api/status');
    expect(new Headers(init?.headers).get('authorization')).toBe(`Bearer ${TOKEN}`);
  });

  it('maps 200, 401, other statuses and network errors', async () => {
    expect(await checkToken(TOKEN, respond(200))).toEqual({ kind: 'paired', status: null });
    expect(await checkToken(TOKEN, respond(401))).toEqual({ kind: 'unauthorized' });
    expect(await checkToken(TOKEN, respond(421))).toEqual({ kind: 'unreachable', detail: 'HTTP 421' });
    const down = vi.fn<typeof fetch>().mockRejectedValue(new TypeError('Failed to fetch'));
    expect(await checkToken(TOKEN, down)).toEqual({ kind: 'unreachable', detail: 'no connection' });
  });

  it('uses a valid status body as the first status, ignores an invalid one', async () => {
    const status = {
      version: '0.1.0',
      tor: { state: 'ready', progress: 100, summary: 'Done', socksPort: 9050 },
      onions: {},
      links: [],
      uiUrl: 'http://127.0.0.1:7780/',
    };
    expect(await checkToken(TOKEN, respond(200, JSON.stringify(status)))).toEqual({ kind: 'paired', status });
    expect(await checkToken(TOKEN, respond(200, JSON.stringify({ status })))).toEqual({
      kind: 'paired',
      status,
    });
    expect(await checkToken(TOKEN, respond(200, 'not json'))).toEqual({ kind: 'paired', status: null });
  });
});
