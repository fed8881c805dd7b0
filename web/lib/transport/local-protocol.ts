// Local link messages, browser ↔ own gateway (docs/protocol.md §2.2).
// The binary messages (`op || link || frame`) are shared with the gateway: shared/wire/local-binary.ts.
// Every message from the gateway goes through `parseServerMessage` before anything reads it:
// the validators build fresh objects with only the known fields, so nothing unchecked leaks through.

import {
  RELAY_STATES,
  type RelaySettings,
  type RelayState,
  type RelayStatus,
  parseRelaySettings,
} from '../../../shared/wire/relay-settings';

export type { RelaySettings, RelayState, RelayStatus };

export const LOCAL_SUBPROTOCOL = 'chattor.local.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'chattor.token.';
export const LOCAL_PATH = '/local';

// ── status ────────────────────────────────────────────────────────────────────────────────────────

export const TOR_STATES = ['starting', 'bootstrapping', 'ready', 'restarting', 'stopped'] as const;
export type TorState = (typeof TOR_STATES)[number];

export const ONION_KINDS = ['contact', 'handle', 'home'] as const;
export type OnionKind = (typeof ONION_KINDS)[number];

export type LinkDirection = 'in' | 'out';

export interface TorStatus {
  state: TorState;
  /** Tor's bootstrap percentage, 0–100. */
  progress: number;
  /** Tor's bootstrap summary, e.g. "Loading relay descriptors". */
  summary: string;
  /** null until tor has opened its SOCKS port. */
  socksPort: number | null;
}

export interface LinkStatus {
  link: number;
  direction: LinkDirection;
  onion?: string;
  /** For inbound links: which of our onions the peer came in on. */
  via?: OnionKind;
  open: boolean;
}

export interface LocalStatus {
  version: string;
  /**
   * Random per gateway start (§2.2): link numbers start again in a new instance, so a client that sees
   * another instance than before treats every link it knew as closed. Absent from older gateways.
   */
  instance?: string;
  tor: TorStatus;
  onions: { contact?: string; handle?: string };
  links: LinkStatus[];
  uiUrl: string;
}

// ── relay mode (§2.6) ─────────────────────────────────────────────────────────────────────────────

// ── commands (browser → gateway) ──────────────────────────────────────────────────────────────────

export interface GetStatusCommand {
  t: 'GetStatus';
  id: string;
}
export interface DialPeerCommand {
  t: 'DialPeer';
  id: string;
  onion: string;
  /** true: a new link on a circuit of its own, never reused (§5.6). */
  isolated?: boolean;
}
export interface ClosePeerCommand {
  t: 'ClosePeer';
  id: string;
  link: number;
}
export interface RotateHandleCommand {
  t: 'RotateHandle';
  id: string;
}
/** `capHash`: SHA-256 of a friend's 32-byte account capability, 64 lower-case hex digits (§5.8). */
export interface OpenMailboxAccountCommand {
  t: 'OpenMailboxAccount';
  id: string;
  capHash: string;
}
export interface CloseMailboxAccountCommand {
  t: 'CloseMailboxAccount';
  id: string;
  capHash: string;
}
export interface GetMailboxStatsCommand {
  t: 'GetMailboxStats';
  id: string;
}
export interface GetRelayCommand {
  t: 'GetRelay';
  id: string;
}
export interface SetRelayCommand {
  t: 'SetRelay';
  id: string;
  settings: RelaySettings;
}
/** §2.3: the home onion's switch and its client key. */
export interface GetHomeAccessCommand {
  t: 'GetHomeAccess';
  id: string;
}
export interface SetHomeAccessCommand {
  t: 'SetHomeAccess';
  id: string;
  enabled: boolean;
}
/** §2.4: one local client at a time runs the engine on the identity the home vault carries. */
export interface AcquireEngineLeaseCommand {
  t: 'AcquireEngineLease';
  id: string;
  takeover?: boolean;
}
/** §2.4: the holder has stopped its engine and written its state after EngineLeaseRequested. */
export interface ReleaseEngineLeaseCommand {
  t: 'ReleaseEngineLease';
  id: string;
}
export type LocalCommand =
  | GetRelayCommand
  | SetRelayCommand
  | GetStatusCommand
  | ReleaseEngineLeaseCommand
  | GetHomeAccessCommand
  | SetHomeAccessCommand
  | AcquireEngineLeaseCommand
  | DialPeerCommand
  | ClosePeerCommand
  | RotateHandleCommand
  | OpenMailboxAccountCommand
  | CloseMailboxAccountCommand
  | GetMailboxStatsCommand;
