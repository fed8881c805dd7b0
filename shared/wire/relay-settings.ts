// Relay mode settings as the local link carries them (docs/protocol.md §2.6): one checker for the
// gateway (which applies them to tor) and the browser (which checks a form before sending it).
import { ChattorError } from '../util/errors.js';

export interface RelaySettings {
  enabled: boolean;
  /** The ORPort other relays and clients connect to (public network: open it in your router). */
  orPort: number;
  /** RelayBandwidthRate, KiB/s: the long-term average tor may relay. */
  rateKiB: number;
  /** RelayBandwidthBurst, KiB/s: short peaks; at least the rate. */
  burstKiB: number;
  /** Monthly cap on relayed traffic (in + out), GiB; 0 = no cap. Kept by the gateway (gateway/relay.ts). */
  monthlyCapGiB: number;
  /** 1–19 letters and digits (tor's rule). */
  nickname: string;
  /** Optional ContactInfo; '' = none. Public: anyone can read it in the consensus documents. */
  contact: string;
}

/** Tor refuses relays below 75 KiB/s ("BandwidthRate … For servers, it must be at least 76800"). */
export const MIN_RATE_KIB = 75;
/** 1 GiB/s: far above any home link, and small enough to stay an exact integer in every unit. */
export const MAX_RATE_KIB = 1024 * 1024;
export const MAX_CAP_GIB = 100_000;
export const MAX_CONTACT = 200;

export const DEFAULT_RELAY_SETTINGS: RelaySettings = {
  enabled: false,
  orPort: 9001,
  rateKiB: 1024,
  burstKiB: 2048,
  monthlyCapGiB: 100,
  nickname: 'chattor',
  contact: '',
};

const NICKNAME = /^[A-Za-z0-9]{1,19}$/;

function intIn(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ChattorError('E_BAD_INPUT', `${field} must be an integer in ${min}..${max}`);
  return v;
}

/** Checks settings from the browser (or the settings file); returns a fresh object with only known fields. */
export function parseRelaySettings(x: unknown): RelaySettings {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new ChattorError('E_BAD_INPUT', 'relay settings must be an object');
  const o = x as Record<string, unknown>;
  if (typeof o.enabled !== 'boolean') throw new ChattorError('E_BAD_INPUT', 'enabled must be a boolean');
  const orPort = intIn(o.orPort, 'orPort', 1, 65535);
  const rateKiB = intIn(o.rateKiB, 'rateKiB', MIN_RATE_KIB, MAX_RATE_KIB);
  const burstKiB = intIn(o.burstKiB, 'burstKiB', MIN_RATE_KIB, MAX_RATE_KIB);
  if (burstKiB < rateKiB) throw new ChattorError('E_BAD_INPUT', 'burstKiB must be at least rateKiB');
  const monthlyCapGiB = intIn(o.monthlyCapGiB, 'monthlyCapGiB', 0, MAX_CAP_GIB);
  if (typeof o.nickname !== 'string' || !NICKNAME.test(o.nickname))
    throw new ChattorError('E_BAD_INPUT', 'nickname must be 1–19 letters or digits');
  if (typeof o.contact !== 'string' || o.contact.length > MAX_CONTACT)
    throw new ChattorError('E_BAD_INPUT', `contact must be a string of at most ${MAX_CONTACT} characters`);
  // Printable ASCII only: tor writes it into the descriptor as one line, and nothing else belongs there.
  if (!/^[\x20-\x7e]*$/.test(o.contact))
    throw new ChattorError('E_BAD_INPUT', 'contact must be printable ASCII on one line');
  return {
    enabled: o.enabled,
    orPort,
    rateKiB,
    burstKiB,
    monthlyCapGiB,
    nickname: o.nickname,
    contact: o.contact.trim(),
  };
}

/** Which Tor network the node's tor is on: relay options differ for a private test network. */
export type RelayNetwork = 'public' | 'private';

/** What the gateway says about relay mode (docs/protocol.md §2.6), on the local link as `relay`. */
/** `off`: client only. `on`: tor is a relay. `paused`: on, but the monthly cap is used up. */
export const RELAY_STATES = ['off', 'on', 'paused'] as const;
export type RelayState = (typeof RELAY_STATES)[number];

export interface RelayStatus {
  settings: RelaySettings;
  network: RelayNetwork;
  state: RelayState;
  /** Why the last attempt to apply the settings failed (tor's answer), if it did. */
  error: string | null;
  /** Whether tor answered the questions below (false while it is restarting). */
  torAvailable: boolean;
  /** The relay's fingerprint (public: it is in the consensus), null while off. */
  fingerprint: string | null;
  /** Tor's own test: it reached its ORPort from outside (GETINFO status/reachability-succeeded/or). */
  reachable: boolean;
  /** A directory authority accepted our descriptor (GETINFO status/accepted-server-descriptor). */
  descriptorAccepted: boolean;
  /** Listed in the consensus this tor holds, with its flags. */
  inConsensus: boolean;
  flags: string[];
  /** Bytes tor read and wrote since it started (all its traffic, this node's own included). */
  trafficRead: number;
  trafficWritten: number;
  /** This month (UTC, `YYYY-MM`) as counted for the cap, bytes. */
  month: string;
  monthBytes: number;
  /** When relaying started in this gateway run (ms since the epoch), null while not relaying. */
  since: number | null;
}
