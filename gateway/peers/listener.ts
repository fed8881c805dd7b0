// One WebSocket listener on 127.0.0.1 per onion service (docs/protocol.md §1.1): tor forwards the
// onion's virtual port 80 here, so the gateway knows on which onion a link arrived.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { HARD_MAX } from '../../shared/wire/frame.js';
import type { Logger } from '../log.js';
import { PEER_PATH, PEER_SUBPROTOCOL } from './limits.js';
import type { LinkManager, OnionKind } from './links.js';

export interface PeerListener {
  port: number;
  close(): Promise<void>;
}

export async function startPeerListener(
  kind: OnionKind,
  links: LinkManager,
  log: Logger,
): Promise<PeerListener> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: HARD_MAX,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(PEER_SUBPROTOCOL) ? PEER_SUBPROTOCOL : false),
  });
  const server: Server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (_err, socket) => {
    // Garbage that is not HTTP: drop it without a word.
    socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => {
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (req.url !== PEER_PATH || !protocols.includes(PEER_SUBPROTOCOL)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => links.acceptIncoming(ws, kind));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.debug('peer listener up', { kind, port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