export type LocalCommandType = LocalCommand['t'];

/** What the gateway holds for friends: counts and sizes only (§5.8). */
export interface MailboxStats {
  accounts: number;
  envelopes: number;
  bytes: number;
  /** `storedAt` of the oldest envelope (ms since the epoch), null when none is held. */
  oldestAt: number | null;
}

/** The home onion (§2.3): `clientKey` is `<onion>:descriptor:x25519:<base32>`, for Tor Browser. */
export interface HomeAccessInfo {
  enabled: boolean;
  onion?: string;
  clientKey?: string;
}

/** What `CommandDone` carries, per command. */
export interface CommandResultMap {
  GetStatus: { status: LocalStatus };
  DialPeer: { link: number };
  ClosePeer: Record<string, never>;
  RotateHandle: { onion: string };
  /** `okey`: base64url of `keyId (8) || publicKey (32)` of the gateway's token key (§5.4). */
  OpenMailboxAccount: { okey: string };
  CloseMailboxAccount: Record<string, never>;
  GetMailboxStats: { stats: MailboxStats };
  GetRelay: { relay: RelayStatus };
  SetRelay: { relay: RelayStatus };
  GetHomeAccess: { home: HomeAccessInfo };
  SetHomeAccess: { home: HomeAccessInfo };
  /** `lease` goes with every vault write; `generation` is the stored vault's (0: none yet). */
  AcquireEngineLease: { lease: string; generation: number };
  ReleaseEngineLease: Record<string, never>;
}

/** A command as the caller writes it; the client adds the `id`. */
export type CommandInput<T extends LocalCommandType> = Omit<Extract<LocalCommand, { t: T }>, 'id'>;

// ── events and replies (gateway → browser) ────────────────────────────────────────────────────────

export interface StatusChangedEvent {
  t: 'StatusChanged';
  status: LocalStatus;
}
export interface TorBootstrappedEvent {
  t: 'TorBootstrapped';
}
export interface OnionPublishedEvent {
  t: 'OnionPublished';
  kind: OnionKind;
  onion: string;
  previous?: string;
}
export interface PeerConnectedEvent {
  t: 'PeerConnected';
  link: number;
  direction: LinkDirection;
  onion?: string;
  via?: OnionKind;
}
export interface PeerClosedEvent {
  t: 'PeerClosed';
  link: number;
  reason: string;
  willRetry: boolean;
}
export interface LinkErrorEvent {
  t: 'LinkError';
  link: number;
  code: string;
  message: string;
}
export interface RelayChangedEvent {
  t: 'RelayChanged';
  relay: RelayStatus;
}
/** Another local client asks for the engine lease (§2.4): stop, write the vault, release. */
export interface EngineLeaseRequestedEvent {
  t: 'EngineLeaseRequested';
}
/** Another local client took the engine lease without a hand-over (§2.4): stop the engine here. */
export interface EngineLeaseLostEvent {
  t: 'EngineLeaseLost';
}
export type LocalEvent =
  | RelayChangedEvent
  | EngineLeaseRequestedEvent
  | EngineLeaseLostEvent
  | StatusChangedEvent
  | TorBootstrappedEvent
  | OnionPublishedEvent
  | PeerConnectedEvent
  | PeerClosedEvent
  | LinkErrorEvent;
export type LocalEventType = LocalEvent['t'];
export type LocalEventMap = { [E in LocalEvent as E['t']]: E };

export interface CommandDoneReply {
  t: 'CommandDone';
  id: string;
  /** Result fields, checked by `parseCommandResult` against the command that was sent. */
  result: Record<string, unknown>;
}
export interface CommandFailedReply {
  t: 'CommandFailed';
  /** null when the gateway could not even read the command's id. */
  id: string | null;
  code: string;
  message: string;
}
export type ServerMessage = LocalEvent | CommandDoneReply | CommandFailedReply;

// ── validation ────────────────────────────────────────────────────────────────────────────────────

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

type Obj = Record<string, unknown>;
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

