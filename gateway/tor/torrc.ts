// The torrc of a node's own tor (the gateway's tor): client only, control port with cookie, SOCKS with
// ExtendedErrors (notes/tor-testnet.md "Node tors"), plus the caller's extra lines (private testnet).
import { join } from 'node:path';
import { ChattorError } from '../../shared/util/errors.js';
import { checkTorrcLines } from './spawn.js';

export interface NodeTorPaths {
  torrc: string;
  controlPortFile: string;
  cookieFile: string;
  noticeLog: string;
}

export function nodeTorPaths(dataDir: string): NodeTorPaths {
  return {
    torrc: join(dataDir, 'torrc'),
    controlPortFile: join(dataDir, 'control-port'),
    cookieFile: join(dataDir, 'control_auth_cookie'),
    noticeLog: join(dataDir, 'notice.log'),
  };
}

/**
 * Paths are written unquoted: tor takes quotes in `Log notice file …` literally. So a path with
 * whitespace, quotes or backslashes is refused rather than escaped.
 */
export function torPath(path: string): string {
  if (/[\s"'\\]/.test(path))
    throw new ChattorError('E_BAD_INPUT', 'tor paths must not contain whitespace, quotes or backslashes');
  return path;
}

export function buildNodeTorrc(opts: {
  dataDir: string;
  socksPort: number | 'auto';
  ownerPid?: number;
  extraTorrc?: string[];
}): string {
  const p = nodeTorPaths(opts.dataDir);
  if (
    opts.socksPort !== 'auto' &&
    !(Number.isInteger(opts.socksPort) && opts.socksPort > 0 && opts.socksPort < 65536)
  )
    throw new ChattorError('E_BAD_INPUT', 'socksPort must be 1..65535 or auto');
  const lines = [
    `DataDirectory ${torPath(opts.dataDir)}`,
    'ControlPort 127.0.0.1:auto',
    `ControlPortWriteToFile ${torPath(p.controlPortFile)}`,
    'CookieAuthentication 1',
    `CookieAuthFile ${torPath(p.cookieFile)}`,
    // ExtendedErrors gives the onion error codes 0xF0–0xF7; it only works from the torrc, not SETCONF.
    `SocksPort 127.0.0.1:${opts.socksPort} ExtendedErrors`,
    'ClientOnly 1',
    `Log notice file ${torPath(p.noticeLog)}`,
    'AvoidDiskWrites 1',
    ...(opts.ownerPid !== undefined ? [`__OwningControllerProcess ${opts.ownerPid}`] : []),
    ...checkTorrcLines(opts.extraTorrc ?? []),
  ];
  return lines.join('\n') + '\n';
}
