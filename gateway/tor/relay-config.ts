// Relay mode (docs/protocol.md §2.6): the user's settings, checked, and the tor options they become.
// Pure: no I/O. The node's tor is a client (`ClientOnly 1` in its torrc, torrc.ts); relay mode turns it
// into a non-exit relay over the control port, and back, without a restart (onions stay up).
import type { RelayNetwork, RelaySettings } from '../../shared/wire/relay-settings.js';

export {
  DEFAULT_RELAY_SETTINGS,
  MAX_CAP_GIB,
  MAX_CONTACT,
  MAX_RATE_KIB,
  MIN_RATE_KIB,
  parseRelaySettings,
} from '../../shared/wire/relay-settings.js';
export type { RelaySettings } from '../../shared/wire/relay-settings.js';

/** Where the relay runs: the public network, or the private one on 127.0.0.1 (tests, demo). */
export type { RelayNetwork } from '../../shared/wire/relay-settings.js';

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