const MAX_TEXT = 4096;
const ONION_RE = /^[a-z2-7]{56}(\.onion)?$/;
/** base64url of 40 bytes, unpadded. */
const OKEY_RE = /^[A-Za-z0-9_-]{53}[AQgw]$/;
const CAP_HASH_RE = /^[0-9a-f]{64}$/;
const CLIENT_KEY_RE = /^[a-z2-7]{56}:descriptor:x25519:[A-Z2-7]{52}$/;
const LEASE_RE = /^[A-Za-z0-9_-]{22}$/;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isText(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_TEXT;
}
function isU32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}
function isPort(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 65535;
}
function isOneOf<T extends string>(values: readonly T[], x: unknown): x is T {
  return typeof x === 'string' && (values as readonly string[]).includes(x);
}
function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
/** SHA-256 of an account capability as the gateway takes it: 64 lower-case hex digits. */
export function isCapHash(x: unknown): x is string {
  return typeof x === 'string' && CAP_HASH_RE.test(x);
}

export function parseMailboxStats(x: unknown): Parsed<MailboxStats> {
  if (!isObj(x)) return fail('stats: not an object');
  if (!isCount(x.accounts)) return fail('stats.accounts');
  if (!isCount(x.envelopes)) return fail('stats.envelopes');
  if (!isCount(x.bytes)) return fail('stats.bytes');
  if (x.oldestAt !== null && !isCount(x.oldestAt)) return fail('stats.oldestAt');
  return ok({ accounts: x.accounts, envelopes: x.envelopes, bytes: x.bytes, oldestAt: x.oldestAt });
}

/** A v3 onion address, with or without the `.onion` suffix. */
export function isOnionAddress(x: unknown): x is string {
  return typeof x === 'string' && ONION_RE.test(x);
}

export function parseTorStatus(x: unknown): Parsed<TorStatus> {
  if (!isObj(x)) return fail('tor: not an object');
  if (!isOneOf(TOR_STATES, x.state)) return fail('tor.state');
  if (typeof x.progress !== 'number' || !(x.progress >= 0 && x.progress <= 100)) return fail('tor.progress');
  if (!isText(x.summary)) return fail('tor.summary');
  if (x.socksPort !== null && !isPort(x.socksPort)) return fail('tor.socksPort');
  return ok({ state: x.state, progress: x.progress, summary: x.summary, socksPort: x.socksPort });
}

export function parseLinkStatus(x: unknown): Parsed<LinkStatus> {
  if (!isObj(x)) return fail('link: not an object');
  if (!isU32(x.link)) return fail('link.link');
  if (x.direction !== 'in' && x.direction !== 'out') return fail('link.direction');
  if (x.onion !== undefined && !isOnionAddress(x.onion)) return fail('link.onion');
  if (x.via !== undefined && !isOneOf(ONION_KINDS, x.via)) return fail('link.via');
  if (typeof x.open !== 'boolean') return fail('link.open');
  const value: LinkStatus = { link: x.link, direction: x.direction, open: x.open };
  if (x.onion !== undefined) value.onion = x.onion;
  if (x.via !== undefined) value.via = x.via;
  return ok(value);
}

export function parseStatus(x: unknown): Parsed<LocalStatus> {
  if (!isObj(x)) return fail('status: not an object');
  if (!isText(x.version)) return fail('status.version');
  const tor = parseTorStatus(x.tor);
  if (!tor.ok) return fail(`status.${tor.reason}`);
  if (!isObj(x.onions)) return fail('status.onions');
  const onions: LocalStatus['onions'] = {};
  for (const kind of ['contact', 'handle'] as const) {
    const onion = x.onions[kind];
    if (onion === undefined) continue;
    if (!isOnionAddress(onion)) return fail(`status.onions.${kind}`);
    onions[kind] = onion;
  }
  if (!Array.isArray(x.links) || x.links.length > 10_000) return fail('status.links');
  const links: LinkStatus[] = [];
  for (const l of x.links) {
    const link = parseLinkStatus(l);
    if (!link.ok) return fail(`status.${link.reason}`);
    links.push(link.value);
  }
  if (!isText(x.uiUrl)) return fail('status.uiUrl');
  return ok({ version: x.version, tor: tor.value, onions, links, uiUrl: x.uiUrl });
}

const FINGERPRINT_RE = /^[0-9A-F]{40}$/;
const MONTH_RE = /^[0-9]{4}-[0-9]{2}$/;

