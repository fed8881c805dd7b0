// `chattor node --headless` without a running gateway: finds the gateway of a data directory, or starts
// one as a child process (dist/gateway.mjs, the same bundle `chattor gateway` runs) with the gateway
// options given, and stops it with the node. A headless node never runs the gateway in its own process:
// the gateway must not share a heap with keys and plaintext (docs/architecture.md, the boundary check).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { spawnGateway } from '../gateway/spawn-gateway.js';
import { ChattorError } from '../shared/util/errors.js';

/** The gateway options `chattor node --headless` passes on to a gateway it starts. */
export const GATEWAY_OPTIONS = [
  'port',
  'testnet',
  'torrc-extra',
  'socks-port',
  'mailbox-ttl-days',
  'mailbox-max-envelopes',
  'mailbox-max-mib',
  'mailbox-tokens-per-day',
  'log-level',
] as const;
export type GatewayOption = (typeof GATEWAY_OPTIONS)[number];

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** `<XDG_DATA_HOME or ~/.local/share>/chattor-nodes/NAME`: apart from the user's own node's data. */
export function defaultNodeDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!NAME_RE.test(name))
    throw new ChattorError(
      'E_BAD_INPUT',
      'a name of 1..64 letters, digits, - or _ is needed without --data-dir',
    );
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'chattor-nodes', name);
}

/** Whether the gateway of `dataDir` answers on the port it wrote in gateway.json. */
export async function gatewayRunning(dataDir: string): Promise<boolean> {
  let uiPort: number;
  let token: string;
  try {
    uiPort = (JSON.parse(readFileSync(join(dataDir, 'gateway.json'), 'utf8')) as { uiPort: number }).uiPort;
    token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  } catch {
    return false;
  }
  try {
    const r = await fetch(`http://127.0.0.1:${uiPort}/api/status`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    });
    return r.ok;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1 (the UI port of a started gateway, unless --port is given). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface OwnGateway {
  /** false: a gateway was already running for the data directory, and it is left alone. */
  spawned: boolean;
  stop(): Promise<void>;
}

/**
 * The gateway of `dataDir`: the running one (then `options` must be empty: they are that gateway's), or
 * a new child process started with them, resolved once it listens (its gateway.json written).
 */
export async function ensureGateway(opts: {
  name: string;
  dataDir: string;
  options: Partial<Record<GatewayOption, string>>;
  bundle?: string;
}): Promise<OwnGateway> {
  const given = Object.keys(opts.options).filter((k) => opts.options[k as GatewayOption] !== undefined);
  if (await gatewayRunning(opts.dataDir)) {
    if (given.length > 0)
      throw new ChattorError(
        'E_BAD_INPUT',
        `a gateway is already running for ${opts.dataDir}; --${given[0]} is an option of that gateway`,
      );
    return { spawned: false, stop: async () => undefined };
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const bundle = opts.bundle ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'gateway.mjs');
  const args = ['--data-dir', opts.dataDir];
  for (const k of given) args.push(`--${k}`, opts.options[k as GatewayOption]!);
  // Not the default 7780: that is the user's own node's.
  if (opts.options.port === undefined) args.push('--port', String(await freePort()));
  const child = spawnGateway({ bundle, name: opts.name, args, logFile: join(opts.dataDir, 'gateway.log') });
  try {
    await child.listening;
  } catch (e) {
    await child.stop();
    throw new ChattorError(
      'E_STATE',
      `the gateway did not start: ${(e as Error).message}\n${child.stderrTail()}`,
      {
        cause: e,
      },
    );
  }
  return { spawned: true, stop: () => child.stop() };
}
