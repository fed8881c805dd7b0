// The local link's gateway side, docs/protocol.md §2.2, §2.3–2.4 (home onion, engine lease) and §5.8:
// JSON commands from the browser, past-tense events to it, and binary frames both ways. Frames stay
// opaque here.
import type WebSocket from 'ws';
import { fromHex, toBase64Url } from '../../shared/util/bytes.js';
import { ChattorError, isChattorError } from '../../shared/util/errors.js';
import { LocalOp, decodeLocalBinary, encodeLocalBinary } from '../../shared/wire/local-binary.js';
import type { Logger } from '../log.js';
import { wsBytes } from '../ws-bytes.js';
import { errorMessage } from '../log.js';
import type { LinkInfo } from '../peers/links.js';
import type { RelayStatus } from '../relay.js';
import { BULK_HIGH_WATER } from '../peers/limits.js';
import type { HomeAccessInfo } from '../home.js';
import type { HomeVault } from '../home-vault.js';

export interface HubLinks {
  dial(onion: string, options?: { isolated?: boolean }): number;
  close(link: number): boolean;
  send(link: number, frame: Uint8Array): void;
}

/** The holder's mailbox accounts (§5.8), as MailboxStore offers them; the hub never sees envelopes. */
export interface HubMailbox {
  /** `keyId || publicKey` of the token key. */
  readonly okey: Uint8Array;
  /** Registers SHA-256(cap); idempotent. */
  openAccount(capHash: Uint8Array): void;
  closeAccount(capHash: Uint8Array): unknown;
  stats(): { accounts: number; envelopes: number; bytes: number; oldestAt: number | null };
}

/** Relay mode (§2.6), as RelayManager offers it. */
export interface HubRelay {
  status(): Promise<RelayStatus>;
  set(settings: unknown): Promise<RelayStatus>;
}

export interface HubDeps {
  links: HubLinks;
  status: () => unknown;
  rotateHandle: () => Promise<string>;
  /** null when the mailbox store could not be opened: its commands fail with E_MAILBOX. */
  mailbox?: HubMailbox | null;
  /** Absent in hub-only tests: its commands fail with E_STATE. */
  relay?: HubRelay;
  /** The home onion switch (§2.3). */
  home?: {
    info(): HomeAccessInfo;
    setEnabled(enabled: boolean): Promise<HomeAccessInfo>;
  };
  /** The engine lease (§2.4). */
  lease?: Pick<HomeVault, 'acquire' | 'release' | 'holder'>;
  /** How long a lease holder may take to write its state and release (§2.4); default 15 s. */
  handOverMs?: number;
  log: Logger;
}

const CAP_HASH_RE = /^[0-9a-f]{64}$/;

function capHashOf(c: Record<string, unknown>): Uint8Array {
  if (typeof c.capHash !== 'string' || !CAP_HASH_RE.test(c.capHash))
    throw new ChattorError('E_BAD_INPUT', 'capHash must be 64 lower-case hex digits');
  return fromHex(c.capHash, 'capHash');
}

export type GatewayEvent =
  | { t: 'StatusChanged'; status: unknown }
  | { t: 'TorBootstrapped' }
  | { t: 'OnionPublished'; kind: 'contact' | 'handle' | 'home'; onion: string; previous?: string }
  | ({ t: 'PeerConnected' } & Omit<LinkInfo, 'open'>)
  | { t: 'PeerClosed'; link: number; reason: string; willRetry: boolean }
  | { t: 'LinkError'; link: number; code: string; message: string }
  | { t: 'RelayChanged'; relay: RelayStatus }
  | { t: 'EngineLeaseRequested' }
  | { t: 'EngineLeaseLost' };

const MAX_COMMAND_BYTES = 16 * 1024;

export class LocalHub {
  private readonly clients = new Set<WebSocket>();
  /** Called whenever a lease holder lets go (release command or closed socket). */
  private readonly releaseWaiters = new Set<() => void>();

  constructor(private readonly deps: HubDeps) {}

  hasClient(): boolean {
    return this.clients.size > 0;
  }

  attach(ws: WebSocket): void {
    this.clients.add(ws);
    ws.on('close', () => {
      this.clients.delete(ws);
      this.releaseLease(ws);
    });
    ws.on('error', (e) => this.deps.log.debug('local socket error', { reason: errorMessage(e) }));
    ws.on('message', (data, isBinary) => {
      const bytes = wsBytes(data);
      if (isBinary) this.onBinary(ws, bytes);
      else void this.onCommand(ws, bytes);
    });
    this.sendTo(ws, { t: 'StatusChanged', status: this.deps.status() });
  }

  broadcast(event: GatewayEvent): void {
    const text = JSON.stringify(event);
    for (const c of this.clients) if (c.readyState === c.OPEN) c.send(text);
  }

  /**
   * A checked frame from a peer for the browser(s). A bulk frame (file chunk, stream ≠ 0) is dropped
   * for a browser that has more than BULK_HIGH_WATER unread: it asks again for what it missed (§6.4).
   */
  frame(link: number, frame: Uint8Array, stream = 0): void {
    const msg = encodeLocalBinary(LocalOp.FrameReceived, link, frame);
    for (const c of this.clients) {
      if (c.readyState !== c.OPEN) continue;
      if (stream !== 0 && c.bufferedAmount > BULK_HIGH_WATER) continue;
      c.send(msg, { binary: true });
    }
  }

  closeAll(): void {
    for (const c of this.clients) c.close(1001, 'gateway stopping');
    this.clients.clear();
  }

