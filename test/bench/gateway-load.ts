// A gateway under load (docs/architecture.md numbers: "a gateway holds 200 concurrent peer links and
// 100,000 stored envelopes without slowing its forwarding"; the 100,000 envelopes are mail-holder.ts's).
// Two gateways on the private Tor network with an honest link between them; the round trip of a frame
// from b's local link through both gateways to a's local link and back, first alone, then with 200
// more peer links open on a's contact onion, all of them sending deposits with forged tokens.
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { FrameKind, decodeFrame, encodeFrame } from '../../shared/wire/frame.js';
import { forgedDeposit, openPeerLinks } from '../support/flood.js';
import { startTestGateway } from '../support/gateways.js';
import { LocalClient } from '../support/local-client.js';
import { cpuUse, rss } from './procs.js';
import { percentile, type Report } from './report.js';

const LINKS = 200;
const SAMPLES = 300;

export async function benchGatewayLoad(report: Report, tor: string[]): Promise<void> {
  process.stdout.write(`gateway: forwarding with ${LINKS} more peer links and a deposit flood\n`);
  const [a, b] = await Promise.all([startTestGateway('gwload-a', tor), startTestGateway('gwload-b', tor)]);
  const ca = await LocalClient.connect(a.uiUrl, a.token);
  const cb = await LocalClient.connect(b.uiUrl, b.token);
  const evil: WebSocket[] = [];
  let flooding = false;
  try {
    const from = ca.events.length;
    const linkB = (await cb.command('DialPeer', { onion: a.contactOnion })).link as number;
    await cb.waitForEvent((e) => e.t === 'PeerConnected' && e.link === linkB, 120_000);
    const linkA = (
      await ca.waitForEvent((e) => e.t === 'PeerConnected' && e.direction === 'in', 60_000, from)
    ).link as number;
    // a's browser side echoes every frame of the honest link.
    ca.onFrame((l, f) => l === linkA && ca.sendFrame(linkA, f));
    /** Round trips of SAMPLES frames, sorted. */
    const rtts = async (): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const t0 = performance.now();
        const back = new Promise<void>((resolve) => {
          const off = cb.onFrame((l, f) => {
            if (l === linkB && decodeFrame(f).stream === i) {
              off();
              resolve();
            }
          });
        });
        cb.sendFrame(linkB, encodeFrame({ kind: FrameKind.DATA, stream: i, body: new Uint8Array(1024) }));
        await back;
        out.push(performance.now() - t0);
      }
      return out.sort((a, b) => a - b);
    };
    const quiet = await rtts();
    const rssQuiet = rss(a.child.child.pid!);
    const open = await openPeerLinks(b.socksPort, a.contactOnion, LINKS, evil);
    const [torA, torB] = await Promise.all([a.torPid(), b.torPid()]);
    const cpu = cpuUse({
      "a's gateway": () => [a.child.child.pid!],
      "a's tor": () => [torA],
      "b's tor (the flood's way in)": () => [torB],
      "b's gateway": () => [b.child.child.pid!],
    });
    flooding = true;
    let sent = 0;
    const flood = (async () => {
      while (flooding) {
        for (const ws of open) if (ws.bufferedAmount < 64 * 1024) ws.send(forgedDeposit(sent++));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const loaded = await rtts();
    flooding = false;
    await flood;
    const rssLoaded = rss(a.child.child.pid!);
    const cpuNote = cpu();
    report.add({
      name: `gateway forwarding RTT median with ${open.length} more peer links flooding forged deposits`,
      value: percentile(loaded, 50),
      unit: 'ms',
      baseline: {
        name: 'no other links',
        value: percentile(quiet, 50),
      },
      target: '×1.0',
      note: `1 KiB frames, browser → gateway → Tor → gateway → browser and back; ${sent} forged deposits sent meanwhile (all refused); p95 ${percentile(loaded, 95).toFixed(1)} ms vs ${percentile(quiet, 95).toFixed(1)} ms; ${cpuNote}`,
    });
    report.add({
      name: `gateway RSS with ${open.length} more peer links and the flood`,
      value: rssLoaded / 2 ** 20,
      unit: 'MiB',
      baseline: { name: 'one link', value: rssQuiet / 2 ** 20 },
    });
  } finally {
    flooding = false;
    for (const ws of evil) ws.terminate();
    ca.close();
    cb.close();
    await Promise.allSettled([a.dispose(), b.dispose()]);
  }
}
