import { describe, expect, it } from 'vitest';
import { parseCommandResult, parseServerMessage, parseStatus, type LocalStatus } from './local-protocol';

const ONION = 'a'.repeat(56);
const status: LocalStatus = {
  version: '0.1.0',
  tor: { state: 'bootstrapping', progress: 45, summary: 'Loading relay descriptors', socksPort: 9050 },
  onions: { contact: ONION, handle: `${'b'.repeat(56)}.onion` },
  links: [{ link: 3, direction: 'out', onion: ONION, open: true }],
  uiUrl: 'http://127.0.0.1:7780/',
};

describe('parseServerMessage', () => {
  it('accepts every event of §2.2', () => {
    const events = [
      { t: 'StatusChanged', status },
      { t: 'TorBootstrapped' },
      { t: 'OnionPublished', kind: 'handle', onion: ONION, previous: 'c'.repeat(56) },
      { t: 'PeerConnected', link: 1, direction: 'in', via: 'contact' },
      { t: 'PeerConnected', link: 2, direction: 'out', onion: ONION },
      { t: 'PeerClosed', link: 2, reason: 'remote closed', willRetry: true },
      { t: 'LinkError', link: 9, code: 'E_UNKNOWN_LINK', message: 'no such link' },
    ];
    for (const e of events) expect(parseServerMessage(e)).toEqual({ ok: true, value: e });
  });

  it('accepts what a starting gateway sends: no SOCKS port yet, no onions, inbound links with via', () => {
    const starting = {
      ...status,
      name: 'alice',
      tor: { state: 'starting', progress: 0, summary: '', socksPort: null },
      onions: {},
      links: [{ link: 1, direction: 'in', via: 'contact', open: true }],
    };
    const parsed = parseStatus(starting);
    expect(parsed.ok && parsed.value.tor.socksPort).toBeNull();
    expect(parsed.ok && parsed.value.links).toEqual([
      { link: 1, direction: 'in', via: 'contact', open: true },
    ]);
    expect(
      parseServerMessage({ t: 'CommandFailed', id: null, code: 'E_BAD_INPUT', message: 'not JSON' }),
    ).toEqual({
      ok: true,
      value: { t: 'CommandFailed', id: null, code: 'E_BAD_INPUT', message: 'not JSON' },
    });
  });

  it('keeps only known fields', () => {
    const parsed = parseServerMessage({ t: 'TorBootstrapped', extra: 'x', __proto__: { evil: 1 } });
    expect(parsed).toEqual({ ok: true, value: { t: 'TorBootstrapped' } });
    const s = parseStatus({ ...status, secret: 'no', tor: { ...status.tor, more: 1 } });
    expect(s.ok && Object.keys(s.value)).toEqual(['version', 'tor', 'onions', 'links', 'uiUrl']);
    expect(s.ok && Object.keys(s.value.tor)).toEqual(['state', 'progress', 'summary', 'socksPort']);
  });

  it('rejects unknown types and non-objects with a reason', () => {
    expect(parseServerMessage({ t: 'DropTables' })).toEqual({
      ok: false,
      reason: 'unknown message type "DropTables"',
    });
    for (const bad of [null, 1, 'x', [], {}, { t: 5 }]) expect(parseServerMessage(bad).ok).toBe(false);
  });

  it('rejects malformed fields, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ t: 'StatusChanged', status: { ...status, tor: { ...status.tor, progress: 101 } } }, 'tor.progress'],
      [{ t: 'StatusChanged', status: { ...status, tor: { ...status.tor, state: 'up' } } }, 'tor.state'],
      [{ t: 'StatusChanged', status: { ...status, tor: { ...status.tor, socksPort: 70000 } } }, 'socksPort'],
      [{ t: 'StatusChanged', status: { ...status, onions: { contact: 'short' } } }, 'onions.contact'],
      [{ t: 'StatusChanged', status: { ...status, links: [{ link: -1 }] } }, 'link.link'],
      [{ t: 'OnionPublished', kind: 'secret', onion: ONION }, 'kind'],
      [{ t: 'PeerConnected', link: 1.5, direction: 'in' }, 'link'],
      [{ t: 'PeerConnected', link: 1, direction: 'in', via: 'relay' }, 'via'],
      [
        {
          t: 'StatusChanged',
          status: { ...status, links: [{ link: 1, direction: 'in', via: 'x', open: true }] },
        },
        'link.via',
      ],
      [{ t: 'PeerClosed', link: 1, reason: 'x' }, 'willRetry'],
      [{ t: 'LinkError', link: 1, code: 'E', message: 'x'.repeat(5000) }, 'message'],
      [{ t: 'CommandDone' }, 'id'],
      [{ t: 'CommandFailed', id: 'a', code: 'E_X' }, 'message'],
      [{ t: 'CommandFailed', id: 5, code: 'E_X', message: 'm' }, 'id'],
    ];
    for (const [msg, field] of cases) {
      const parsed = parseServerMessage(msg);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toContain(field);
    }
  });

  it('passes CommandDone fields on for the command-specific check', () => {
    const done = parseServerMessage({ t: 'CommandDone', id: 'c-1', link: 4 });
    expect(done).toEqual({ ok: true, value: { t: 'CommandDone', id: 'c-1', result: { link: 4 } } });
    expect(parseCommandResult('DialPeer', { link: 4 })).toEqual({ ok: true, value: { link: 4 } });
    expect(parseCommandResult('DialPeer', { link: 'x' }).ok).toBe(false);
    expect(parseCommandResult('GetStatus', { status })).toEqual({ ok: true, value: { status } });
    expect(parseCommandResult('RotateHandle', { onion: ONION })).toEqual({
      ok: true,
      value: { onion: ONION },
    });
    expect(parseCommandResult('ClosePeer', {})).toEqual({ ok: true, value: {} });
  });

  it('checks the results of the mailbox commands of §5.8', () => {
    const okey = 'A'.repeat(53) + 'Q'; // base64url of 40 bytes
    expect(parseCommandResult('OpenMailboxAccount', { okey })).toEqual({ ok: true, value: { okey } });
    for (const bad of ['A'.repeat(53) + 'B', 'A'.repeat(52), 'A'.repeat(53) + '=', 7, undefined])
      expect(parseCommandResult('OpenMailboxAccount', { okey: bad })).toEqual({ ok: false, reason: 'okey' });
    expect(parseCommandResult('CloseMailboxAccount', { extra: 1 })).toEqual({ ok: true, value: {} });
    const stats = { accounts: 2, envelopes: 10, bytes: 10240, oldestAt: 1_700_000_000_000 };
    expect(parseCommandResult('GetMailboxStats', { stats: { ...stats, secret: 'x' } })).toEqual({
      ok: true,
      value: { stats },
    });
    expect(parseCommandResult('GetMailboxStats', { stats: { ...stats, oldestAt: null } })).toMatchObject({
      ok: true,
    });
    const cases: [unknown, string][] = [
      [null, 'stats'],
      [{ ...stats, accounts: -1 }, 'stats.accounts'],
      [{ ...stats, envelopes: 1.5 }, 'stats.envelopes'],
      [{ ...stats, bytes: '1' }, 'stats.bytes'],
      [{ ...stats, oldestAt: undefined }, 'stats.oldestAt'],
    ];
    for (const [bad, reason] of cases) {
      const parsed = parseCommandResult('GetMailboxStats', { stats: bad });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toContain(reason);
    }
  });
});

