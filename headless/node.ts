// A headless Chattor node: the very client engine the PWA runs (shared/protocol), in Node, with SQLite
// storage, talking to its own gateway over the local link. Bots and demo peers are built on it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type {
  ChatEngineApi,
  ChatMessage,
  Contact,
  EngineEvent,
  EngineOptions,
  SocialStorage,
} from '../shared/protocol/api.js';
import { waitForContactLink } from '../shared/protocol/contact-link.js';
import { ChatEngine } from '../shared/protocol/engine.js';
import { GatewayClient } from '../web/lib/transport/gateway-client.js';
import type { WebSocketLike } from '../web/lib/transport/gateway-client.js';
import { GatewayEngineTransport } from '../web/lib/transport/engine-transport.js';
import type { LocalStatus } from '../web/lib/transport/local-protocol.js';
import { DiskFileStore } from './file-store.js';
import { SqliteStorage } from './sqlite-storage.js';

export interface HeadlessOptions {
  /** The node's data directory: its gateway's `token` and `gateway.json` are read from here. */
  dataDir: string;
  displayName: string;
  /** Where the engine's SQLite database lives (default `<dataDir>/headless.db`). */
  storagePath?: string;
  onError?: (e: unknown) => void;
  /** Where sent and received files live (default `<dataDir>/files`). */
  filesDir?: string;
  /** Engine tuning (tests, the mass relay): mail timing, hold-for-friends, outbox retry, auto-accept. */
  /** Where posts and the own log live (docs/protocol.md §7); without it this node keeps no posts. */
  social?: SocialStorage;
  engineOptions?: Pick<
    EngineOptions,
    'depositAfterMs' | 'fetchEveryMs' | 'mailTtlMs' | 'holdForFriends' | 'retryMs' | 'autoAcceptBytes'
  >;
}

export interface HeadlessNode {
  engine: ChatEngineApi;
  storage: SqliteStorage;
  files: DiskFileStore;
  contactLink(): Promise<string>;
  stop(): Promise<void>;
}

export interface BotHandlers {
  /** Return true to accept. Default: leave the request pending. */
  onFriendRequest?(contact: Contact, node: HeadlessNode): boolean | Promise<boolean>;
  onFriend?(contact: Contact, node: HeadlessNode): void | Promise<void>;
  onMessage?(message: ChatMessage, node: HeadlessNode): void | Promise<void>;
}

function readGateway(dataDir: string): { url: string; origin: string; token: string } {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const { uiPort } = JSON.parse(readFileSync(join(dataDir, 'gateway.json'), 'utf8')) as { uiPort: number };
  return { url: `ws://127.0.0.1:${uiPort}/local`, origin: `http://127.0.0.1:${uiPort}`, token };
}

export async function startHeadlessNode(opts: HeadlessOptions, bot: BotHandlers = {}): Promise<HeadlessNode> {
  const gw = readGateway(opts.dataDir);
  const storage = new SqliteStorage(opts.storagePath ?? join(opts.dataDir, 'headless.db'));
  const client = new GatewayClient({
    token: gw.token,
    url: gw.url,
    createSocket: (url, protocols) =>
      new WebSocket(url, protocols, {
        origin: gw.origin,
        maxPayload: 4 * 1024 * 1024,
      }) as unknown as WebSocketLike,
    onError: opts.onError,
  });
  let status: LocalStatus | null = null;
  client.on('StatusChanged', (e) => {
    status = e.status;
  });
  client.start();
  const transport = new GatewayEngineTransport(client, { status: () => status, onError: opts.onError });
  const files = new DiskFileStore(opts.filesDir ?? join(opts.dataDir, 'files'));
  const engine = new ChatEngine({
    ...opts.engineOptions,
    storage,
    transport,
    files,
    ...(opts.social ? { social: opts.social } : {}),
  });
  if (!(await engine.hasIdentity())) await engine.createIdentity(opts.displayName);

  const node: HeadlessNode = {
    engine,
    storage,
    files,
    contactLink: () => waitForContactLink(engine),
    async stop() {
      off();
      await engine.stop();
      client.stop();
      storage.close();
    },
  };
  const handle = async (e: EngineEvent) => {
    if (e.t === 'ContactChanged' && e.contact.state === 'incoming-request' && bot.onFriendRequest) {
      if (await bot.onFriendRequest(e.contact, node)) await engine.acceptFriendRequest(e.contact.id);
    } else if (e.t === 'ContactChanged' && e.contact.state === 'friend') {
      await bot.onFriend?.(e.contact, node);
    } else if (e.t === 'MessageAdded' && e.message.direction === 'in') {
      await bot.onMessage?.(e.message, node);
    }
  };
  const off = engine.on((e: EngineEvent) => {
    handle(e).catch((err: unknown) => opts.onError?.(err));
  });
  await engine.start();
  return node;
}
