// Starts a gateway or a headless node as a child process (demo, start fallback, tests) and reads the
// JSON lines it prints on stdout ({"event": "listening" | "ready" | "not-ready", …}).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

interface JsonChild {
  child: ChildProcess;
  /** Resolves with the first line whose `event` is `name`; rejects if the child exits (or reports `not-ready`) first. */
  event<T>(name: string): Promise<T>;
  stderrTail(): string;
  stop(): Promise<void>;
}

function spawnJsonChild(
  label: string,
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; logFile?: string } = {},
): JsonChild {
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
  const events = new Map<string, Record<string, unknown>>();
  const waiters = new Set<() => void>();
  let failure: Error | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg.event !== 'string') return;
      if (msg.event === 'not-ready') failure ??= new Error(`${label}: ${String(msg.reason)}`);
      else if (!events.has(msg.event)) events.set(msg.event, msg);
      for (const w of waiters) w();
    } catch {
      // not a JSON line
    }
  });
  const exited = new Promise<void>((r) =>
    child.once('exit', (code) => {
      failure ??= new Error(`${label} exited (${code})`);
      for (const w of waiters) w();
      r();
    }),
  );
  return {
    child,
    event<T>(name: string) {
      const p = new Promise<T>((resolve, reject) => {
        const check = () => {
          const hit = events.get(name);
          if (hit) resolve(hit as T);
          else if (failure) reject(new Error(`${failure.message} before ${name}`));
          else return;
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
      p.catch(() => undefined);
      return p;
    },
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
  const c = spawnJsonChild(`gateway ${opts.name}`, argv, opts);
  return {
    name: opts.name,
    child: c.child,
    listening: c.event('listening'),
    ready: c.event('ready'),
    stderrTail: c.stderrTail,
    stop: c.stop,
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
  const argv = [opts.bundle, '--name', opts.name, '--data-dir', opts.dataDir, ...opts.args];
  const c = spawnJsonChild(`headless ${opts.name}`, argv);
  return { name: opts.name, ready: c.event('ready'), stderrTail: c.stderrTail, stop: c.stop };
}
