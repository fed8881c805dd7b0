// A private Tor network on 127.0.0.1 for tests and the CLI (notes/tor-testnet.md): N authority-relays.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChattorError } from '../../shared/util/errors.js';
import { type Logger, errorMessage } from '../log.js';
import { TorControl } from './control.js';
import { torPath } from './torrc.js';
import {
  type SpawnedTor,
  ensurePrivateDir,
  isAlive,
  sleep,
  spawnTor,
  tailFile,
  terminateChild,
  terminatePid,
} from './spawn.js';
import {
  type AuthorityPlan,
  authorityTorrc,
  clientTorrcLines,
  createAuthorityKeys,
  dirAuthorityLine,
  findFreePorts,
  relaysWithFlags,
} from './testnet-setup.js';

export interface TestnetAuthority {
  nick: string;
  pid: number;
  orPort: number;
  dirPort: number;
  controlPort: number;
  dataDir: string;
}

/** Plain data (structured-cloneable): what node tors and tests need to join the network. */
export interface TestnetInfo {
  dir: string;
  /** TestingTorNetwork 1, the DirAuthority lines, KISTSchedRunInterval 1, …: add to every node tor. */
  clientTorrcLines: string[];
  authorities: TestnetAuthority[];
}

export interface Testnet {
  info: TestnetInfo;
  /** Milliseconds from startTestnet() to the full consensus. */
  startupMs: number;
  noticeLogTails(lines?: number): Promise<string>;
  /** Stops every authority by PID and removes the directory. */
  stop(): Promise<void>;
}

export interface StartTestnetOptions {
  /** Must not exist or be empty: the testnet owns it and removes it on stop. Default: a new temp dir. */
  dir?: string;
  authorities?: number;
  portBase?: number;
  log: Logger;
  /** Leave the tors running without us (CLI): no ownership, state in `<dir>/testnet.json`. */
  detached?: boolean;
  timeoutMs?: number;
  torBinary?: string;
}

const STATE_FILE = 'testnet.json';
const NEEDED_FLAGS = ['Running', 'Guard', 'HSDir'];

async function claimDir(dir: string | undefined): Promise<string> {
  if (!dir) return mkdtemp(join(tmpdir(), 'chattor-testnet-'));
  const abs = resolve(dir);
  torPath(abs);
  if (existsSync(abs) && (await readdir(abs)).length > 0)
    throw new ChattorError(
      'E_STATE',
      `testnet dir ${abs} is not empty (stop the old testnet or choose another dir)`,
    );
  await ensurePrivateDir(abs);
  return abs;
}

export async function noticeLogTails(info: TestnetInfo, lines = 20): Promise<string> {
  const parts = await Promise.all(
    info.authorities.map(
      async (a) => `--- ${a.nick} notice.log ---\n${await tailFile(join(a.dataDir, 'notice.log'), lines)}`,
    ),
  );
  return parts.join('\n');
}

/** True when an authority's ns/all lists every relay with Running, Guard and HSDir. */
export async function consensusComplete(control: TorControl, info: TestnetInfo): Promise<boolean> {
  let ns: string;
  try {
    ns = (await control.getInfo(['ns/all']))['ns/all'] ?? '';
  } catch {
    return false; // no consensus yet
  }
  const ok = relaysWithFlags(ns, NEEDED_FLAGS);
  return info.authorities.every((a) => ok.has(a.nick));
}

