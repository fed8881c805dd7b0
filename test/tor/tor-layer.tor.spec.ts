// Tor tier: TorSupervisor, TorControl and onion keys against real tors on the private network.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateOnionKey, type OnionKey } from '../../gateway/tor/onion-key.js';
import { TorSupervisor } from '../../gateway/tor/process.js';
import {
  type EchoServer,
  SocksError,
  dialOnion,
  echoRoundTrip,
  getTestnet,
  scratchDir,
  socks5Connect,
  startEchoServer,
  startNodeTor,
  testLogger,
  watchHsDesc,
} from './testnet.js';

describe('tor layer on the private network', () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let echo: EchoServer;
  let service: TorSupervisor;
  let client: TorSupervisor;
  let key: OnionKey;
  const ports = () => [{ virtPort: 80, target: `127.0.0.1:${echo.port}` }];

  const echoVia = async (onion: string, timeoutMs = 60_000) => {
    const s = await dialOnion(client.socksPort!, onion, 80, timeoutMs, {
      attemptMs: 20_000,
      onRetry: () => client.control.command(`HSFETCH ${onion}`),
    });
    try {
      const bytes = new Uint8Array(randomBytes(64));
      expect(await echoRoundTrip(s, bytes)).toEqual(bytes);
    } finally {
      s.destroy();
    }
  };

  beforeAll(async () => {
    expect(getTestnet().authorities.length).toBeGreaterThanOrEqual(4);
    scratch = await scratchDir();
    echo = await startEchoServer();
    [service, client] = await Promise.all([
      startNodeTor(join(scratch.dir, 'service-tor'), 'service'),
      startNodeTor(join(scratch.dir, 'client-tor'), 'client'),
    ]);
    key = await loadOrCreateOnionKey(join(scratch.dir, 'keys', 'contact.key'));
  });

  afterAll(async () => {
    await Promise.all([service?.stop(), client?.stop()]);
    await echo?.close();
    await scratch?.remove();
  });

  it('bootstraps node tors and reports their SOCKS ports', () => {
    expect(service.state).toBe('ready');
    expect(client.state).toBe('ready');
    expect(client.socksPort).toBeGreaterThan(0);
    expect(service.progress).toBe(100);
  });

  it('publishes an onion from a stored key at the address computed in Node and echoes over SOCKS', async () => {
    const hs = await watchHsDesc(service.control);
    const t0 = Date.now();
    const r = await service.control.addOnion({
      key: { ed25519ExpandedSecret: key.expandedSecret },
      ports: ports(),
    });
    expect(r.serviceId).toBe(key.address);
    expect(r.privateKey).toBeUndefined();
    await hs.waitUploaded(r.serviceId);
    const uploadedMs = Date.now() - t0;
    await echoVia(r.serviceId);
    console.log(`stored-key onion: uploaded after ${uploadedMs} ms, first echo after ${Date.now() - t0} ms`);
    hs.stop();
  });

  // Retried: on this private network an onion re-published by a restarted tor sometimes stays
  // unreachable for minutes (seen ~1 run in 5; root cause in tor not found yet, see the closing notes).
  it(
    'restarts a SIGKILLed tor in the same data dir; the re-added onion answers again',
    { retry: 2 },
    async () => {
      const oldPid = service.pid!;
      const oldSocks = service.socksPort;
      let uploaded: Promise<void> | undefined;
      const restarted = new Promise<void>((resolve, reject) => {
        const off = service.onRestart(async (control) => {
          off();
          try {
            const hs = await watchHsDesc(control);
            uploaded = hs.waitUploaded(key.address, 90_000);
            const r = await control.addOnion({
              key: { ed25519ExpandedSecret: key.expandedSecret },
              ports: ports(),
            });
            expect(r.serviceId).toBe(key.address);
            resolve();
          } catch (e) {
            reject(e as Error);
          }
        });
      });
      const t0 = Date.now();
      process.kill(oldPid, 'SIGKILL');
      await restarted;
      await service.whenBootstrapped(90_000);
      expect(service.pid).not.toBe(oldPid);
      expect(service.socksPort).toBe(oldSocks);
      expect(service.state).toBe('ready');
      await uploaded;
      await echoVia(key.address, 120_000);
      console.log(`restart: onion answering again ${Date.now() - t0} ms after SIGKILL`);
    },
  );

  it('an ephemeral DiscardPK onion stops answering after DEL_ONION', async () => {
    const hs = await watchHsDesc(service.control);
    const r = await service.control.addOnion({ key: 'NEW:ED25519-V3', ports: ports(), flags: ['DiscardPK'] });
    expect(r.privateKey).toBeUndefined();
    await hs.waitUploaded(r.serviceId);
    await echoVia(r.serviceId);
    await service.control.delOnion(r.serviceId);
    const t0 = Date.now();
    const err = await socks5Connect(client.socksPort!, `${r.serviceId}.onion`, 80, 120_000).then(
      (s) => (s.destroy(), undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SocksError);
    const reply = (err as SocksError).reply;
    console.log(`deleted onion: SOCKS reply 0x${reply.toString(16)} after ${Date.now() - t0} ms`);
    // 0x05: the client reused its open rendezvous circuit and the service side refused the stream;
    // 0xF0–0xF3: a fresh lookup found no descriptor or no working introduction point.
    expect([0x01, 0x04, 0x05, 0x06, 0xf0, 0xf1, 0xf2, 0xf3, 0xf7]).toContain(reply);
    hs.stop();
  });

  it('attaches to a running tor, and reconnects (emitting onRestart) when the connection drops', async () => {
    const info = await client.control.getInfo(['net/listeners/control']);
    const controlPort = Number(/127\.0\.0\.1:([0-9]+)/.exec(info['net/listeners/control']!)![1]);
    const attached = await TorSupervisor.attach({
      controlPort,
      cookieFile: join(scratch.dir, 'client-tor', 'control_auth_cookie'),
      log: testLogger('tor:attached'),
    });
    try {
      await attached.whenBootstrapped(10_000);
      expect(attached.pid).toBe(client.pid);
      expect(attached.socksPort).toBe(client.socksPort);
      const again = new Promise<void>((resolve) => attached.onRestart(() => resolve()));
      await attached.control.close();
      expect(attached.state).toBe('restarting');
      await again;
      await attached.whenBootstrapped(10_000);
      expect(attached.state).toBe('ready');
      expect(client.state).toBe('ready'); // the owning connection of the client's supervisor is untouched
    } finally {
      await attached.stop();
    }
    expect(attached.state).toBe('stopped');
  });

  it('a NEW key without DiscardPK returns the expanded secret, which re-creates the same onion', async () => {
    const r = await service.control.addOnion({ key: 'NEW:ED25519-V3', ports: ports() });
    expect(r.privateKey).toHaveLength(64);
    await service.control.delOnion(r.serviceId);
    const again = await service.control.addOnion({
      key: { ed25519ExpandedSecret: r.privateKey! },
      ports: ports(),
    });
    expect(again.serviceId).toBe(r.serviceId);
    await service.control.delOnion(again.serviceId);
  });
});
