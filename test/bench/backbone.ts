// Backbone baselines (issue: backbone, Benchmarks): raw onion round trip, raw onion stream throughput,
// and gateway start → contact onion reachable from another node. Every later figure compares to these.
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../../gateway/log.js';
import { TorSupervisor } from '../../gateway/tor/process.js';
import { startTestGateway } from '../support/gateways.js';
import { dialOnion } from '../support/socks.js';
import type { Report } from './report.js';
import { percentile } from './report.js';

const log = createLogger('bench', { level: 'warn' });

function listen(onConn: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer(onConn);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

/** A sink on 127.0.0.1: reads a u32 length, then that many bytes, then answers `done`. */
export function listenSink(): Promise<Server> {
  return listen((s) => {
    let n = 0;
    let want = -1;
    s.on('data', (d: Buffer) => {
      if (want < 0) {
        want = d.readUInt32BE(0);
        n += d.length - 4;
      } else n += d.length;
      if (n >= want) s.end('done');
    });
  });
}

/**
 * Raw onion stream throughput: `total` bytes one way to a sink onion (listenSink behind it) dialled
 * through `socksPort`, timed from the first byte written to the sink's answer. MiB/s.
 */
export async function sinkThroughput(socksPort: number, sinkOnion: string, total: number): Promise<number> {
  const sink = await dialOnion(socksPort, sinkOnion, 80, 120_000);
  try {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(total);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const t0 = performance.now();
    const done = new Promise<void>((r) => sink.once('data', () => r()));
    sink.write(header);
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
    }
    await done;
    return total / ((performance.now() - t0) / 1000) / 2 ** 20;
  } finally {
    sink.destroy();
  }
}

export interface RawOnion {
  clientSocks: number;
  echoOnion: string;
  sinkOnion: string;
  stop(): Promise<void>;
}

/** Two bare tors: one hosts an echo and a sink onion, the other dials them. No Chattor in between. */
export async function startRawOnions(clientTorrcLines: string[]): Promise<RawOnion> {
  const echo = await listen((s) => {
    s.setNoDelay(true);
    s.pipe(s);
  });
  const sink = await listenSink();
  const dir = mkdtempSync(join(tmpdir(), 'chattor-bench-'));
  const [server, client] = await Promise.all([
    TorSupervisor.start({ dataDir: join(dir, 'server'), log, extraTorrc: clientTorrcLines }),
    TorSupervisor.start({ dataDir: join(dir, 'client'), log, extraTorrc: clientTorrcLines }),
  ]);
  await Promise.all([server.whenBootstrapped(), client.whenBootstrapped()]);
  const add = async (srv: Server) =>
    (
      await server.control.addOnion({
        key: 'NEW:ED25519-V3',
        flags: ['DiscardPK'],
        ports: [{ virtPort: 80, target: `127.0.0.1:${(srv.address() as AddressInfo).port}` }],
      })
    ).serviceId;
  const echoOnion = await add(echo);
  const sinkOnion = await add(sink);
  return {
    clientSocks: client.socksPort!,
    echoOnion,
    sinkOnion,
    async stop() {
      await Promise.all([server.stop(), client.stop()]);
      echo.close();
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Round trips of `size`-byte messages over one established connection; returns sorted ms. */
export async function echoRoundTrips(socket: Socket, count: number, size = 64): Promise<number[]> {
  socket.setNoDelay(true);
  const times: number[] = [];
  const msg = Buffer.alloc(size, 7);
  for (let i = 0; i < count + 10; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      const onData = (d: Buffer) => {
        got += d.length;
        if (got >= size) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(msg);
    });
    if (i >= 10) times.push(performance.now() - t0); // the first 10 warm the circuit
  }
  return times.sort((x, y) => x - y);
}

export async function benchBackbone(
  report: Report,
  clientTorrcLines: string[],
): Promise<{ median: number; p95: number }> {
  let rawRtt = { median: NaN, p95: NaN };
  process.stdout.write('backbone: raw onion baselines\n');
  const raw = await startRawOnions(clientTorrcLines);
  try {
    const s = await dialOnion(raw.clientSocks, raw.echoOnion, 80);
    const rtt = await echoRoundTrips(s, 300);
    s.destroy();
    rawRtt = { median: percentile(rtt, 50), p95: percentile(rtt, 95) };
    report.add({
      name: 'raw onion echo RTT median',
      value: percentile(rtt, 50),
      unit: 'ms',
      note: '64-byte messages, 300 round trips',
    });
    report.add({ name: 'raw onion echo RTT p95', value: percentile(rtt, 95), unit: 'ms' });

    report.add({
      name: 'raw onion stream throughput',
      value: await sinkThroughput(raw.clientSocks, raw.sinkOnion, 64 * 2 ** 20),
      unit: 'MiB/s',
      note: '64 MiB one way',
    });
  } finally {
    await raw.stop();
  }

  process.stdout.write('backbone: gateway start → contact onion reachable\n');
  const dialer = await startRawOnions(clientTorrcLines);
  try {
    const t0 = performance.now();
    const gw = await startTestGateway('bench-start', clientTorrcLines);
    const s = await dialOnion(dialer.clientSocks, gw.contactOnion, 80, 180_000);
    const ms = performance.now() - t0;
    s.destroy();
    await gw.dispose();
    report.add({
      name: 'gateway start → contact onion reachable',
      value: ms / 1000,
      unit: 's',
      note: 'fresh data directory',
    });
  } finally {
    await dialer.stop();
  }
  return rawRtt;
}
