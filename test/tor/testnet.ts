// Helpers for the tor test tier: the shared private network, node tors, a SOCKS5 dialer and an echo server.
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type LogLevel, type Logger, createLogger } from '../../gateway/log.js';
import type { TorControl } from '../../gateway/tor/control.js';
import { TorSupervisor } from '../../gateway/tor/process.js';
import type { TestnetInfo } from '../../gateway/tor/testnet.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testnet: TestnetInfo;
  }
}

export type { TestnetInfo };

export function testLogger(scope: string): Logger {
  return createLogger(scope, { level: (process.env['CHATTOR_LOG_LEVEL'] as LogLevel | undefined) ?? 'warn' });
}

/** The network started (or reused) by test/tor/global-setup.ts. */
export function getTestnet(): TestnetInfo {
  return inject('testnet');
}

/** A scratch directory removed by the returned cleanup. */
export async function scratchDir(
  prefix = 'chattor-tor-',
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts a node tor on the private network and waits for it to bootstrap. */
export async function startNodeTor(dataDir: string, name: string): Promise<TorSupervisor> {
  const tor = await TorSupervisor.start({
    dataDir,
    extraTorrc: getTestnet().clientTorrcLines,
    log: testLogger(`tor:${name}`),
  });
  try {
    await tor.whenBootstrapped(60_000);
  } catch (e) {
    const tail = await tor.noticeLogTail(40);
    await tor.stop();
    throw new Error(`${name} did not bootstrap: ${(e as Error).message}\n${tail}`);
  }
  return tor;
}

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that writes back every byte it receives. */
export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A SOCKS5 failure; `reply` is the REP byte (0xF0 descriptor not found, 0xF2 intro failed, …). */
export class SocksError extends Error {
  constructor(readonly reply: number) {
    super(`SOCKS5 reply 0x${reply.toString(16).padStart(2, '0')}`);
  }
}

/** Minimal SOCKS5 CONNECT (no auth, domain name address type) to `host:port` through 127.0.0.1:socksPort. */
export function socks5Connect(
  socksPort: number,
  host: string,
  port: number,
  timeoutMs = 60_000,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: socksPort });
    let buf = new Uint8Array(0);
    let step = 0;
    const fail = (e: Error) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error('SOCKS5 connect timed out')), timeoutMs);
    s.once('error', fail);
    s.once('connect', () => s.write(Uint8Array.of(5, 1, 0)));
    const onData = (d: Buffer) => {
      buf = new Uint8Array([...buf, ...d]);
      if (step === 0 && buf.length >= 2) {
        if (buf[0] !== 5 || buf[1] !== 0) return fail(new Error('SOCKS5 method refused'));
        buf = buf.slice(2);
        step = 1;
        const name = new TextEncoder().encode(host);
        s.write(Uint8Array.from([5, 1, 0, 3, name.length, ...name, port >> 8, port & 255]));
      }
      if (step === 1 && buf.length >= 2) {
        if (buf[1] !== 0) return fail(new SocksError(buf[1]!));
        const need = buf[3] === 1 ? 10 : buf[3] === 4 ? 22 : 7 + (buf[4] ?? 0);
        if (buf.length < need) return;
        s.off('data', onData);
        s.off('error', fail);
        clearTimeout(timer);
        if (buf.length > need) s.unshift(buf.slice(need));
        resolve(s);
      }
    };
    s.on('data', onData);
  });
}

/** Writes `bytes` and resolves with the same number of bytes read back. */
export function echoRoundTrip(s: Socket, bytes: Uint8Array, timeoutMs = 30_000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let got = new Uint8Array(0);
    const timer = setTimeout(
      () => reject(new Error(`echo timed out (${got.length}/${bytes.length})`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      got = new Uint8Array([...got, ...d]);
      if (got.length >= bytes.length) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(got);
      }
    };
    s.on('data', onData);
    s.write(bytes);
  });
}

/** Dials an onion through SOCKS, retrying onion errors (0xF0–0xF7, 0x01, 0x04, 0x06) until `timeoutMs`. */
export async function dialOnion(
  socksPort: number,
  onion: string,
  port: number,
  timeoutMs = 60_000,
  opts: { attemptMs?: number; onRetry?: () => Promise<unknown> } = {},
): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = Math.min(opts.attemptMs ?? timeoutMs, Math.max(1000, deadline - Date.now()));
    try {
      return await socks5Connect(socksPort, `${onion}.onion`, port, attempt);
    } catch (e) {
      if (Date.now() + 400 > deadline) throw e;
      // A client tor may hold a stale descriptor (the service restarted with new intro points).
      await opts.onRetry?.().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 400));
    }
  }
}

/** Records `650 HS_DESC UPLOADED <id>` events; subscribe before ADD_ONION so none is missed. */
export async function watchHsDesc(control: TorControl): Promise<{
  waitUploaded(serviceId: string, timeoutMs?: number): Promise<void>;
  stop(): void;
}> {
  const uploaded = new Set<string>();
  const waiters = new Map<string, () => void>();
  const off = control.onEvent((ev) => {
    if (ev.name !== 'HS_DESC') return;
    const [action, id] = ev.text.split(' ');
    if (action !== 'UPLOADED' || !id) return;
    uploaded.add(id);
    waiters.get(id)?.();
  });
  await control.addEvents(['HS_DESC']);
  return {
    stop: off,
    waitUploaded: (serviceId, timeoutMs = 60_000) =>
      uploaded.has(serviceId)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no HS_DESC UPLOADED in time')), timeoutMs);
            waiters.set(serviceId, () => {
              clearTimeout(timer);
              resolve();
            });
          }),
  };
}
