// Relay mode in the browser (docs/protocol.md §2.6): the gateway's RelayStatus checked field by field,
// and the headline Settings shows for each stage.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_SETTINGS } from '../../../../shared/wire/relay-settings';
import { parseCommandResult, parseServerMessage, type RelayStatus } from '$lib/transport/local-protocol';
import { formatUptime, plainSettingsError, relayHeadline } from './format';

const on: RelayStatus = {
  settings: { ...DEFAULT_RELAY_SETTINGS, enabled: true },
  network: 'public',
  state: 'on',
  error: null,
  torAvailable: true,
  fingerprint: 'AB'.repeat(20),
  reachable: true,
  descriptorAccepted: true,
  inConsensus: true,
  flags: ['Fast', 'Running', 'Valid'],
  trafficRead: 10,
  trafficWritten: 20,
  month: '2026-12',
  monthBytes: 30,
  since: 1_000,
};

describe('RelayStatus on the local link', () => {
  it('accepts RelayChanged and the GetRelay / SetRelay results', () => {
    expect(parseServerMessage({ t: 'RelayChanged', relay: on })).toEqual({
      ok: true,
      value: { t: 'RelayChanged', relay: on },
    });
    expect(parseCommandResult('GetRelay', { relay: on })).toEqual({ ok: true, value: { relay: on } });
    expect(
      parseCommandResult('SetRelay', { relay: { ...on, state: 'off', since: null, fingerprint: null } }).ok,
    ).toBe(true);
  });

  it('refuses malformed statuses, naming the field', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ state: 'exit' }, /relay\.state/],
      [{ fingerprint: 'ab'.repeat(20) }, /relay\.fingerprint/],
      [{ reachable: 'yes' }, /relay\.reachable/],
      [{ monthBytes: -1 }, /relay\.monthBytes/],
      [{ month: '12/2026' }, /relay\.month/],
      [{ flags: ['x'.repeat(33)] }, /relay\.flags/],
      [{ settings: { ...on.settings, nickname: 'bad name' } }, /relay\.settings: nickname/],
      [{ network: 'tor' }, /relay\.network/],
    ];
    for (const [patch, reason] of cases) {
      const r = parseServerMessage({ t: 'RelayChanged', relay: { ...on, ...patch } });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});

describe('relayHeadline', () => {
  it('names the first step not reached, honestly on a machine nobody can reach', () => {
    expect(relayHeadline({ ...on, state: 'off' }).tone).toBe('off');
    expect(relayHeadline({ ...on, state: 'paused' }).title).toMatch(/cap/);
    expect(relayHeadline({ ...on, torAvailable: false }).title).toMatch(/restarting/);
    const unreachable = relayHeadline({ ...on, reachable: false });
    expect(unreachable).toMatchObject({ tone: 'warn', title: 'Not reachable from the Internet' });
    expect(unreachable.detail).toMatch(/forward TCP port 9001/);
    expect(unreachable.detail).toMatch(/never be reachable/);
    expect(relayHeadline({ ...on, descriptorAccepted: false }).title).toMatch(/authorities/);
    expect(relayHeadline({ ...on, inConsensus: false }).title).toMatch(/not in the consensus yet/);
    expect(relayHeadline(on)).toMatchObject({ tone: 'good' });
    expect(relayHeadline({ ...on, error: '552 Could not bind' })).toMatchObject({ tone: 'warn' });
  });

  it('formats uptime in days, hours and minutes', () => {
    expect(formatUptime(0, 4 * 60_000)).toBe('4 min');
    expect(formatUptime(0, (5 * 60 + 10) * 60_000)).toBe('5 h 10 min');
    expect(formatUptime(0, (2 * 1440 + 3 * 60) * 60_000)).toBe('2 d 3 h');
    expect(formatUptime(10_000, 0)).toBe('0 min');
  });

  it('names form fields in the words the form uses', () => {
    expect(plainSettingsError('burstKiB must be at least rateKiB')).toBe(
      'Peaks (KB/s) must be at least the average',
    );
    expect(plainSettingsError('nickname must be 1–19 letters or digits')).toBe(
      'Nickname must be 1–19 letters or digits',
    );
    expect(plainSettingsError('something else')).toBe('something else');
  });
});
