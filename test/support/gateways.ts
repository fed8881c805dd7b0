// Gateways as real child processes on the private Tor network, for tor-tier tests and benchmarks.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnGateway } from '../../gateway/spawn-gateway.js';
import type { GatewayChild } from '../../gateway/spawn-gateway.js';
import { freePort } from '../../headless/own-gateway.js';

/** How many envelopes a gateway's mailbox store holds (0 before it has one), read beside the running gateway. */
export function storedEnvelopes(dataDir: string): number {
  const file = join(dataDir, 'mailbox.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM envelopes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export const GATEWAY_BUNDLE = resolve('dist/gateway.mjs');

/**
 * The pid of the gateway's running tor, from its pid file — only once that pid is a live child of the
 * gateway: the file still names a killed tor until the gateway has started the next one, and a pid from
 * a stale file could meanwhile belong to anything else.
 */
async function liveTorPid(
  pidFile: string,
  gatewayPid: number | undefined,
  timeoutMs = 120_000,
): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    const stat = pid > 0 ? await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '') : '';
    // "pid (comm) state ppid …": the fields after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat && state !== 'Z' && Number(ppid) === gatewayPid) return pid;
    if (Date.now() > end) throw new Error(`no live tor of the gateway (pid file: ${pid || 'none'})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free TCP port on 127.0.0.1 (the same helper the headless CLI uses for the gateways it starts). */
export { freePort };

export interface TestGateway {
  name: string;
  dataDir: string;
  port: number;
  uiUrl: string;
  token: string;
  contactOnion: string;
  handleOnion: string;
  socksPort: number;
  child: GatewayChild;
  torPid(): Promise<number>;
  stop(): Promise<void>;
  /** Kills the gateway process with SIGKILL (no shutdown of its own) and waits until it is gone. */
  crash(): Promise<void>;
  /** Stops it and removes its data directory. */
  dispose(): Promise<void>;
  /** Stops and starts the gateway again on the same data directory and port. */
  restart(): Promise<TestGateway>;
}

export async function startTestGateway(
  name: string,
  clientTorrcLines: string[],
  opts: {
    dataDir?: string;
    port?: number;
    extraArgs?: string[];
    nodeArgs?: string[];
    cwd?: string;
    logFile?: string;
    /** How many times a free port was already taken before the gateway could bind it. */
    portTries?: number;
  } = {},
): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `chattor-${name}-`));
  const port = opts.port ?? (await freePort());
  const torrcExtra = join(dataDir, 'torrc-extra');
  const pidFile = join(dataDir, 'tor.pid');
  writeFileSync(torrcExtra, [...clientTorrcLines, `PidFile ${pidFile}`].join('\n') + '\n');
  const child = spawnGateway({
    bundle: GATEWAY_BUNDLE,
    name,
    args: [
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--torrc-extra',
      torrcExtra,
      ...(opts.extraArgs ?? []),
    ],
    nodeArgs: opts.nodeArgs,
    cwd: opts.cwd,
    logFile: opts.logFile,
  });
  try {
    const l = await child.listening;
    const r = await child.ready;
    const token = new URL(l.pairingUrl).hash.replace('#pair=', '');
    const gw: TestGateway = {
      name,
      dataDir,
      port,
      uiUrl: l.uiUrl,
      token,
      contactOnion: r.contactOnion,
      handleOnion: r.handleOnion,
      socksPort: r.socksPort,
      child,
      torPid: () => liveTorPid(pidFile, child.child.pid),
      stop: () => child.stop(),
      crash: async () => {
        const c = child.child;
        if (c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await gone;
      },
      dispose: async () => {
        await child.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
      restart: async () => {
        await child.stop();
        return startTestGateway(name, clientTorrcLines, { ...opts, dataDir, port });
      },
    };
    return gw;
  } catch (e) {
    await child.stop();
    // A port picked free can be taken before the gateway binds it (a tor's `auto` port, say): pick again.
    if (opts.port === undefined && child.stderrTail().includes('EADDRINUSE') && (opts.portTries ?? 0) < 3)
      return startTestGateway(name, clientTorrcLines, {
        ...opts,
        dataDir,
        portTries: (opts.portTries ?? 0) + 1,
      });
    throw new Error(`${(e as Error).message}\n${child.stderrTail()}`, { cause: e });
  }
}
