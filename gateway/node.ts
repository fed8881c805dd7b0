// A running Chattor node: tor, onions, peer links, the local server. The composition root main.ts
// builds a NodeConfig from argv/env and calls startNode; tests do the same in-process or as a child.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toBase64Url } from '../shared/util/bytes.js';
import { HomeAccess } from './home.js';
import { HomeVault } from './home-vault.js';
import { createApp } from './http/app.js';
import type { GuardConfig } from './http/guard.js';
import { createStaticSite, zkArtifactFiles } from './http/static.js';
import { packageRoot } from './config.js';
import { LocalHub } from './local/hub.js';
import { MailboxService } from './mailbox/service.js';
import { DAY_MS, MailboxStore } from './mailbox/store.js';
import type { MailboxLimits } from './mailbox/store.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';
import { OnionManager } from './onions.js';
import { RelayManager } from './relay.js';
import { LinkManager } from './peers/links.js';
import { startPeerListener } from './peers/listener.js';
import { startLocalServer } from './server.js';
import type { TorControl } from './tor/control.js';
import { loadOrCreateOnionKey } from './tor/onion-key.js';
import { TorSupervisor } from './tor/process.js';
import { relayNetworkOf } from './tor/relay-config.js';

export const VERSION = '0.1.0';

export type TorConfig =
  | { mode: 'spawn'; extraTorrc: string[]; torBinary?: string; socksPort?: number | 'auto' }
  | { mode: 'attach'; controlPort: number; cookieFile?: string; password?: string };

export interface NodeConfig {
  name: string;
  dataDir: string;
  uiPort: number;
  staticDir: string;
  tor: TorConfig;
  /** Handle onion rotation period; 0 disables the schedule (rotation on command still works). */
  handleRotateMs: number;
  /** Envelope lifetime at this holder (§5.6), default 14. */
  mailboxTtlDays?: number;
  /** Holder-wide mailbox limits (§5.6), defaults 200,000 envelopes and 2 GiB. */
  mailboxMaxEnvelopes?: number;
  mailboxMaxBytes?: number;
  /** Deposit tokens per friend's account and UTC day (§5.4), default 8,192. */
  mailboxTokensPerDay?: number;
  log: Logger;
}

/** Expired envelopes are deleted at start and this often (§5.6). */
export const MAILBOX_SWEEP_MS = 10 * 60_000;

export interface NodeStatus {
  version: string;
  /** New random hex each time the gateway starts: link numbers are valid within one instance (§2.2). */
  instance: string;
  name: string;
  tor: { state: string; progress: number; summary: string; socksPort: number | null };
  onions: { contact?: string; handle?: string; home?: string };
  links: ReturnType<LinkManager['list']>;
  uiUrl: string;
}