describe('home onion and engine lease messages (§2.3–2.4)', () => {
  const onion = 'b'.repeat(56);
  const clientKey = `${onion}:descriptor:x25519:${'A'.repeat(52)}`;

  it('accepts the home access a gateway reports, and nothing malformed', () => {
    expect(parseCommandResult('GetHomeAccess', { home: { enabled: false } })).toEqual({
      ok: true,
      value: { home: { enabled: false } },
    });
    expect(parseCommandResult('SetHomeAccess', { home: { enabled: true, onion, clientKey, x: 1 } })).toEqual({
      ok: true,
      value: { home: { enabled: true, onion, clientKey } },
    });
    for (const home of [
      undefined,
      { enabled: 'yes' },
      { enabled: true, onion },
      { enabled: true, onion, clientKey: clientKey.toLowerCase() },
      { enabled: true, onion, clientKey: `${'c'.repeat(56)}:descriptor:x25519:${'A'.repeat(52)}` },
    ])
      expect(parseCommandResult('GetHomeAccess', { home }).ok).toBe(false);
  });

  it('checks lease grants and knows the lease events', () => {
    const lease = 'L'.repeat(22);
    expect(parseCommandResult('AcquireEngineLease', { lease, generation: 3 })).toEqual({
      ok: true,
      value: { lease, generation: 3 },
    });
    expect(parseCommandResult('AcquireEngineLease', { lease: 'short', generation: 3 }).ok).toBe(false);
    expect(parseCommandResult('AcquireEngineLease', { lease, generation: -1 }).ok).toBe(false);
    expect(parseServerMessage({ t: 'EngineLeaseRequested' })).toEqual({
      ok: true,
      value: { t: 'EngineLeaseRequested' },
    });
    expect(parseServerMessage({ t: 'EngineLeaseLost', extra: 1 })).toEqual({
      ok: true,
      value: { t: 'EngineLeaseLost' },
    });
  });
});
