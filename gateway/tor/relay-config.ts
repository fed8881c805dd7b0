// Relay mode (docs/protocol.md §2.3): the user's settings, checked, and the tor options they become.
// Pure: no I/O. The node's tor is a client (`ClientOnly 1` in its torrc, torrc.ts); relay mode turns it
// into a non-exit relay over the control port, and back, without a restart (onions stay up).
import { ChattorError } from '../../shared/util/errors.js';

export interface RelaySettings {
  enabled: boolean;
  /** The ORPort other relays and clients connect to (public network: open it in your router). */
  orPort: number;
  /** RelayBandwidthRate, KiB/s: the long-term average tor may relay. */
  rateKiB: number;
  /** RelayBandwidthBurst, KiB/s: short peaks; at least the rate. */
  burstKiB: number;
  /** Monthly cap on relayed traffic (in + out), GiB; 0 = no cap. Enforced by the gateway, see relay.ts. */
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

/** Where the relay runs: the public network, or the private one on 127.0.0.1 (tests, demo). */
export type RelayNetwork = 'public' | 'private';

/** A torrc with `TestingTorNetwork 1` joins a private network (gateway/tor/testnet-setup.ts). */
export function relayNetworkOf(extraTorrc: string[]): RelayNetwork {
  return extraTorrc.some((l) => /^\s*TestingTorNetwork\s+1\s*$/i.test(l)) ? 'private' : 'public';
}

/** Options relay mode sets; turning it off resets every one of them (RESETCONF) and sets ClientOnly 1. */
export const RELAY_OPTION_KEYS = [
  'ORPort',
  'Address',
  'AddressDisableIPv6',
  'ExitRelay',
  'ExitPolicy',
  'Nickname',
  'ContactInfo',
  'RelayBandwidthRate',
  'RelayBandwidthBurst',
] as const;

/**
 * The SETCONF of relay mode on (control-spec §3.1; option names from the tor manual). Non-exit twice
 * over: `ExitRelay 0` and `ExitPolicy reject *:*`. No DirPort (tor 0.4.x relays serve the directory
 * over the ORPort). The monthly cap is not tor's AccountingMax: a hibernating tor closes every
 * listener but the control port, SOCKS included, which would cut this node's own chats for the rest
 * of the month (measured, tor 0.4.9); the gateway stops relaying at the cap instead (relay.ts).
 */
export function relayOnConf(s: RelaySettings, network: RelayNetwork): Record<string, string | number> {
  const conf: Record<string, string | number> = {
    ClientOnly: 0,
    // On the private network every relay is 127.0.0.1 and tor cannot guess its address
    // (notes/tor-testnet.md); on the public network tor finds it (and checks it can be reached).
    ORPort: network === 'private' ? `127.0.0.1:${s.orPort}` : s.orPort,
    ExitRelay: 0,
    ExitPolicy: 'reject *:*',
    Nickname: s.nickname,
    RelayBandwidthRate: `${s.rateKiB} KBytes`,
    RelayBandwidthBurst: `${s.burstKiB} KBytes`,
  };
  if (network === 'private') {
    conf['Address'] = '127.0.0.1';
    conf['AddressDisableIPv6'] = 1;
  }
  if (s.contact) conf['ContactInfo'] = s.contact;
  return conf;
}

/** The same as one line per option, for the docs, the log and the unit spec. */
export function relayTorrcLines(s: RelaySettings, network: RelayNetwork): string[] {
  return Object.entries(relayOnConf(s, network)).map(([k, v]) => `${k} ${v}`);
}
