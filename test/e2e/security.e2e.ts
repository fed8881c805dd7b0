// The local guard against the attacks a browser makes possible (issue: hardening §5), on a real gateway
// of the private Tor network and real Chromium: another local web app (a page served from another
// 127.0.0.1 port) tries the API and the local WebSocket — even with the right token it is refused, since
// the Origin is wrong (cross-site WebSocket hijacking); DNS rebinding (a foreign Host name pointing at
// 127.0.0.1); a forged Origin and a missing or wrong token on the WebSocket upgrade, from Node.
import { createServer, request, type Server } from 'node:http';
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { e2eNodes } from './nodes';

const node = () => e2eNodes()[0]!;
const gatewayUrl = () => new URL(node().uiUrl);
const token = () => new URL(node().pairingUrl).hash.replace('#pair=', '');
const PROTOCOLS = () => ['chattor.local.v1', `chattor.token.${token()}`];

/** Opens the gateway's local WebSocket from Node; resolves with 'open' or the HTTP status it got. */
function upgrade(opts: { origin?: string; protocols?: string[]; host?: string }): Promise<string | number> {
  return new Promise((resolve) => {
    const u = gatewayUrl();
    const ws = new WebSocket(`ws://127.0.0.1:${u.port}/local`, opts.protocols ?? PROTOCOLS(), {
      ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
      ...(opts.host ? { headers: { Host: opts.host } } : {}),
    });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', () => resolve('error'));
  });
}

/** A plain HTTP GET to the gateway with chosen headers; resolves with the status. */
function get(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gatewayUrl().port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test.describe('security: the local guard', () => {
  let other: Server;
  let otherUrl = '';

  test.beforeAll(async () => {
    // Another local web app: any page on another port of 127.0.0.1 (a dev server, a malicious local app).
    other = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>another local app</title><p>hello</p>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as { port: number }).port}/`;
  });

  test.afterAll(async () => {
    await new Promise<void>((r) => other.close(() => r()));
  });

  test('another local web app cannot use the API or the local WebSocket, even knowing the token', async ({
    page,
  }) => {
    await page.goto(otherUrl);
    const result = await page.evaluate(
      async ({ base, protocols }) => {
        const ws = await new Promise<string>((resolve) => {
          const s = new WebSocket(`${base.replace('http', 'ws')}local`, protocols);
          s.onopen = () => {
            s.close();
            resolve('open');
          };
          s.onerror = () => resolve('refused');
        });
        const fetchResult = await fetch(`${base}api/status`, {
          headers: { Authorization: `Bearer ${protocols[1]!.slice('chattor.token.'.length)}` },
        }).then(
          (r) => `status ${r.status}`,
          () => 'refused',
        );
        const noCors = await fetch(`${base}api/status`, { mode: 'no-cors' }).then(
          (r) => `opaque ${r.type}`,
          () => 'refused',
        );
        return { ws, fetchResult, noCors };
      },
      { base: node().uiUrl, protocols: PROTOCOLS() },
    );
    expect(result.ws).toBe('refused');
    // Either the gateway's 403 is hidden by CORS (a network error) or the request never got an answer it
    // could read: never a readable status.
    expect(result.fetchResult).toBe('refused');
    expect(result.noCors).not.toMatch(/^status/);
  });

  test('DNS rebinding: a foreign Host name is refused (421) on pages, API and WebSocket', async () => {
    const port = gatewayUrl().port;
    expect(await get('/', { Host: `rebind.example:${port}` })).toBe(421);
    expect(
      await get('/api/status', { Host: `rebind.example:${port}`, Authorization: `Bearer ${token()}` }),
    ).toBe(421);
    expect(
      await upgrade({ origin: `http://rebind.example:${port}`, host: `rebind.example:${port}` }),
    ).not.toBe('open');
  });

  test('the WebSocket upgrade needs the exact Origin and the token', async () => {
    const origin = gatewayUrl().origin;
    expect(await upgrade({ origin })).toBe('open');
    expect(await upgrade({ origin: otherUrl.replace(/\/$/, '') })).toBe(403);
    expect(await upgrade({ origin: 'null' })).toBe(403);
    // Browsers always send Origin on a WebSocket; a local program (a headless node) may omit it, but it
    // still needs the token (docs/protocol.md §2.1).
    expect(await upgrade({ protocols: ['chattor.local.v1'] })).toBe(401);
    expect(await upgrade({ origin, protocols: ['chattor.local.v1'] })).toBe(401);
    expect(
      await upgrade({ origin, protocols: ['chattor.local.v1', `chattor.token.${'0'.repeat(64)}`] }),
    ).toBe(401);
  });
});
