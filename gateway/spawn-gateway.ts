// Starts a gateway as a child process (demo, start fallback, tests) and reads its JSON lines.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface GatewayChild {
  name: string;
  child: ChildProcess;
  listening: Promise<{ uiUrl: string; pairingUrl: string }>;
  ready: Promise<{ contactOnion: string; handleOnion: string; socksPort: number }>;
  stderrTail(): string;
  stop(): Promise<void>;
}

export function spawnGateway(opts: {
  bundle: string;
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Options for node itself (tests: --heapsnapshot-signal). */
  nodeArgs?: string[];
  cwd?: string;
  /** Also append everything the gateway logs (stderr) to this file. */
  logFile?: string;
}): GatewayChild {
  const argv = [...(opts.nodeArgs ?? []), opts.bundle, '--json', '--name', opts.name, ...opts.args];
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  const errLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    errLines.push(l);
    if (errLines.length > 200) errLines.shift();
    if (opts.logFile) appendFileSync(opts.logFile, l + '\n');
  });
  let onListening: (v: { uiUrl: string; pairingUrl: string }) => void = () => {};
  let onReady: (v: { contactOnion: string; handleOnion: string; socksPort: number }) => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const listening = new Promise<{ uiUrl: string; pairingUrl: string }>((res, rej) => {
    onListening = res;
    child.once('exit', (code) => rej(new Error(`gateway ${opts.name} exited (${code}) before listening`)));
  });
  const ready = new Promise<{ contactOnion: string; handleOnion: string; socksPort: number }>((res, rej) => {
    onReady = res;
    onFail = rej;
    child.once('exit', (code) => rej(new Error(`gateway ${opts.name} exited (${code}) before ready`)));
  });
  listening.catch(() => undefined);
  ready.catch(() => undefined);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg.event === 'listening') onListening(msg as never);
    if (msg.event === 'ready') onReady(msg as never);
    if (msg.event === 'not-ready') onFail(new Error(`gateway ${opts.name}: ${String(msg.reason)}`));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: opts.name,
    child,
    listening,
    ready,
    stderrTail: () => errLines.slice(-40).join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface HeadlessChild {
  name: string;
  ready: Promise<{ contactLink: string }>;
  stderrTail(): string;
  stop(): Promise<void>;
}

/** Starts a headless node (dist/headless.mjs) beside its gateway; it is a separate process, not an import. */
export function spawnHeadless(opts: {
  bundle: string;
  name: string;
  dataDir: string;
  args: string[];
}): HeadlessChild {
  const child = spawn(
    process.execPath,
    [opts.bundle, '--name', opts.name, '--data-dir', opts.dataDir, ...opts.args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const errLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    errLines.push(l);
    if (errLines.length > 200) errLines.shift();
  });
  const ready = new Promise<{ contactLink: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`headless ${opts.name} exited (${code}) before ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; contactLink?: string };
        if (msg.event === 'ready' && typeof msg.contactLink === 'string')
          resolve({ contactLink: msg.contactLink });
      } catch {
        // not a JSON line
      }
    });
  });
  ready.catch(() => undefined);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: opts.name,
    ready,
    stderrTail: () => errLines.slice(-40).join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