export function parseRelayStatus(x: unknown): Parsed<RelayStatus> {
  if (!isObj(x)) return fail('relay: not an object');
  let settings: RelaySettings;
  try {
    settings = parseRelaySettings(x.settings);
  } catch (e) {
    return fail(`relay.settings: ${(e as Error).message}`);
  }
  if (x.network !== 'public' && x.network !== 'private') return fail('relay.network');
  if (!isOneOf(RELAY_STATES, x.state)) return fail('relay.state');
  if (x.error !== null && !isText(x.error)) return fail('relay.error');
  if (x.fingerprint !== null && !(typeof x.fingerprint === 'string' && FINGERPRINT_RE.test(x.fingerprint)))
    return fail('relay.fingerprint');
  for (const k of ['torAvailable', 'reachable', 'descriptorAccepted', 'inConsensus'] as const)
    if (typeof x[k] !== 'boolean') return fail(`relay.${k}`);
  if (!Array.isArray(x.flags) || x.flags.length > 32 || !x.flags.every((f) => isText(f) && f.length <= 32))
    return fail('relay.flags');
  for (const k of ['trafficRead', 'trafficWritten', 'monthBytes'] as const)
    if (!isCount(x[k])) return fail(`relay.${k}`);
  if (typeof x.month !== 'string' || !MONTH_RE.test(x.month)) return fail('relay.month');
  if (x.since !== null && !isCount(x.since)) return fail('relay.since');
  return ok({
    settings,
    network: x.network,
    state: x.state,
    error: x.error,
    torAvailable: x.torAvailable as boolean,
    fingerprint: x.fingerprint,
    reachable: x.reachable as boolean,
    descriptorAccepted: x.descriptorAccepted as boolean,
    inConsensus: x.inConsensus as boolean,
    flags: [...(x.flags as string[])],
    trafficRead: x.trafficRead as number,
    trafficWritten: x.trafficWritten as number,
    month: x.month,
    monthBytes: x.monthBytes as number,
    since: x.since,
  });
}

export function parseHomeAccess(x: unknown): Parsed<HomeAccessInfo> {
  if (!isObj(x) || typeof x.enabled !== 'boolean') return fail('home');
  if (!x.enabled) return ok({ enabled: false });
  if (!isOnionAddress(x.onion) || typeof x.clientKey !== 'string' || !CLIENT_KEY_RE.test(x.clientKey))
    return fail('home.clientKey');
  if (!x.clientKey.startsWith(`${x.onion.replace(/\.onion$/, '')}:`)) return fail('home.clientKey');
  return ok({ enabled: true, onion: x.onion, clientKey: x.clientKey });
}

function parseEvent(x: Obj): Parsed<LocalEvent> | null {
  switch (x.t) {
    case 'RelayChanged': {
      const relay = parseRelayStatus(x.relay);
      return relay.ok ? ok({ t: 'RelayChanged', relay: relay.value }) : fail(relay.reason);
    }
    case 'EngineLeaseRequested':
      return ok({ t: 'EngineLeaseRequested' });
    case 'EngineLeaseLost':
      return ok({ t: 'EngineLeaseLost' });
    case 'StatusChanged': {
      const status = parseStatus(x.status);
      return status.ok ? ok({ t: 'StatusChanged', status: status.value }) : fail(status.reason);
    }
    case 'TorBootstrapped':
      return ok({ t: 'TorBootstrapped' });
    case 'OnionPublished': {
      if (!isOneOf(ONION_KINDS, x.kind)) return fail('kind');
      if (!isOnionAddress(x.onion)) return fail('onion');
      if (x.previous !== undefined && !isOnionAddress(x.previous)) return fail('previous');
      const e: OnionPublishedEvent = { t: 'OnionPublished', kind: x.kind, onion: x.onion };
      if (x.previous !== undefined) e.previous = x.previous;
      return ok(e);
    }
    case 'PeerConnected': {
      if (!isU32(x.link)) return fail('link');
      if (x.direction !== 'in' && x.direction !== 'out') return fail('direction');
      if (x.onion !== undefined && !isOnionAddress(x.onion)) return fail('onion');
      if (x.via !== undefined && !isOneOf(ONION_KINDS, x.via)) return fail('via');
      const e: PeerConnectedEvent = { t: 'PeerConnected', link: x.link, direction: x.direction };
      if (x.onion !== undefined) e.onion = x.onion;
      if (x.via !== undefined) e.via = x.via;
      return ok(e);
    }
    case 'PeerClosed':
      if (!isU32(x.link)) return fail('link');
      if (!isText(x.reason)) return fail('reason');
      if (typeof x.willRetry !== 'boolean') return fail('willRetry');
      return ok({ t: 'PeerClosed', link: x.link, reason: x.reason, willRetry: x.willRetry });
    case 'LinkError':
      if (!isU32(x.link)) return fail('link');
      if (!isText(x.code)) return fail('code');
      if (!isText(x.message)) return fail('message');
      return ok({ t: 'LinkError', link: x.link, code: x.code, message: x.message });
    default:
      return null;
  }
}

