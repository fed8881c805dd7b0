// Hostile peers for load tests and benchmarks: raw peer links to an onion through a tor's SOCKS port,
// and DEPOSIT frames paid with forged tokens (well formed, so the holder must check the token).
import { randomBytes } from 'node:crypto';
import { SocksProxyAgent } from 'socks-proxy-agent';
import WebSocket from 'ws';
import { FrameKind, encodeFrame } from '../../shared/wire/frame.js';
import { KEY_ID_BYTES, MID_BYTES, TOKEN_BYTES, encodeDeposit } from '../../shared/wire/mailbox.js';

/**
 * Opens `n` peer WebSockets to `onion` through 127.0.0.1:socksPort; resolves with those that opened.
 * Without `isolate` they all use one SOCKS credential (none), so tor puts them on one rendezvous circuit
 * — the same circuit as any other credential-less stream of that tor to that onion (a gateway's plain
 * DialPeer). With `isolate` each link gets random credentials of its own, so tor (IsolateSOCKSAuth)
 * builds it a circuit of its own, as for an isolated link (docs/protocol.md §5.6). Every socket is pushed
 * to `all` at once, so the caller can terminate them even when some never open.
 */
export async function openPeerLinks(
  socksPort: number,
  onion: string,
  n: number,
  all: WebSocket[],
  opts: { isolate?: boolean } = {},
): Promise<WebSocket[]> {
  const shared = new SocksProxyAgent(`socks5h://127.0.0.1:${socksPort}`);
  const agent = () =>
    opts.isolate
      ? new SocksProxyAgent(
          `socks5h://${randomBytes(16).toString('hex')}:${randomBytes(16).toString('hex')}@127.0.0.1:${socksPort}`,
        )
      : shared;
  const opened = await Promise.allSettled(
    Array.from(
      { length: n },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://${onion}.onion/peer`, ['chattor.peer.v1'], { agent: agent() });
          all.push(ws);
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  return opened.filter((r) => r.status === 'fulfilled').map((r) => r.value);
}

/** A DEPOSIT with a forged token and a 1 KiB envelope, on stream `i`. */
export function forgedDeposit(i: number): Uint8Array {
  return encodeFrame({
    kind: FrameKind.DEPOSIT,
    stream: i,
    body: encodeDeposit({
      keyId: new Uint8Array(KEY_ID_BYTES).fill(1),
      token: new Uint8Array(TOKEN_BYTES).fill(i & 0xff),
      mid: new Uint8Array(MID_BYTES).fill(2),
      envelope: new Uint8Array(1024).fill(3),
    }),
  });
}
