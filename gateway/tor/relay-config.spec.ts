// Unit spec for relay mode's settings and the tor options they become (docs/protocol.md §2.6).
import { describe, expect, it } from 'vitest';
import { buildSetConf } from './control-args.js';
import {
  DEFAULT_RELAY_SETTINGS,
  type RelaySettings,
  parseRelaySettings,
  relayNetworkOf,
  relayOnConf,
  relayTorrcLines,
} from './relay-config.js';

const good: RelaySettings = {
  enabled: true,
  orPort: 9001,
  rateKiB: 500,
  burstKiB: 1000,
  monthlyCapGiB: 50,
  nickname: 'alice2026',
  contact: 'alice at example dot org',
};

const bad = (patch: Record<string, unknown>) => () => parseRelaySettings({ ...good, ...patch });

describe('parseRelaySettings', () => {
  it('accepts good settings and the defaults, keeping only known fields', () => {
    expect(parseRelaySettings({ ...good, extra: 'dropped' })).toEqual(good);
    expect(parseRelaySettings(DEFAULT_RELAY_SETTINGS)).toEqual(DEFAULT_RELAY_SETTINGS);
  });

  it('takes nicknames of 1 to 19 letters and digits only', () => {
    expect(parseRelaySettings({ ...good, nickname: 'a' }).nickname).toBe('a');
    expect(parseRelaySettings({ ...good, nickname: 'A'.repeat(19) }).nickname).toBe('A'.repeat(19));
    for (const nickname of ['', 'A'.repeat(20), 'has space', 'dash-ed', 'ünï', 'x$y', 'a\nb', 7])
      expect(bad({ nickname }), String(nickname)).toThrow(/nickname/);
  });

  it('refuses rates below tor’s relay minimum, above 1 GiB/s, or a burst below the rate', () => {
    expect(bad({ rateKiB: 74 })).toThrow(/rateKiB/);
    expect(bad({ rateKiB: 1024 * 1024 + 1, burstKiB: 1024 * 1024 + 1 })).toThrow(/rateKiB/);
    expect(bad({ rateKiB: 100.5 })).toThrow(/rateKiB/);
    expect(bad({ rateKiB: '100' })).toThrow(/rateKiB/);
    expect(bad({ burstKiB: 499 })).toThrow(/burstKiB must be at least/);
    expect(parseRelaySettings({ ...good, rateKiB: 75, burstKiB: 75 }).rateKiB).toBe(75);
  });

  it('takes a monthly cap of 0 (none) to 100,000 GiB, whole numbers only', () => {
    expect(parseRelaySettings({ ...good, monthlyCapGiB: 0 }).monthlyCapGiB).toBe(0);
    expect(bad({ monthlyCapGiB: -1 })).toThrow(/monthlyCapGiB/);
    expect(bad({ monthlyCapGiB: 100_001 })).toThrow(/monthlyCapGiB/);
    expect(bad({ monthlyCapGiB: 1.5 })).toThrow(/monthlyCapGiB/);
    expect(bad({ monthlyCapGiB: null })).toThrow(/monthlyCapGiB/);
  });

  it('refuses ports out of range, a contact line with control characters or too long, and non-objects', () => {
    expect(bad({ orPort: 0 })).toThrow(/orPort/);
    expect(bad({ orPort: 65536 })).toThrow(/orPort/);
    expect(bad({ contact: 'a\r\nExitPolicy accept *:*' })).toThrow(/contact/);
    expect(bad({ contact: 'x'.repeat(201) })).toThrow(/contact/);
    expect(bad({ contact: 'é' })).toThrow(/contact/);
    expect(bad({ enabled: 'yes' })).toThrow(/enabled/);
    expect(() => parseRelaySettings(null)).toThrow(/object/);
    expect(() => parseRelaySettings([good])).toThrow(/object/);
    expect(parseRelaySettings({ ...good, contact: '  me  ' }).contact).toBe('me');
  });
});

describe('relay options', () => {
  it('knows the private network by TestingTorNetwork 1', () => {
    expect(relayNetworkOf(['TestingTorNetwork 1', 'DirAuthority …'])).toBe('private');
    expect(relayNetworkOf([])).toBe('public');
    expect(relayNetworkOf(['TestingTorNetwork 0'])).toBe('public');
  });

  it('makes a non-exit relay on the public network, clearing ClientOnly', () => {
    expect(relayTorrcLines(good, 'public')).toEqual([
      'ClientOnly 0',
      'ORPort 9001',
      'ExitRelay 0',
      'ExitPolicy reject *:*',
      'Nickname alice2026',
      'RelayBandwidthRate 500 KBytes',
      'RelayBandwidthBurst 1000 KBytes',
      'ContactInfo alice at example dot org',
    ]);
  });

  it('binds 127.0.0.1 with Address on the private network, and leaves out an empty contact', () => {
    const lines = relayTorrcLines({ ...good, contact: '' }, 'private');
    expect(lines).toContain('ORPort 127.0.0.1:9001');
    expect(lines).toContain('Address 127.0.0.1');
    expect(lines).toContain('AddressDisableIPv6 1');
    expect(lines.some((l) => l.startsWith('ContactInfo'))).toBe(false);
  });

  it('becomes one SETCONF line with quoted values', () => {
    expect(buildSetConf(relayOnConf({ ...good, contact: 'say "hi"' }, 'public'))).toBe(
      'SETCONF ClientOnly="0" ORPort="9001" ExitRelay="0" ExitPolicy="reject *:*" Nickname="alice2026" ' +
        'RelayBandwidthRate="500 KBytes" RelayBandwidthBurst="1000 KBytes" ContactInfo="say \\"hi\\""',
    );
  });
});
