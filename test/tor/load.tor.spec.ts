// Load (issue: hardening §4): 200 concurrent peer links to one gateway's contact onion over the private
// Tor network, and a flood of deposits with forged tokens from all of them at once. The limits hold
// (every link refused, no more tokens checked than the gateway-wide budget, nothing stored), an honest
// peer's link keeps carrying frames both ways, and the gateway's memory stays bounded.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type WebSocket from 'ws';
import { FrameKind, decodeFrame, encodeFrame } from '../../shared/wire/frame.js';
import { MAILBOX_RATE_TOTAL, MbxErrorCode, decodeMbxError } from '../../shared/wire/mailbox.js';
import { LocalClient } from '../support/local-client.js';
import { forgedDeposit, openPeerLinks } from '../support/flood.js';
import { startTestGateway, type TestGateway } from '../support/gateways.js';

const LINKS = 200;
const lines = () => inject('testnet').clientTorrcLines;
let a: TestGateway;
let b: TestGateway;
let ca: LocalClient;
let cb: LocalClient;
const evil: WebSocket[] = [];

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [a, b] = await Promise.all([startTestGateway('load-a', lines()), startTestGateway('load-b', lines())]);
  ca = await LocalClient.connect(a.uiUrl, a.token);
  cb = await LocalClient.connect(b.uiUrl, b.token);
});

afterAll(async () => {
  for (const ws of evil) ws.terminate();
  ca?.close();
  cb?.close();
  await Promise.allSettled([a?.dispose(), b?.dispose()]);
});

describe('load on one gateway', () => {
  it('200 peer links and a deposit flood: limits hold, an honest link keeps working, memory bounded', async () => {
    // The honest peer: b's gateway dials a's contact onion.
    const from = ca.events.length;
    const done = await cb.command('DialPeer', { onion: a.contactOnion });
    const honestB = done.link as number;
    await cb.waitForEvent((e) => e.t === 'PeerConnected' && e.link === honestB, 120_000);
    const inA = await ca.waitForEvent((e) => e.t === 'PeerConnected' && e.direction === 'in', 60_000, from);
    const honestA = inA.link as number;
    const rssBefore = rssBytes(a.child.child.pid!);

    // 200 links through b's tor, each with SOCKS credentials of its own: circuits of their own, as an
    // attacker's would be (without them tor would put them on the honest link's rendezvous circuit).
    const open = await openPeerLinks(b.socksPort, a.contactOnion, LINKS, evil, { isolate: true });
    expect(open.length).toBe(LINKS);

    // Every link floods deposits with forged tokens (a well-formed body, 1 KiB envelope bucket). The
    // holder checks at most MAILBOX_RATE_TOTAL of them (§5.6) and answers each with MBX_ERROR; past the
    // limits a link hears RATE_LIMITED at most once a second and the rest is dropped.
    const refused = new Map<WebSocket, number>();
    let checked = 0;
    let rateLimited = 0;
    let other = 0;
    for (const ws of open)
      ws.on('message', (d: Buffer) => {
        const f = decodeFrame(new Uint8Array(d));
        refused.set(ws, (refused.get(ws) ?? 0) + 1);
        if (f.kind !== FrameKind.MBX_ERROR) other++;
        else if (decodeMbxError(f.body).code === MbxErrorCode.RATE_LIMITED) rateLimited++;
        else checked++;
      });
    const floodStart = Date.now();
    const PER_LINK = 50;
    for (let k = 0; k < PER_LINK; k++) for (const ws of open) ws.send(forgedDeposit(k));

    // Meanwhile the honest link carries frames both ways.
    const gotA: Uint8Array[] = [];
    const gotB: Uint8Array[] = [];
    const offA = ca.onFrame((l, f) => l === honestA && gotA.push(f));
    const offB = cb.onFrame((l, f) => l === honestB && gotB.push(f));
    for (let i = 0; i < 20; i++) {
      cb.sendFrame(honestB, encodeFrame({ kind: FrameKind.DATA, stream: 1, body: Uint8Array.of(i) }));
      ca.sendFrame(honestA, encodeFrame({ kind: FrameKind.DATA, stream: 1, body: Uint8Array.of(100 + i) }));
    }
    await waitFor(() => gotA.length === 20 && gotB.length === 20, 120_000, 'honest frames during the flood');
    offA();
    offB();
    expect(gotA.map((f) => decodeFrame(f).body[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(gotB.map((f) => decodeFrame(f).body[0])).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));

    // Every link heard a refusal; the holder checked no more tokens than its total budget allows; none
    // was stored.
    await waitFor(() => refused.size === LINKS, 180_000, 'a refusal on every hostile link');
    const seconds = (Date.now() - floodStart) / 1000;
    expect(other).toBe(0);
    expect(rateLimited).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(
      MAILBOX_RATE_TOTAL.burst + MAILBOX_RATE_TOTAL.perSecond * (seconds + 1),
    );
    const stats = await ca.command('GetMailboxStats');
    expect((stats.stats as { envelopes: number }).envelopes).toBe(0);
    const rssAfter = rssBytes(a.child.child.pid!);
    expect(rssAfter - rssBefore, 'gateway RSS growth under load').toBeLessThan(200 * 2 ** 20);
  });
});
