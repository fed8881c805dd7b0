// Starts a gateway as a child process (demo, start fallback, tests) and reads its JSON lines.
import { spawn } from 'node:child_process';
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
}): GatewayChild {
  const child = spawn(process.execPath, [opts.bundle, '--json', '--name', opts.name, ...opts.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const errLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    errLines.push(l);
    if (errLines.length > 200) errLines.shift();
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
