// A headless Chattor node: the very client engine the PWA runs (shared/protocol), in Node, with SQLite
// storage, talking to its own gateway over the local link. Bots and demo peers are built on it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { ChatEngineApi, EngineOptions, SocialStorage } from '../shared/protocol/api.js';
import { waitForContactLink } from '../shared/protocol/contact-link.js';
import { ChatEngine } from '../shared/protocol/engine.js';
import { ChattorError } from '../shared/util/errors.js';
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
  /** Where posts and the own log live (docs/protocol.md §7); without it this node keeps no posts. */
  social?: SocialStorage;
  /**
   * Engine tuning (tests, the mass relay): mail timing, hold-for-friends, outbox retry, auto-accept; and
   * a membership prover (§8: snarkjs in Node), without which this node neither sends nor accepts
   * anonymous actions.
   */
  engineOptions?: Pick<
    EngineOptions,
    'depositAfterMs' | 'fetchEveryMs' | 'mailTtlMs' | 'holdForFriends' | 'retryMs' | 'autoAcceptBytes' | 'zk'
  >;
}

export interface HeadlessNode {
  engine: ChatEngineApi;
  storage: SqliteStorage;
  files: DiskFileStore;
  /** What the gateway beside it wrote in `<dataDir>/gateway.json` (its UI port and mailbox limits). */
  gateway: GatewayInfo;
  /** Starts the engine (listening, dialing friends, fetching mail); `startHeadlessNode` calls it. */
  start(): Promise<void>;
  contactLink(): Promise<string>;
  stop(): Promise<void>;
}

/** The holder limits of the gateway's mailbox store (docs/protocol.md §5.6), as the gateway reports them. */
export interface GatewayMailboxLimits {
  ttlDays: number;
  maxEnvelopes: number;
  maxBytes: number;
  /** Deposit tokens one friend's account may mint per day (§5.4). */
  issuePerDay: number;
}

export interface GatewayInfo {
  uiPort: number;
  /** Absent when the gateway is older than the field (or wrote something else there). */
  mailbox?: GatewayMailboxLimits;
}

function readGateway(dataDir: string): { url: string; origin: string; token: string; info: GatewayInfo } {
  let token: string;
  let info: GatewayInfo;
  try {
    token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    info = JSON.parse(readFileSync(join(dataDir, 'gateway.json'), 'utf8')) as GatewayInfo;
  } catch (cause) {
    throw new ChattorError('E_STATE', `no gateway has run with data directory ${dataDir}`, { cause });
  }
  if (!Number.isInteger(info.uiPort) || info.uiPort < 1 || info.uiPort > 65535)
    throw new ChattorError('E_STATE', `${join(dataDir, 'gateway.json')}: uiPort is not a port`);
  const { uiPort } = info;
  const m = info.mailbox;
  const counts = m && [m.ttlDays, m.maxEnvelopes, m.maxBytes, m.issuePerDay];
  const mailbox = counts?.every((n) => Number.isSafeInteger(n) && n > 0) ? m : undefined;
  return {
    url: `ws://127.0.0.1:${uiPort}/local`,
    origin: `http://127.0.0.1:${uiPort}`,
    token,
    info: { uiPort, ...(mailbox ? { mailbox } : {}) },
  };
}

/** Opens a headless node and starts its engine. */
export async function startHeadlessNode(opts: HeadlessOptions): Promise<HeadlessNode> {
  const node = await openHeadlessNode(opts);
  try {
    await node.start();
  } catch (e) {
    await node.stop().catch(() => undefined);
    throw e;
  }
  return node;
}

/**
 * Opens a headless node beside the gateway of `opts.dataDir` (creating the identity on first use)
 * without starting its engine, so that a caller can subscribe to every event first (headless/bot.ts).
 */
export async function openHeadlessNode(opts: HeadlessOptions): Promise<HeadlessNode> {
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
  try {
    if (!(await engine.hasIdentity())) await engine.createIdentity(opts.displayName);
  } catch (e) {
    client.stop();
    storage.close();
    throw e;
  }

  let started = false;
  let stopped = false;
  return {
    engine,
    storage,
    files,
    gateway: gw.info,
    async start() {
      if (started) return;
      started = true;
      await engine.start();
    },
    contactLink: () => waitForContactLink(engine),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (started) await engine.stop();
      client.stop();
      storage.close();
    },
  };
}
