// Command-line and environment configuration of a gateway (docs/architecture.md §Running).
import { readFileSync } from 'node:fs';
import { loadTestnet } from './tor/testnet.js';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChattorError } from '../shared/util/errors.js';
import { ISSUE_PER_DAY, MAX_BYTES, MAX_ENVELOPES, TTL_DAYS } from '../shared/wire/mailbox.js';
import type { TorConfig } from './node.js';

export const DEFAULT_UI_PORT = 7780;
const MIB = 1024 * 1024;

export interface GatewayOptions {
  name: string;
  dataDir: string;
  uiPort: number;
  staticDir: string;
  tor: TorConfig;
  handleRotateMs: number;
  /** §5.6: envelope lifetime, and the holder-wide limits. */
  mailboxTtlDays: number;
  mailboxMaxEnvelopes: number;
  mailboxMaxBytes: number;
  /** §5.4: deposit tokens one friend's account may mint per UTC day (a per-friend quota). */
  mailboxTokensPerDay: number;
  json: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHATTOR_DATA_DIR) return resolve(env.CHATTOR_DATA_DIR);
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'chattor');
}

/** The repository root, found from the bundle's location (dist/) or the source (gateway/). */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/** The torrc lines a node needs to join a private network started by `chattor testnet up`. */
export function testnetTorrcLines(dir: string): string[] {
  try {
    return loadTestnet(dir).clientTorrcLines;
  } catch (cause) {
    throw new ChattorError('E_BAD_INPUT', `no private Tor network in ${dir} (run: chattor testnet up)`, {
      cause,
    });
  }
}

export function parseGatewayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      static: { type: 'string' },
      testnet: { type: 'string' },
      'torrc-extra': { type: 'string' },
      'socks-port': { type: 'string' },
      'tor-control-port': { type: 'string' },
      'tor-cookie': { type: 'string' },
      'handle-rotate-minutes': { type: 'string' },
      'mailbox-ttl-days': { type: 'string' },
      'mailbox-max-envelopes': { type: 'string' },
      'mailbox-max-mib': { type: 'string' },
      'mailbox-tokens-per-day': { type: 'string' },
      json: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const int = (v: string | undefined, field: string, dflt: number, min = 0, max = 65535): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ChattorError('E_BAD_INPUT', `--${field} must be an integer in ${min}..${max}`);
    return n;
  };
  const testnetDir = values.testnet;
  let tor: TorConfig;
  if (values['tor-control-port']) {
    tor = {
      mode: 'attach',
      controlPort: int(values['tor-control-port'], 'tor-control-port', 0, 1),
      cookieFile: values['tor-cookie'],
    };
  } else {
    const extraTorrc: string[] = [];
    if (testnetDir) extraTorrc.push(...testnetTorrcLines(testnetDir));
    if (values['torrc-extra'])
      extraTorrc.push(
        ...readFileSync(values['torrc-extra'], 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('#')),
      );
    tor = {
      mode: 'spawn',
      extraTorrc,
      socksPort: values['socks-port'] ? int(values['socks-port'], 'socks-port', 0, 1) : 'auto',
    };
  }
  const level = values['log-level'] ?? env.CHATTOR_LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new ChattorError('E_BAD_INPUT', '--log-level must be debug, info, warn or error');
  return {
    name: values.name ?? env.CHATTOR_NAME ?? 'me',
    dataDir: values['data-dir'] ? resolve(values['data-dir']) : defaultDataDir(env),
    uiPort: int(values.port ?? env.CHATTOR_PORT, 'port', DEFAULT_UI_PORT, 1),
    staticDir: values.static ? resolve(values.static) : join(packageRoot(), 'build'),
    tor,
    handleRotateMs: int(values['handle-rotate-minutes'], 'handle-rotate-minutes', 360, 0, 10080) * 60_000,
    mailboxTtlDays: int(values['mailbox-ttl-days'], 'mailbox-ttl-days', TTL_DAYS, 1, 365),
    mailboxMaxEnvelopes: int(
      values['mailbox-max-envelopes'],
      'mailbox-max-envelopes',
      MAX_ENVELOPES,
      1,
      10_000_000,
    ),
    mailboxMaxBytes: int(values['mailbox-max-mib'], 'mailbox-max-mib', MAX_BYTES / MIB, 1, 1024 * 1024) * MIB,
    mailboxTokensPerDay: int(
      values['mailbox-tokens-per-day'],
      'mailbox-tokens-per-day',
      ISSUE_PER_DAY,
      64,
      1_000_000,
    ),
    json: values.json ?? false,
    logLevel: level as GatewayOptions['logLevel'],
  };
}
