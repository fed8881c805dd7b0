// Private-testnet building blocks (notes/tor-testnet.md): free ports, authority keys, torrc lines.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ChattorError } from '../../shared/util/errors.js';
import { ensurePrivateDir } from './spawn.js';
import { torPath } from './torrc.js';

export interface AuthorityPlan {
  nick: string;
  dataDir: string;
  orPort: number;
  dirPort: number;
  controlPort: number;
}

export interface AuthorityKeys {
  /** The authority certificate's `fingerprint` (v3ident). */
  v3ident: string;
  /** The relay identity fingerprint (RSA, 40 hex). */
  fingerprint: string;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Finds `count` consecutive free ports on 127.0.0.1, from `portBase` if given, else at a random base. */
export async function findFreePorts(count: number, portBase?: number): Promise<number[]> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const base = portBase ?? 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return ports;
    if (portBase !== undefined)
      throw new ChattorError(
        'E_TOR_PROCESS',
        `ports ${base}..${base + count - 1} are not all free on 127.0.0.1`,
      );
  }
  throw new ChattorError('E_TOR_PROCESS', `no ${count} consecutive free ports found on 127.0.0.1`);
}

function run(cmd: string, args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('error', (e) => reject(new ChattorError('E_TOR_PROCESS', `cannot run ${cmd}`, { cause: e })));
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new ChattorError('E_TOR_PROCESS', `${cmd} exited with ${code}: ${out.slice(-500)}`));
    });
    child.stdin.end(stdin);
  });
}

/** Creates the authority's v3 keys (tor-gencert) and relay identity (tor --list-fingerprint). */
export async function createAuthorityKeys(a: AuthorityPlan, torBinary = 'tor'): Promise<AuthorityKeys> {
  const keys = join(a.dataDir, 'keys');
  await ensurePrivateDir(a.dataDir);
  await ensurePrivateDir(keys);
  // An empty line on stdin is the empty passphrase for the identity key.
  await run(
    'tor-gencert',
    [
      '--create-identity-key',
      '--passphrase-fd',
      '0',
      '-m',
      '12',
      '-a',
      `127.0.0.1:${a.dirPort}`,
      '-i',
      join(keys, 'authority_identity_key'),
      '-s',
      join(keys, 'authority_signing_key'),
      '-c',
      join(keys, 'authority_certificate'),
    ],
    '\n',
  );
  const cert = await readFile(join(keys, 'authority_certificate'), 'utf8');
  const v3ident = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
  if (!v3ident) throw new ChattorError('E_TOR_PROCESS', 'authority certificate has no fingerprint line');
  const args = [
    '--ignore-missing-torrc',
    '-f',
    '/nonexistent',
    '--orport',
    '1',
    '--datadirectory',
    a.dataDir,
  ];
  await run(torBinary, [...args, '--list-fingerprint']);
  const fp = /^\S+ ([0-9A-F]{40})\s*$/.exec(await readFile(join(a.dataDir, 'fingerprint'), 'utf8'))?.[1];
  if (!fp) throw new ChattorError('E_TOR_PROCESS', 'tor --list-fingerprint wrote no fingerprint');
  return { v3ident, fingerprint: fp };
}

export function dirAuthorityLine(a: AuthorityPlan, k: AuthorityKeys): string {
  return `DirAuthority ${a.nick} orport=${a.orPort} no-v2 v3ident=${k.v3ident} 127.0.0.1:${a.dirPort} ${k.fingerprint}`;
}

/** What every tor of the network needs (authorities and node tors alike). */
export function clientTorrcLines(dirAuthorities: string[]): string[] {
  return ['TestingTorNetwork 1', ...dirAuthorities, 'KISTSchedRunInterval 1', 'ShutdownWaitLength 0'];
}

export function authorityTorrc(a: AuthorityPlan, common: string[], ownerPid?: number): string {
  return [
    `DataDirectory ${torPath(a.dataDir)}`,
    `Nickname ${a.nick}`,
    ...common,
    `ControlPort 127.0.0.1:${a.controlPort}`,
    'CookieAuthentication 1',
    `Log notice file ${torPath(join(a.dataDir, 'notice.log'))}`,
    `ORPort 127.0.0.1:${a.orPort}`,
    // Without Address tor refuses to start on 127.0.0.1 ("Unable to find our IP address").
    'Address 127.0.0.1',
    'AddressDisableIPv6 1',
    'SocksPort 0',
    'ExitRelay 0',
    'ContactInfo chattor-testnet@127.0.0.1',
    `DirPort 127.0.0.1:${a.dirPort}`,
    'AuthoritativeDirectory 1',
    'V3AuthoritativeDirectory 1',
    // Vote every 10 s; with the defaults the first consensus takes minutes.
    'TestingV3AuthInitialVotingInterval 10',
    'TestingV3AuthInitialVoteDelay 2',
    'TestingV3AuthInitialDistDelay 2',
    'V3AuthVotingInterval 10',
    'V3AuthVoteDelay 2',
    'V3AuthDistDelay 2',
    'TestingDirAuthVoteGuard *',
    'TestingDirAuthVoteHSDir *',
    ...(ownerPid !== undefined ? [`__OwningControllerProcess ${ownerPid}`] : []),
    '',
  ].join('\n');
}

/** Counts relays in `ns/all` text that carry every one of `flags`, by nickname. */
export function relaysWithFlags(nsAll: string, flags: string[]): Set<string> {
  const out = new Set<string>();
  let nick: string | undefined;
  for (const line of nsAll.split('\n')) {
    if (line.startsWith('r ')) nick = line.split(' ')[1];
    else if (line.startsWith('s ') && nick) {
      const have = new Set(line.slice(2).split(' '));
      if (flags.every((f) => have.has(f))) out.add(nick);
      nick = undefined;
    }
  }
  return out;
}
