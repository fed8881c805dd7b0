// Process helpers shared by the tor supervisor and the private testnet: spawn, wait, stop by PID, log tails.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { ChattorError } from '../../shared/util/errors.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates `dir` (and parents) and makes it 0700, as tor insists for DataDirectory. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Refuses torrc lines that could smuggle a second option in (a newline) or are empty. */
export function checkTorrcLines(lines: string[]): string[] {
  for (const l of lines)
    if (/[\r\n\0]/.test(l) || l.trim() === '')
      throw new ChattorError('E_BAD_INPUT', 'torrc lines must be single lines');
  return lines;
}

export interface SpawnedTor {
  child: ChildProcess;
  /** The last lines tor wrote to stdout/stderr (before its log file takes over, and any crash output). */
  outputTail(): string;
}

/** Spawns `tor -f torrc`. Detached children get their own process group, no pipes and are unref'd. */
export function spawnTor(opts: { torBinary?: string; torrc: string; detached?: boolean }): SpawnedTor {
  const args = ['-f', opts.torrc, '--ignore-missing-torrc'];
  const lines: string[] = [];
  if (opts.detached) {
    const child = spawn(opts.torBinary ?? 'tor', args, { detached: true, stdio: 'ignore' });
    child.unref();
    return { child, outputTail: () => '' };
  }
  const child = spawn(opts.torBinary ?? 'tor', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => {
    lines.push(...d.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, outputTail: () => lines.join('\n') };
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone (a zombie counts as gone). */
export async function terminatePid(pid: number, graceMs = 3000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      /* already gone */
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) {
      signal('SIGKILL');
      const hard = Date.now() + 2000;
      while (isAlive(pid) && Date.now() < hard) await sleep(20);
      return;
    }
    await sleep(20);
  }
}

/** Stops a child we spawned: SIGTERM, SIGKILL after `graceMs`, resolves on its exit event. */
export async function terminateChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Polls for the `ControlPortWriteToFile` file (`PORT=127.0.0.1:NNNN`) and returns the port. Fails early
 * if `child` exits, with tor's output in the message.
 */
export async function waitForControlPort(
  file: string,
  opts: { timeoutMs: number; tor?: SpawnedTor },
): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const m = /^PORT=127\.0\.0\.1:([0-9]+)\s*$/m.exec(text);
    if (m) return Number(m[1]);
    const child = opts.tor?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new ChattorError(
        'E_TOR_PROCESS',
        `tor exited (${child.exitCode ?? child.signalCode}) before opening its control port:\n${opts.tor!.outputTail()}`,
      );
    if (Date.now() > deadline) throw new ChattorError('E_TOR_PROCESS', `tor did not write ${file} in time`);
    await sleep(50);
  }
}

/** The last `lines` lines of a text file ('' if missing); reads at most the last 64 KiB. */
export async function tailFile(path: string, lines: number): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = new Uint8Array(len);
    await fh.read(buf, 0, len, size - len);
    const all = new TextDecoder().decode(buf).split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    await fh.close();
  }
}
