// The local HTTP + WebSocket server on 127.0.0.1:PORT: hono for HTTP, ws for /local, both behind the
// same guard (docs/protocol.md §2).
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import type { Hono } from 'hono';
import { checkRequest, subprotocolToken } from './http/guard.js';
import type { GuardConfig } from './http/guard.js';
import type { LocalHub } from './local/hub.js';

export const LOCAL_SUBPROTOCOL = 'chattor.local.v1';
const MAX_LOCAL_MESSAGE = 2 * 1024 * 1024 + 64;

export interface LocalServer {
  port: number;
  close(): Promise<void>;
}

export async function startLocalServer(opts: {
  port: number;
  app: Hono;
  guard: GuardConfig;
  hub: LocalHub;
}): Promise<LocalServer> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_LOCAL_MESSAGE,
    perMessageDeflate: false,
    handleProtocols: (p) => (p.has(LOCAL_SUBPROTOCOL) ? LOCAL_SUBPROTOCOL : false),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: opts.app.fetch, port: opts.port, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    );
    s.once('error', reject);
  });
  server.on('upgrade', (req, socket, head) => {
    const headers = { get: (n: string) => firstHeader(req.headers[n.toLowerCase()]) };
    const decision = checkRequest(
      opts.guard,
      { method: req.method ?? 'GET', path: req.url ?? '/', headers },
      { requireToken: subprotocolToken(headers.get('sec-websocket-protocol')) },
    );
    const refuse = (status: number, text: string) =>
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    if (!decision.ok) return refuse(decision.status === 308 ? 421 : decision.status, 'Refused');
    if ((req.url ?? '').split('?')[0] !== '/local') return refuse(404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => opts.hub.attach(ws));
  });
  return {
    port: opts.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function firstHeader(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}
