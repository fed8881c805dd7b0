// A minimal SOCKS5 CONNECT (RFC 1928, domain-name form, no auth) through tor, for tests and benches.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export class SocksError extends Error {
  constructor(readonly socksCode: number) {
    super(`SOCKS reply 0x${socksCode.toString(16)}`);
  }
}

export function socksConnect(socksPort: number, onion: string, port = 80): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(socksPort, '127.0.0.1');
    let stage = 0;
    s.once('error', reject);
    s.on('data', (d: Buffer) => {
      if (stage === 0) {
        stage = 1;
        const host = Buffer.from(`${onion}.onion`);
        s.write(
          Buffer.concat([
            Buffer.from([5, 1, 0, 3, host.length]),
            host,
            Buffer.from([port >> 8, port & 0xff]),
          ]),
        );
      } else if (stage === 1) {
        stage = 2;
        s.removeAllListeners('data');
        s.removeListener('error', reject);
        if (d[1] === 0) resolve(s);
        else {
          s.destroy();
          reject(new SocksError(d[1]!));
        }
      }
    });
    s.write(Buffer.from([5, 1, 0]));
  });
}

/** Retries while the onion's descriptor is not found yet (0xF0) or the circuit fails. */
export async function socksConnectRetry(
  socksPort: number,
  onion: string,
  timeoutMs = 60_000,
): Promise<Socket> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await socksConnect(socksPort, onion);
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
