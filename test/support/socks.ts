// A minimal SOCKS5 client (RFC 1928: no auth, domain-name addresses) for dialing onions through tor in
// tests and benchmarks. No test-runner imports, so benchmarks can use it too.
import { type Socket, connect } from 'node:net';

/** A SOCKS5 failure; `reply` is the REP byte (0xF0 descriptor not found, 0xF2 intro failed, …). */
export class SocksError extends Error {
  constructor(readonly reply: number) {
    super(`SOCKS5 reply 0x${reply.toString(16).padStart(2, '0')}`);
  }
}

/** Minimal SOCKS5 CONNECT (no auth, domain name address type) to `host:port` through 127.0.0.1:socksPort. */
export function socks5Connect(
  socksPort: number,
  host: string,
  port: number,
  timeoutMs = 60_000,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: socksPort });
    let buf = new Uint8Array(0);
    let step = 0;
    const fail = (e: Error) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error('SOCKS5 connect timed out')), timeoutMs);
    s.once('error', fail);
    s.once('connect', () => s.write(Uint8Array.of(5, 1, 0)));
    const onData = (d: Buffer) => {
      buf = new Uint8Array([...buf, ...d]);
      if (step === 0 && buf.length >= 2) {
        if (buf[0] !== 5 || buf[1] !== 0) return fail(new Error('SOCKS5 method refused'));
        buf = buf.slice(2);
        step = 1;
        const name = new TextEncoder().encode(host);
        s.write(Uint8Array.from([5, 1, 0, 3, name.length, ...name, port >> 8, port & 255]));
      }
      if (step === 1 && buf.length >= 2) {
        if (buf[1] !== 0) return fail(new SocksError(buf[1]!));
        const need = buf[3] === 1 ? 10 : buf[3] === 4 ? 22 : 7 + (buf[4] ?? 0);
        if (buf.length < need) return;
        s.off('data', onData);
        s.off('error', fail);
        clearTimeout(timer);
        if (buf.length > need) s.unshift(buf.slice(need));
        resolve(s);
      }
    };
    s.on('data', onData);
  });
}

/** Dials an onion through SOCKS, retrying onion errors (0xF0–0xF7, 0x01, 0x04, 0x06) until `timeoutMs`. */
export async function dialOnion(
  socksPort: number,
  onion: string,
  port: number,
  timeoutMs = 60_000,
  opts: { attemptMs?: number; onRetry?: () => Promise<unknown> } = {},
): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = Math.min(opts.attemptMs ?? timeoutMs, Math.max(1000, deadline - Date.now()));
    try {
      return await socks5Connect(socksPort, `${onion}.onion`, port, attempt);
    } catch (e) {
      if (Date.now() + 400 > deadline) throw e;
      // A client tor may hold a stale descriptor (the service restarted with new intro points).
      await opts.onRetry?.().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 400));
    }
  }
}