  private sendTo(ws: WebSocket, msg: object): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  private onBinary(ws: WebSocket, bytes: Uint8Array): void {
    let link = 0;
    try {
      const m = decodeLocalBinary(bytes);
      link = m.link;
      if (m.op !== LocalOp.SendFrame)
        throw new ChattorError('E_FRAME_MALFORMED', 'only SendFrame goes to the gateway');
      this.deps.links.send(m.link, m.frame);
    } catch (e) {
      const code = isChattorError(e) ? e.code : 'E_INTERNAL';
      this.sendTo(ws, { t: 'LinkError', link, code, message: errorMessage(e) });
    }
  }

  private async onCommand(ws: WebSocket, bytes: Uint8Array): Promise<void> {
    let id: string | undefined;
    try {
      if (bytes.length > MAX_COMMAND_BYTES) throw new ChattorError('E_BAD_INPUT', 'command too large');
      const cmd: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (typeof cmd !== 'object' || cmd === null)
        throw new ChattorError('E_BAD_INPUT', 'command must be an object');
      const c = cmd as Record<string, unknown>;
      if (typeof c.id !== 'string' || c.id.length === 0 || c.id.length > 64)
        throw new ChattorError('E_BAD_INPUT', 'command id must be a short string');
      id = c.id;
      const result = await this.run(c, ws);
      this.sendTo(ws, { t: 'CommandDone', id, ...result });
    } catch (e) {
      const code = isChattorError(e) ? e.code : 'E_BAD_INPUT';
      this.sendTo(ws, { t: 'CommandFailed', id: id ?? null, code, message: errorMessage(e) });
    }
  }

  private releaseLease(ws: WebSocket): void {
    if (this.deps.lease?.holder() !== ws) return;
    this.deps.lease.release(ws);
    for (const w of this.releaseWaiters) w();
  }

  /**
   * §2.4 hand-over: asks the holder to stop its engine, write its state and release; waits for that, for
   * its socket to close, or for `handOverMs` (a frozen or vanished holder), whichever comes first.
   */
  private async handOver(holder: WebSocket): Promise<void> {
    const lease = this.deps.lease!;
    await new Promise<void>((resolve) => {
      const done = () => {
        if (lease.holder() === holder) return;
        clearTimeout(timer);
        this.releaseWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.releaseWaiters.delete(done);
        this.deps.log.warn('engine lease holder did not release in time; taking the lease');
        resolve();
      }, this.deps.handOverMs ?? 15_000);
      this.releaseWaiters.add(done);
      this.sendTo(holder, { t: 'EngineLeaseRequested' });
    });
  }

  private home(): NonNullable<HubDeps['home']> {
    if (!this.deps.home) throw new ChattorError('E_UNSUPPORTED', 'this gateway has no home onion');
    return this.deps.home;
  }

  private mailbox(): HubMailbox {
    if (!this.deps.mailbox)
      throw new ChattorError('E_MAILBOX', 'this node cannot hold mail (store unavailable)');
    return this.deps.mailbox;
  }

  private relay(): HubRelay {
    if (!this.deps.relay) throw new ChattorError('E_STATE', 'relay mode is not available');
    return this.deps.relay;
  }

  private async run(c: Record<string, unknown>, ws: WebSocket): Promise<object> {
    switch (c.t) {
      case 'GetStatus':
        return { status: this.deps.status() };
      case 'DialPeer':
        if (typeof c.onion !== 'string') throw new ChattorError('E_BAD_INPUT', 'onion must be a string');
        if (c.isolated !== undefined && typeof c.isolated !== 'boolean')
          throw new ChattorError('E_BAD_INPUT', 'isolated must be a boolean');
        return { link: this.deps.links.dial(c.onion, { isolated: c.isolated === true }) };
      case 'ClosePeer':
        if (typeof c.link !== 'number') throw new ChattorError('E_BAD_INPUT', 'link must be a number');
        if (!this.deps.links.close(c.link)) throw new ChattorError('E_UNKNOWN_LINK', 'no such link');
        return {};
      case 'RotateHandle':
        return { onion: await this.deps.rotateHandle() };
      case 'OpenMailboxAccount': {
        const mailbox = this.mailbox();
        mailbox.openAccount(capHashOf(c));
        return { okey: toBase64Url(mailbox.okey) };
      }
      case 'CloseMailboxAccount':
        this.mailbox().closeAccount(capHashOf(c));
        return {};
      case 'GetMailboxStats':
        return { stats: this.mailbox().stats() };
      case 'GetRelay':
        return { relay: await this.relay().status() };
      case 'SetRelay':
        return { relay: await this.relay().set(c.settings) };
      case 'GetHomeAccess':
        return { home: this.home().info() };
      case 'SetHomeAccess':
        if (typeof c.enabled !== 'boolean')
          throw new ChattorError('E_BAD_INPUT', 'enabled must be a boolean');
        return { home: await this.home().setEnabled(c.enabled) };
      case 'AcquireEngineLease': {
        if (c.takeover !== undefined && typeof c.takeover !== 'boolean')
          throw new ChattorError('E_BAD_INPUT', 'takeover must be a boolean');
        const lease = this.deps.lease;
        if (!lease) throw new ChattorError('E_UNSUPPORTED', 'this gateway has no engine lease');
        const holder = lease.holder() as WebSocket | null;
        if (holder && holder !== ws && c.takeover === true) await this.handOver(holder);
        const grant = lease.acquire(ws, c.takeover === true);
        // Only after a hand-over that timed out: the old holder may still run; tell it to stop.
        const previous = grant.previous as WebSocket | undefined;
        if (previous) this.sendTo(previous, { t: 'EngineLeaseLost' });
        return { lease: grant.lease, generation: grant.generation };
      }
      case 'ReleaseEngineLease':
        this.releaseLease(ws);
        return {};
      default:
        throw new ChattorError('E_BAD_INPUT', `unknown command ${String(c.t).slice(0, 40)}`);
    }
  }
}