/** Validates one decoded JSON text message from the gateway. Unknown `t` values are rejected. */
export function parseServerMessage(x: unknown): Parsed<ServerMessage> {
  if (!isObj(x)) return fail('message is not an object');
  if (typeof x.t !== 'string') return fail('message has no t');
  const t = x.t.slice(0, 40);
  if (x.t === 'CommandFailed') {
    if (x.id !== null && (!isText(x.id) || x.id.length === 0)) return fail(`${t}.id`);
    if (!isText(x.code)) return fail(`${t}.code`);
    if (!isText(x.message)) return fail(`${t}.message`);
    return ok({ t: 'CommandFailed', id: x.id, code: x.code, message: x.message });
  }
  if (x.t === 'CommandDone') {
    if (!isText(x.id) || x.id.length === 0) return fail(`${t}.id`);
    const { t: _t, id: _id, ...result } = x;
    return ok({ t: 'CommandDone', id: x.id, result });
  }
  const event = parseEvent(x);
  if (event === null) return fail(`unknown message type ${JSON.stringify(t)}`);
  return event.ok ? event : fail(`${t}.${event.reason}`);
}

/** Checks the fields of a `CommandDone` against the command it answers. */
export function parseCommandResult<T extends LocalCommandType>(
  t: T,
  result: Record<string, unknown>,
): Parsed<CommandResultMap[T]> {
  // The casts are sound: each branch checks exactly the shape CommandResultMap[T] names.
  switch (t) {
    case 'GetStatus': {
      const status = parseStatus(result.status);
      return (status.ok ? ok({ status: status.value }) : fail(status.reason)) as Parsed<CommandResultMap[T]>;
    }
    case 'DialPeer':
      return (isU32(result.link) ? ok({ link: result.link }) : fail('link')) as Parsed<CommandResultMap[T]>;
    case 'ClosePeer':
      return ok({}) as Parsed<CommandResultMap[T]>;
    case 'RotateHandle':
      return (isOnionAddress(result.onion) ? ok({ onion: result.onion }) : fail('onion')) as Parsed<
        CommandResultMap[T]
      >;
    case 'OpenMailboxAccount':
      return (
        typeof result.okey === 'string' && OKEY_RE.test(result.okey)
          ? ok({ okey: result.okey })
          : fail('okey')
      ) as Parsed<CommandResultMap[T]>;
    case 'CloseMailboxAccount':
      return ok({}) as Parsed<CommandResultMap[T]>;
    case 'GetMailboxStats': {
      const stats = parseMailboxStats(result.stats);
      return (stats.ok ? ok({ stats: stats.value }) : fail(stats.reason)) as Parsed<CommandResultMap[T]>;
    }
    case 'GetRelay':
    case 'SetRelay': {
      const relay = parseRelayStatus(result.relay);
      return (relay.ok ? ok({ relay: relay.value }) : fail(relay.reason)) as Parsed<CommandResultMap[T]>;
    }
    case 'GetHomeAccess':
    case 'SetHomeAccess': {
      const home = parseHomeAccess(result.home);
      return (home.ok ? ok({ home: home.value }) : fail(home.reason)) as Parsed<CommandResultMap[T]>;
    }
    case 'ReleaseEngineLease':
      return ok({}) as Parsed<CommandResultMap[T]>;
    case 'AcquireEngineLease':
      return (
        typeof result.lease === 'string' && LEASE_RE.test(result.lease) && isCount(result.generation)
          ? ok({ lease: result.lease, generation: result.generation })
          : fail('lease')
      ) as Parsed<CommandResultMap[T]>;
    default:
      return fail(`unknown command ${String(t)}`);
  }
}
