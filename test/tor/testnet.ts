// Helpers for the tor test tier: the shared private network, node tors, a SOCKS5 dialer and an echo server.
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
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
export { SocksError, dialOnion, socks5Connect } from '../support/socks.js';
export { authorityControl, forgetRelay } from '../support/testnet-relays.js';

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