export interface ChattorNode {
  uiUrl: string;
  pairingUrl: string;
  status(): NodeStatus;
  tor: TorSupervisor;
  onions: OnionManager;
  links: LinkManager;
  /** null if the store could not be opened (the node runs on, holding no mail). */
  mailbox: MailboxStore | null;
  relay: RelayManager;
  whenReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function loadOrCreateToken(dataDir: string): Promise<string> {
  const path = join(dataDir, 'token');
  try {
    const t = (await readFile(path, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(t)) return t;
  } catch {
    // first start
  }
  const token = toBase64Url(new Uint8Array(randomBytes(32)));
  await writeFile(path, token + '\n', { mode: 0o600 });
  return token;
}

/**
 * Opens the holder's store. A store that cannot be opened (a damaged file, a missing native module)
 * must not keep the node from chatting: it is logged, and mailbox requests are answered UNAVAILABLE.
 */
function openMailbox(cfg: NodeConfig, log: Logger): MailboxStore | null {
  const limits: Partial<MailboxLimits> = {};
  if (cfg.mailboxTtlDays !== undefined) limits.ttlMs = cfg.mailboxTtlDays * DAY_MS;
  if (cfg.mailboxMaxEnvelopes !== undefined) limits.maxEnvelopes = cfg.mailboxMaxEnvelopes;
  if (cfg.mailboxMaxBytes !== undefined) limits.maxBytes = cfg.mailboxMaxBytes;
  if (cfg.mailboxTokensPerDay !== undefined) limits.issuePerDay = cfg.mailboxTokensPerDay;
  try {
    return MailboxStore.open({ dataDir: cfg.dataDir, limits });
  } catch (e) {
    log.error('mailbox store unavailable; holding no mail', { reason: errorMessage(e) });
    return null;
  }
}

export async function startNode(cfg: NodeConfig): Promise<ChattorNode> {
  const log = cfg.log;
  await mkdir(cfg.dataDir, { recursive: true, mode: 0o700 });
  const token = await loadOrCreateToken(cfg.dataDir);
  const contactKey = await loadOrCreateOnionKey(join(cfg.dataDir, 'contact-onion.key'));
  const home = await HomeAccess.load(cfg.dataDir);
  const homeVault = await HomeVault.open(cfg.dataDir);
  const uiUrl = `http://127.0.0.1:${cfg.uiPort}`;

  // tor and hub are created after the parts that call back into them (links, onions, status).
  // eslint-disable-next-line prefer-const
  let tor: TorSupervisor | undefined;
  const torControl = (): TorControl | null => {
    try {
      return tor?.control ?? null;
    } catch {
      return null;
    }
  };

  const mailbox = openMailbox(cfg, log.child('mailbox'));
  const mailboxService = new MailboxService({ store: mailbox, log: log.child('mailbox') });
  const sweep = () => {
    try {
      const n = mailbox?.sweep() ?? 0;
      if (n > 0) log.info('expired envelopes deleted', { count: n });
    } catch (e) {
      log.warn('mailbox sweep failed', { reason: errorMessage(e) });
    }
  };
  sweep();
  const sweepTimer = setInterval(sweep, MAILBOX_SWEEP_MS);
  sweepTimer.unref();

  // eslint-disable-next-line prefer-const
  let hub: LocalHub | undefined;
  const links = new LinkManager({
    mailbox: mailboxService,
    socksPort: () => (tor?.state === 'ready' ? (tor.socksPort ?? null) : null),
    hasClient: () => hub?.hasClient() ?? false,
    log: log.child('peers'),
    refreshOnion: (onion) => {
      torControl()
        ?.command(`HSFETCH ${onion}`)
        .catch((e: unknown) => log.debug('HSFETCH failed', { reason: errorMessage(e) }));
    },
    events: {
      connected: (i) => {
        hub?.broadcast({
          t: 'PeerConnected',
          link: i.link,
          direction: i.direction,
          onion: i.onion,
          via: i.via,
        });
      },
      closed: (link, reason, willRetry) => hub?.broadcast({ t: 'PeerClosed', link, reason, willRetry }),
      frame: (link, frame, stream) => hub?.frame(link, frame, stream),
    },
  });
  const contactListener = await startPeerListener('contact', links, log.child('contact'));
  const handleListener = await startPeerListener('handle', links, log.child('handle'));

  const instance = randomBytes(16).toString('hex');
  const status = (): NodeStatus => ({
    version: VERSION,
    instance,
    name: cfg.name,
    tor: {
      state: tor?.state ?? 'starting',
      progress: tor?.progress ?? 0,
      summary: tor?.summary ?? '',
      socksPort: tor?.socksPort ?? null,
    },
    onions: { contact: onions.contact, handle: onions.handle, ...(onions.home ? { home: onions.home } : {}) },
    links: links.list(),
    uiUrl,
  });
  const onions = new OnionManager({
    control: torControl,
    contactKey,
    listenerPorts: { contact: contactListener.port, handle: handleListener.port },
    home: { keys: () => home.keys, uiPort: cfg.uiPort },
    log: log.child('onions'),
    published: (kind, onion, previous) => {
      hub?.broadcast({ t: 'OnionPublished', kind, onion, previous });
      hub?.broadcast({ t: 'StatusChanged', status: status() });
    },
  });

  // Relay mode (§2.6): stored settings, applied once tor is up and again after every restart.
  const relay = await RelayManager.open({
    dataDir: cfg.dataDir,
    network: cfg.tor.mode === 'spawn' ? relayNetworkOf(cfg.tor.extraTorrc) : 'public',
    control: torControl,
    log: log.child('relay'),
    changed: () => {
      relay
        .status()
        .then((r) => hub?.broadcast({ t: 'RelayChanged', relay: r }))
        .catch(() => undefined);
    },
  });

  hub = new LocalHub({
    links,
    status,
    rotateHandle: () => onions.rotateHandle(),
    mailbox,
    relay,
    home: {
      info: () => home.info(),
      setEnabled: async (enabled) => {
        await home.setEnabled(enabled);
        await onions.syncHome().catch((e: unknown) => {
          log.warn('home onion not (un)published yet', { reason: errorMessage(e) });
        });
        hub?.broadcast({ t: 'StatusChanged', status: status() });
        return home.info();
      },
    },
    lease: homeVault,
    log: log.child('local'),
  });
  // §2.3: while the home onion is on, its name is an allowed Host (Origin http://<home>.onion).
  const homeHost = () => home.host();
  const guard: GuardConfig = {
    port: cfg.uiPort,
    token,
    extraHosts: () => {
      const h = homeHost();
      return h ? [h] : [];
    },
  };
  const app = createApp({
    guard,
    site: createStaticSite(cfg.staticDir, zkArtifactFiles(packageRoot())),
    status,
    home: { vault: homeVault, host: homeHost },
  });
  const server = await startLocalServer({ port: cfg.uiPort, app, guard, hub });

  tor =
    cfg.tor.mode === 'spawn'
      ? await TorSupervisor.start({
          dataDir: join(cfg.dataDir, 'tor'),
          log: log.child('tor'),
          extraTorrc: cfg.tor.extraTorrc,
          torBinary: cfg.tor.torBinary,
          socksPort: cfg.tor.socksPort,
        })
      : await TorSupervisor.attach({ ...cfg.tor, log: log.child('tor') });

  let lastProgressBroadcast = 0;
  tor.onBootstrap((progress) => {
    const t = Date.now();
    if (progress === 100 || t - lastProgressBroadcast > 250) {
      lastProgressBroadcast = t;
      hub?.broadcast({ t: 'StatusChanged', status: status() });
    }
  });
  tor.onRestart(() => onions.forget());
  let publishedOn: TorControl | null = null;
  let ready: Promise<void> | undefined;
  const publishIfNeeded = () => {
    const control = torControl();
    if (!control || control === publishedOn || tor?.state !== 'ready') return;
    publishedOn = control;
    hub?.broadcast({ t: 'TorBootstrapped' });
    links.redialNow();
    void relay.apply();
    ready = onions.publishAll().catch((e: unknown) => {
      publishedOn = null;
      log.error('publishing onions failed', { reason: errorMessage(e) });
      throw e;
    });
    ready.catch(() => undefined);
  };
  tor.onStateChange(() => {
    hub?.broadcast({ t: 'StatusChanged', status: status() });
    publishIfNeeded();
  });
  publishIfNeeded();

  let rotateTimer: ReturnType<typeof setInterval> | undefined;
  if (cfg.handleRotateMs > 0) {
    rotateTimer = setInterval(() => {
      onions
        .rotateHandle()
        .catch((e: unknown) => log.warn('handle rotation failed', { reason: errorMessage(e) }));
    }, cfg.handleRotateMs);
    rotateTimer.unref();
  }

  return {
    uiUrl,
    pairingUrl: `${uiUrl}/#pair=${token}`,
    status,
    tor,
    onions,
    links,
    mailbox,
    relay,
    async whenReady(timeoutMs = 120_000) {
      await tor.whenBootstrapped(timeoutMs);
      publishIfNeeded();
      const end = Date.now() + timeoutMs;
      while (!ready || !onions.contact || !onions.handle) {
        if (Date.now() > end) throw new Error('onions not published in time');
        await new Promise((r) => setTimeout(r, 100));
      }
      await ready;
    },
    async stop() {
      if (rotateTimer) clearInterval(rotateTimer);
      clearInterval(sweepTimer);
      relay.close();
      links.closeAll();
      hub?.closeAll();
      await Promise.allSettled([contactListener.close(), handleListener.close(), server.close()]);
      mailbox?.close();
      await tor.stop();
    },
  };
}