export async function startTestnet(opts: StartTestnetOptions): Promise<Testnet> {
  const t0 = Date.now();
  const n = opts.authorities ?? 5;
  if (n < 4)
    throw new ChattorError('E_BAD_INPUT', 'a testnet needs at least 4 authority-relays (onions fail below)');
  const log = opts.log;
  const dir = await claimDir(opts.dir);
  const ports = await findFreePorts(n * 3, opts.portBase);
  const plans: AuthorityPlan[] = Array.from({ length: n }, (_, i) => ({
    nick: `chattorauth${i}`,
    dataDir: join(dir, `auth${i}`),
    orPort: ports[i * 3]!,
    dirPort: ports[i * 3 + 1]!,
    controlPort: ports[i * 3 + 2]!,
  }));
  const spawned: SpawnedTor[] = [];
  const info: TestnetInfo = { dir, clientTorrcLines: [], authorities: [] };
  const cleanup = async () => {
    await Promise.all(spawned.map((s) => terminateChild(s.child, 3000)));
    await rm(dir, { recursive: true, force: true });
  };
  // A detached testnet may be stopped by another process later; this one only knows it by PID then.
  const stop = opts.detached ? () => stopTestnetByState(dir) : cleanup;
  try {
    const keys = await Promise.all(plans.map((p) => createAuthorityKeys(p, opts.torBinary)));
    log.info('testnet keys ready', { ms: Date.now() - t0 });
    info.clientTorrcLines = clientTorrcLines(plans.map((p, i) => dirAuthorityLine(p, keys[i]!)));
    for (const p of plans) {
      const torrc = join(p.dataDir, 'torrc');
      await writeFile(
        torrc,
        authorityTorrc(p, info.clientTorrcLines, opts.detached ? undefined : process.pid),
      );
      const tor = spawnTor({
        torrc,
        detached: opts.detached ?? false,
        ...(opts.torBinary ? { torBinary: opts.torBinary } : {}),
      });
      spawned.push(tor);
      if (tor.child.pid === undefined)
        throw new ChattorError('E_TOR_PROCESS', `cannot spawn tor for ${p.nick}`);
      info.authorities.push({ ...p, pid: tor.child.pid });
    }
    if (opts.detached) await writeFile(join(dir, STATE_FILE), JSON.stringify({ version: 1, info }, null, 2));
    await waitForConsensus(info, spawned, opts.timeoutMs ?? 120_000);
  } catch (e) {
    const tails = await noticeLogTails(info).catch(() => '');
    await cleanup().catch(() => undefined);
    throw new ChattorError('E_TOR_PROCESS', `testnet failed to start: ${errorMessage(e)}\n${tails}`, {
      cause: e,
    });
  }
  const startupMs = Date.now() - t0;
  log.info('testnet ready', { authorities: n, ms: startupMs, detached: opts.detached ?? false });
  return { info, startupMs, noticeLogTails: (lines) => noticeLogTails(info, lines), stop };
}

async function waitForConsensus(info: TestnetInfo, spawned: SpawnedTor[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const first = info.authorities[0]!;
  let control: TorControl | undefined;
  try {
    for (;;) {
      for (const a of info.authorities)
        if (!isAlive(a.pid)) {
          const out = spawned.find((s) => s.child.pid === a.pid)?.outputTail() ?? '';
          throw new ChattorError('E_TOR_PROCESS', `authority ${a.nick} exited\n${out}`);
        }
      if (Date.now() > deadline)
        throw new ChattorError('E_TOR_PROCESS', `no full consensus after ${timeoutMs} ms`);
      if (!control || control.closed) {
        control = await TorControl.connect({
          port: first.controlPort,
          cookieFile: join(first.dataDir, 'control_auth_cookie'),
          log: silentLogger,
        }).catch(() => undefined);
      }
      if (control && (await consensusComplete(control, info))) return;
      await sleep(250);
    }
  } finally {
    await control?.close();
  }
}

const noop = () => undefined;
const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };

/** Reads `<dir>/testnet.json` written by a detached startTestnet. */
export function loadTestnet(dir: string): TestnetInfo {
  const file = join(resolve(dir), STATE_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ChattorError('E_STATE', `no testnet state at ${file}`, { cause: e });
  }
  const info = (parsed as { version?: number; info?: TestnetInfo }).info;
  if ((parsed as { version?: number }).version !== 1 || !info || !Array.isArray(info.authorities))
    throw new ChattorError('E_STATE', `testnet state at ${file} is not version 1`);
  return info;
}

/** Whether `pid` still runs the tor of this testnet (guards against a reused PID). */
function isOurTor(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(dataDir, 'torrc'));
  } catch {
    return true;
  }
}

export interface TestnetStatus {
  dir: string;
  authorities: { nick: string; pid: number; alive: boolean }[];
  allAlive: boolean;
  /** An authority's ns/all lists every relay with Running, Guard, HSDir. */
  consensusComplete: boolean;
}

export async function testnetStatus(dir: string): Promise<TestnetStatus> {
  const info = loadTestnet(dir);
  const authorities = info.authorities.map((a) => ({
    nick: a.nick,
    pid: a.pid,
    alive: isOurTor(a.pid, a.dataDir),
  }));
  const allAlive = authorities.every((a) => a.alive);
  let complete = false;
  const first = info.authorities[0];
  if (allAlive && first) {
    const control = await TorControl.connect({
      port: first.controlPort,
      cookieFile: join(first.dataDir, 'control_auth_cookie'),
      log: silentLogger,
    }).catch(() => undefined);
    if (control) {
      complete = await consensusComplete(control, info);
      await control.close();
    }
  }
  return { dir: info.dir, authorities, allAlive, consensusComplete: complete };
}

/** SIGTERM each recorded PID (SIGKILL after 3 s), then removes the directory. */
export async function stopTestnetByState(dir: string): Promise<void> {
  const info = loadTestnet(dir);
  await Promise.all(
    info.authorities.filter((a) => isOurTor(a.pid, a.dataDir)).map((a) => terminatePid(a.pid, 3000)),
  );
  await rm(resolve(dir), { recursive: true, force: true });
}
