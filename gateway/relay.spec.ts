// Unit spec for RelayManager (docs/protocol.md §2.6): stored settings, what it sends tor, the monthly cap.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from './log.js';
import { RelayManager, monthOf, relayOffConf } from './relay.js';
import type { TorControl } from './tor/control.js';
import { DEFAULT_RELAY_SETTINGS, relayOnConf } from './tor/relay-config.js';

/** Records SETCONFs; answers GETINFO from `info` (a missing key fails like tor's 552). */
class FakeControl {
  confs: Record<string, string | number | null>[] = [];
  info: Record<string, string> = { 'traffic/read': '0', 'traffic/written': '0' };
  refuse = false;
  closed = false;
  setConf(kv: Record<string, string | number | null>): Promise<void> {
    if (this.refuse && kv['ORPort'] !== null) return Promise.reject(new Error('552 Could not bind'));
    this.confs.push(kv);
    return Promise.resolve();
  }
  getInfo(keys: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const k of keys) {
      if (!(k in this.info)) return Promise.reject(new Error(`552 unrecognized key ${k}`));
      out[k] = this.info[k]!;
    }
    return Promise.resolve(out);
  }
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function setup(opts: { dir?: string; now?: () => number } = {}) {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'chattor-relay-')));
  if (!opts.dir) dirs.push(dir);
  const control = new FakeControl();
  let available = true;
  let changes = 0;
  const relay = await RelayManager.open({
    dataDir: dir,
    network: 'private',
    control: () => (available ? (control as unknown as TorControl) : null),
    log: memoryLogger(),
    changed: () => changes++,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return {
    dir,
    control,
    relay,
    setAvailable: (v: boolean) => (available = v),
    changes: () => changes,
  };
}

const on = { ...DEFAULT_RELAY_SETTINGS, enabled: true, nickname: 'spec', monthlyCapGiB: 1 };

describe('RelayManager', () => {
  it('starts off, sends the relay options when switched on and resets them when switched off', async () => {
    const { control, relay, changes } = await setup();
    expect(relay.state).toBe('off');
    const s = await relay.set(on);
    expect(s.state).toBe('on');
    expect(s.since).not.toBeNull();
    expect(control.confs.at(-1)).toEqual(relayOnConf(on, 'private'));
    await relay.set({ ...on, enabled: false });
    expect(relay.state).toBe('off');
    expect(control.confs.at(-1)).toEqual(relayOffConf());
    expect(control.confs.at(-1)).toMatchObject({ ClientOnly: 1, ORPort: null, Nickname: null });
    expect(changes()).toBe(2);
    relay.close();
  });

  it('leaves a fresh tor alone while relay mode is off (an attached tor keeps its own configuration)', async () => {
    const { control, relay } = await setup();
    await relay.apply();
    expect(control.confs).toEqual([]);
    await relay.set({ ...on, enabled: false });
    expect(control.confs).toEqual([relayOffConf()]);
    relay.close();
  });

  it('refuses bad settings without changing anything', async () => {
    const { control, relay } = await setup();
    await expect(relay.set({ ...on, nickname: 'no spaces allowed' })).rejects.toThrow(/nickname/);
    expect(control.confs).toEqual([]);
    expect(relay.settings.enabled).toBe(false);
    relay.close();
  });

  it('keeps its settings in relay.json (0600) and applies them again to a new tor', async () => {
    const a = await setup();
    await a.relay.set(on);
    a.relay.close();
    expect((await stat(join(a.dir, 'relay.json'))).mode & 0o777).toBe(0o600);
    const b = await setup({ dir: a.dir });
    expect(b.relay.settings).toEqual(on);
    expect(b.control.confs).toEqual([]);
    await b.relay.apply();
    expect(b.control.confs).toEqual([relayOnConf(on, 'private')]);
    b.relay.close();
  });

  it('treats a damaged relay.json as off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chattor-relay-'));
    dirs.push(dir);
    await writeFile(join(dir, 'relay.json'), '{"version":1,"settings":{"enabled":true,"nickname":"x y"}}');
    const { relay } = await setup({ dir });
    expect(relay.settings).toEqual(DEFAULT_RELAY_SETTINGS);
    relay.close();
  });

  it('stays a client and says why when tor refuses the options', async () => {
    const { control, relay } = await setup();
    control.refuse = true;
    const s = await relay.set(on);
    expect(s.state).toBe('off');
    expect(s.error).toMatch(/Could not bind/);
    expect(control.confs.at(-1)).toEqual(relayOffConf());
    relay.close();
  });

  it('waits for tor when it is restarting, then applies', async () => {
    const { control, relay, setAvailable } = await setup();
    setAvailable(false);
    const s = await relay.set(on);
    expect(s.torAvailable).toBe(false);
    expect(control.confs).toEqual([]);
    setAvailable(true);
    await relay.apply();
    expect(control.confs).toEqual([relayOnConf(on, 'private')]);
    relay.close();
  });

  it('reports reachability, the accepted descriptor and the consensus entry from tor', async () => {
    const { control, relay } = await setup();
    await relay.set(on);
    const fp = 'AB'.repeat(20);
    Object.assign(control.info, {
      fingerprint: fp,
      'status/reachability-succeeded/or': '1',
      'status/accepted-server-descriptor': '1',
      'traffic/read': '1000',
      'traffic/written': '2000',
    });
    let s = await relay.status();
    expect(s).toMatchObject({
      fingerprint: fp,
      reachable: true,
      descriptorAccepted: true,
      inConsensus: false,
    });
    expect(s).toMatchObject({ trafficRead: 1000, trafficWritten: 2000, torAvailable: true });
    control.info[`ns/id/${fp}`] =
      `r spec x y 2038-01-01 00:00:00 127.0.0.1 9001 0\ns Fast Guard Running Valid\n`;
    s = await relay.status();
    expect(s.inConsensus).toBe(true);
    expect(s.flags).toEqual(['Fast', 'Guard', 'Running', 'Valid']);
    relay.close();
  });

  it('pauses at the monthly cap, remembers the count, and resumes in a new month', async () => {
    let now = Date.UTC(2026, 10, 30, 23, 0);
    const { dir, control, relay } = await setup({ now: () => now });
    await relay.set(on); // cap 1 GiB
    await relay.count(); // baseline
    control.info['traffic/read'] = String(600 * 1024 * 1024);
    await relay.count();
    expect(relay.state).toBe('on');
    control.info['traffic/written'] = String(500 * 1024 * 1024);
    await relay.count();
    expect(relay.state).toBe('paused');
    expect(control.confs.at(-1)).toEqual(relayOffConf());
    const file = JSON.parse(await readFile(join(dir, 'relay.json'), 'utf8')) as { monthBytes: number };
    expect(file.monthBytes).toBe(1100 * 1024 * 1024);
    now = Date.UTC(2026, 11, 1, 0, 5);
    await relay.count();
    expect(relay.state).toBe('on');
    expect((await relay.status()).month).toBe('2026-12');
    expect(control.confs.at(-1)).toEqual(relayOnConf(on, 'private'));
    relay.close();
  });

  it('names months in UTC', () => {
    expect(monthOf(Date.UTC(2026, 0, 31, 23, 59))).toBe('2026-01');
  });
});
