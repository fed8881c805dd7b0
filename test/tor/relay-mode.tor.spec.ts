// Relay mode (issue 8, docs/protocol.md §2.6) on the private Tor network: one gateway's tor becomes a
// non-exit relay over the control port, appears in the consensus, keeps its onions (also across a tor
// restart), and leaves again. The relay is gone from the consensus when this file ends, whatever
// happens, so the specs after it see the network as it was.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConsensusEntry } from '../../gateway/relay.js';
import type { TorControl } from '../../gateway/tor/control.js';
import { DEFAULT_RELAY_SETTINGS } from '../../gateway/tor/relay-config.js';
import { LocalClient } from '../support/local-client.js';
import { type TestGateway, freePort, startTestGateway } from '../support/gateways.js';
import { authorityControl, dialOnion, forgetRelay, getTestnet } from './testnet.js';

interface RelayView {
  state: string;
  fingerprint: string | null;
  reachable: boolean;
  descriptorAccepted: boolean;
  inConsensus: boolean;
  flags: string[];
  since: number | null;
  trafficRead: number;
}

let gw: TestGateway;
let client: LocalClient;
let auth: TorControl;
let fingerprint: string | null = null;

beforeAll(async () => {
  gw = await startTestGateway('relay', getTestnet().clientTorrcLines);
  client = await LocalClient.connect(gw.uiUrl, gw.token);
  auth = await authorityControl(getTestnet());
});

afterAll(async () => {
  try {
    // Whatever happened above: no relay of this file stays in the network.
    if (fingerprint && (await readConsensusEntry(auth, fingerprint)))
      await forgetRelay(getTestnet(), fingerprint);
  } finally {
    client?.close();
    await auth?.close();
    await gw?.dispose();
  }
});

async function relay(): Promise<RelayView> {
  return (await client.command('GetRelay')).relay as RelayView;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | false>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** An HTTP answer from the node's own onion through its own tor: the onion is published and reachable. */
async function onionAnswers(onion: string): Promise<string> {
  const s = await dialOnion(gw.socksPort, onion, 80, 90_000);
  const answer = new Promise<string>((resolve) =>
    s.once('data', (d: Buffer) => resolve(d.toString('latin1'))),
  );
  s.write(`GET /peer HTTP/1.1\r\nHost: ${onion}.onion\r\n\r\n`);
  const text = await answer;
  s.destroy();
  return text;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('relay mode on the private network', () => {
  it('joins the consensus as a non-exit relay, keeps the onions, and leaves when turned off', async () => {
    const orPort = await freePort();
    const settings = {
      ...DEFAULT_RELAY_SETTINGS,
      enabled: true,
      orPort,
      nickname: 'chattorrelayspec',
      contact: 'relay spec',
      monthlyCapGiB: 0,
    };
    const from = client.events.length;
    const done = await client.command('SetRelay', { settings });
    expect((done.relay as RelayView).state).toBe('on');
    await client.waitForEvent((e) => e.t === 'RelayChanged', 10_000, from);

    // Tor's own reachability test, the authorities' acceptance, then the next consensus.
    const first = await until('the relay to be reachable and its descriptor accepted', 60_000, async () => {
      const r = await relay();
      return r.fingerprint && r.reachable && r.descriptorAccepted ? r : null;
    });
    fingerprint = first.fingerprint!;
    const flags = await until('the relay in the authorities’ consensus', 90_000, () =>
      readConsensusEntry(auth, fingerprint!),
    );
    expect(flags).toContain('Running');
    expect(flags).not.toContain('Exit');
    const ns = (await auth.getInfo([`ns/id/${fingerprint}`]))[`ns/id/${fingerprint}`] ?? '';
    expect(ns).toMatch(/^r chattorrelayspec /m);
    expect(ns).toMatch(new RegExp(`^r .* 127\\.0\\.0\\.1 ${orPort} `, 'm'));
    expect(ns).toMatch(/^p reject 1-65535$/m);
    // What Settings shows: the node's own tor sees itself in the consensus it fetched.
    const seen = await until('the gateway to report it in the consensus', 90_000, async () => {
      const r = await relay();
      return r.inConsensus ? r : null;
    });
    expect(seen.since).not.toBeNull();

    // The node's onions still answer while it relays.
    expect(await onionAnswers(gw.contactOnion)).toMatch(/^HTTP\/1\.1 \d{3}/);
    expect(await onionAnswers(gw.handleOnion)).toMatch(/^HTTP\/1\.1 \d{3}/);

    // A tor restart: the settings are applied again to the new tor, the contact onion comes back.
    process.kill(await gw.torPid(), 'SIGKILL');
    await until('the relay back after the tor restart', 90_000, async () => {
      const r = await relay().catch(() => null);
      return r && r.state === 'on' && r.fingerprint === fingerprint && r.reachable && r.descriptorAccepted;
    });
    expect(await onionAnswers(gw.contactOnion)).toMatch(/^HTTP\/1\.1 \d{3}/);

    // Off: the ORPort closes at once, the gateway reports a client again…
    const off = await client.command('SetRelay', { settings: { ...settings, enabled: false } });
    expect(off.relay).toMatchObject({ state: 'off', fingerprint: null, since: null });
    expect(await portOpen(orPort)).toBe(false);
    // …and the network drops it. Authorities of the public network find the ORPort closed on their
    // own; the private network's assume every relay reachable, so the test tells them (forgetRelay).
    await forgetRelay(getTestnet(), fingerprint);
    expect(await readConsensusEntry(auth, fingerprint)).toBeNull();
    // Still a working node.
    expect(await onionAnswers(gw.contactOnion)).toMatch(/^HTTP\/1\.1 \d{3}/);
  });
});
