// A gateway under load (docs/architecture.md numbers: "a gateway holds 200 concurrent peer links and
// 100,000 stored envelopes without slowing its forwarding"; the 100,000 envelopes are mail-holder.ts's).
// Two gateways on the private Tor network with an honest link between them (b dials a's contact onion);
// the round trip of a frame from b's local link through both gateways to a's local link and back: alone,
// then while 200 more peer links flood a bystander gateway with forged-token deposits, then while the
// same 200 links flood a's contact onion.
//
// The flood comes from a tor of its own (a third gateway's, used only for its SOCKS port), each link
// with SOCKS credentials of its own, so with a circuit of its own — as an attacker elsewhere would. It
// shares with the honest link what any attacker's traffic would: a's tor and gateway, and the relays.
// On the private network those are 5 relays on this same machine, which every circuit crosses and
// which share its cores with the flood's tor, so a flood anywhere on it slows every circuit; the
// bystander run measures that share, and the ratio of the two flooded runs is the gateway's own. (Flooding through b's tor without credentials, as this
// bench once did, put the hostile streams on the honest link's own rendezvous circuit: the honest
// frames waited behind the flood's, p95 0.8 s, and the link was dropped — a head-of-line blocking no
// other client can cause.)
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { FrameKind, decodeFrame, encodeFrame } from '../../shared/wire/frame.js';
import { forgedDeposit, openPeerLinks } from '../support/flood.js';
import { startTestGateway, type TestGateway } from '../support/gateways.js';
import { LocalClient } from '../support/local-client.js';
import { bytesRead, cpuUse, rss } from './procs.js';
import { percentile, type Report } from './report.js';

const LINKS = 200;
const SAMPLES = 300;
/** A frame not back after this long counts as lost (the link may have been dropped). */
const LOST_MS = 10_000;

export async function benchGatewayLoad(report: Report, tor: string[]): Promise<void> {
  process.stdout.write(`gateway: forwarding with ${LINKS} more peer links and a deposit flood\n`);
  const [a, b, flooder, bystander] = await Promise.all([
    startTestGateway('gwload-a', tor),
    startTestGateway('gwload-b', tor),
    startTestGateway('gwload-flood', tor),
    startTestGateway('gwload-bystander', tor),
  ]);
  const ca = await LocalClient.connect(a.uiUrl, a.token);
  const cb = await LocalClient.connect(b.uiUrl, b.token);
  const evil: WebSocket[] = [];
  try {
    const from = ca.events.length;
    const linkB = (await cb.command('DialPeer', { onion: a.contactOnion })).link as number;
    await cb.waitForEvent((e) => e.t === 'PeerConnected' && e.link === linkB, 120_000);
    const linkA = (
      await ca.waitForEvent((e) => e.t === 'PeerConnected' && e.direction === 'in', 60_000, from)
    ).link as number;
    // a's browser side echoes every frame of the honest link.
    ca.onFrame((l, f) => l === linkA && ca.sendFrame(linkA, f));
    /** Round trips of SAMPLES frames, sorted, and how many were lost. */
    const rtts = async (): Promise<{ ms: number[]; lost: number }> => {
      const ms: number[] = [];
      let lost = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const t0 = performance.now();
        let off = (): void => undefined;
        const back = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), LOST_MS);
          off = cb.onFrame((l, f) => {
            if (l === linkB && decodeFrame(f).stream === i) {
              clearTimeout(timer);
              resolve(true);
            }
          });
        });
        cb.sendFrame(linkB, encodeFrame({ kind: FrameKind.DATA, stream: i, body: new Uint8Array(1024) }));
        const ok = await back;
        off();
        if (ok) ms.push(performance.now() - t0);
        else lost++;
      }
      return { ms: ms.sort((x, y) => x - y), lost };
    };
    /** Opens LINKS links from the flooder's tor to `target`'s contact onion and floods while measuring. */
    const flooded = async (target: TestGateway) => {
      const open = await openPeerLinks(flooder.socksPort, target.contactOnion, LINKS, evil, {
        isolate: true,
      });
      const [torA, torTarget, torFlood] = await Promise.all([a.torPid(), target.torPid(), flooder.torPid()]);
      const groups: Record<string, () => number[]> = {
        "a's gateway": () => [a.child.child.pid!],
        "a's tor": () => [torA],
        "the flood's tor": () => [torFlood],
      };
      if (target !== a)
        groups["the bystander's gateway and tor"] = () => [target.child.child.pid!, torTarget];
      const cpu = cpuUse(groups);
      let flooding = true;
      let sent = 0;
      const read0 = bytesRead(target.child.child.pid!);
      const t0 = performance.now();
      const flood = (async () => {
        while (flooding) {
          for (const ws of open) if (ws.bufferedAmount < 64 * 1024) ws.send(forgedDeposit(sent++));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const r = await rtts();
      const seconds = (performance.now() - t0) / 1000;
      // Nearly all the target's gateway read is the flood's deposits.
      const delivered = (bytesRead(target.child.child.pid!) - read0) / forgedDeposit(0).length / seconds;
      flooding = false;
      await flood;
      const note =
        `${open.length} links; ${(sent / seconds).toFixed(0)} forged deposits/s written, ~${delivered.toFixed(0)}/s ` +
        `reached the flooded gateway (all refused); p95 ${percentile(r.ms, 95).toFixed(1)} ms; ` +
        `${r.lost} of ${SAMPLES} frames lost; ${cpu()}`;
      for (const ws of open) ws.terminate();
      return { ...r, note, links: open.length };
    };

    const quiet = await rtts();
    const rssQuiet = rss(a.child.child.pid!);
    const elsewhere = await flooded(bystander);
    const loaded = await flooded(a);
    const rssLoaded = rss(a.child.child.pid!);
    report.add({
      name: `forwarding RTT median while ${elsewhere.links} peer links flood another gateway of the private network`,
      value: percentile(elsewhere.ms, 50),
      unit: 'ms',
      baseline: { name: 'no flood', value: percentile(quiet.ms, 50) },
      note:
        `the private network's share: its 5 relays carry every circuit and share this machine's cores ` +
        `with the flood; p95 without flood ` +
        `${percentile(quiet.ms, 95).toFixed(1)} ms; ${elsewhere.note}`,
    });
    report.add({
      name: `gateway forwarding RTT median with ${loaded.links} more peer links flooding forged deposits`,
      value: percentile(loaded.ms, 50),
      unit: 'ms',
      baseline: { name: 'the same flood at another gateway', value: percentile(elsewhere.ms, 50) },
      target: '×1.0',
      note:
        `1 KiB frames, browser → gateway → Tor → gateway → browser and back; the flood from a tor of its ` +
        `own, a circuit per link; ×${(percentile(loaded.ms, 50) / percentile(quiet.ms, 50)).toFixed(0)} of ` +
        `no flood (${percentile(quiet.ms, 50).toFixed(1)} ms); ${loaded.note}`,
    });
    report.add({
      name: `gateway RSS with ${loaded.links} more peer links and the flood`,
      value: rssLoaded / 2 ** 20,
      unit: 'MiB',
      baseline: { name: 'one link', value: rssQuiet / 2 ** 20 },
    });
  } finally {
    for (const ws of evil) ws.terminate();
    ca.close();
    cb.close();
    await Promise.allSettled([a.dispose(), b.dispose(), flooder.dispose(), bystander.dispose()]);
  }
}
