// File transfer (issue 4, files, Benchmarks; docs/protocol.md §6), on the private Tor network:
// (a) throughput of a 200 MiB file between two headless engines (headless/node.ts: the PWA's engine on
//     SQLite and the disk) through two real gateways, against the raw onion stream throughput between
//     the same two gateways' tors (backbone.ts's measurement, over two circuits, before and after the
//     transfer, in the same run; target ≥ ×0.85);
// (b) a 500 MiB file from the headless sender to a receiver built as the PWA builds it, in Chromium
//     (files.page.ts: DexieEngineStorage, key vault, BrowserFileStore on OPFS, GatewayClient on the
//     native WebSocket), while the sender's and the receiver's gateway RSS, the tab's JS heap and the
//     Chromium processes' RSS are sampled every 200 ms; its own raw baseline, the same way.
// Each transfer also says where the CPU went: on this loopback network a circuit, not the CPU, is
// usually the limit, and circuits differ a lot from one run to the next.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright';
import type { BrowserContext, CDPSession, Page } from 'playwright';
import { startHeadlessNode } from '../../headless/node.js';
import type { HeadlessNode } from '../../headless/node.js';
import { createLogger } from '../../gateway/log.js';
import { TorControl } from '../../gateway/tor/control.js';
import { waitForControlPort } from '../../gateway/tor/spawn.js';
import { nodeTorPaths } from '../../gateway/tor/torrc.js';
import type { Id } from '../../shared/protocol/api.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { startTestGateway } from '../support/gateways.js';
import type { TestGateway } from '../support/gateways.js';
import { listenSink, sinkThroughput } from './backbone.js';
import { chromiumPids, cpuUse, rss, Sampler } from './procs.js';
import type { Proc } from './procs.js';
import { now, watchReceiver } from './files.page.js';
import type { ReceiveFigures, StartOptions } from './files.page.js';
import { bundleForBrowser } from './browser-bundle.js';
import type { Report } from './report.js';
import { fmt, percentile } from './report.js';

const log = createLogger('bench', { level: 'warn' });
const MiB = 2 ** 20;
/** Where the bench's scripts live at the gateway's origin (answered by context.route, never by the gateway). */
const BENCH_PATH = '/chattor-bench/';

export interface FilesBenchOptions {
  /** (a): bytes sent between the headless engines. Default 200 MiB. */
  size?: number;
  /** (b): bytes sent to the receiver in Chromium. Default 500 MiB; 0 skips (b). */
  bigSize?: number;
  /** Bytes per raw onion stream measurement. Default 64 MiB (as backbone.ts). */
  rawBytes?: number;
}

/**
 * The page's bundle (an ES module, so `new URL('./opfs.worker.ts', import.meta.url)` in opfs-client.ts
 * resolves next to it, as in the PWA's build) and the OPFS worker's. The entry is written here: it
 * imports the PWA's storage and file store from web/, which the Node tsconfig project must not pull in.
 */
async function bundle(): Promise<{ page: string; worker: string }> {
  const [page, worker] = await Promise.all([
    bundleForBrowser(
      {
        page: 'test/bench/files.page.ts',
        parts: {
          ChattorDb: 'web/lib/db/db.ts',
          DexieEngineStorage: 'web/lib/db/engine-storage.ts',
          BrowserFileStore: 'web/lib/files/file-store.ts',
          KeyVault: 'web/lib/keys/key-vault.ts',
        },
      },
      'esm',
    ),
    bundleForBrowser({ entry: 'web/lib/files/opfs.worker.ts' }, 'esm'),
  ]);
  return { page, worker };
}

/** A source file of `size` bytes on disk, never whole in memory: random MiBs, each stamped with its index. */
function writeSource(path: string, size: number): void {
  const block = randomBytes(MiB);
  const fd = openSync(path, 'w');
  try {
    for (let at = 0, i = 0; at < size; at += MiB, i++) {
      block.writeUInt32BE(i, 0);
      writeSync(fd, block, 0, Math.min(MiB, size - at), at);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * `count` sink onions on a gateway's own tor (a second control connection; they go with it). Each onion
 * gets its own rendezvous circuit: on this loopback network circuits differ a lot (see README), so the
 * baseline is taken over more than one.
 */
async function sinksOnGatewayTor(gw: TestGateway, count: number): Promise<RawSinks> {
  const paths = nodeTorPaths(join(gw.dataDir, 'tor'));
  const control = await TorControl.connect({
    port: await waitForControlPort(paths.controlPortFile, { timeoutMs: 10_000 }),
    cookieFile: paths.cookieFile,
    log,
  });
  const sink = await listenSink();
  const stop = async () => {
    await control.close();
    sink.close();
  };
  try {
    const onions: string[] = [];
    for (let i = 0; i < count; i++) {
      const { serviceId } = await control.addOnion({
        key: 'NEW:ED25519-V3',
        flags: ['DiscardPK'],
        ports: [{ virtPort: 80, target: `127.0.0.1:${(sink.address() as { port: number }).port}` }],
      });
      onions.push(serviceId);
    }
    return { onions, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface RawSinks {
  onions: string[];
  stop(): Promise<void>;
}

/** The raw onion stream throughput to each sink in turn (backbone.ts's measurement), MiB/s. */
async function rawRuns(socksPort: number, sinks: RawSinks, bytes: number): Promise<number[]> {
  const out: number[] = [];
  for (const onion of sinks.onions) out.push(await sinkThroughput(socksPort, onion, bytes));
  return out;
}

/** The baseline over every raw run: their mean, named, and a note with each circuit's figures. */
function rawBaseline(before: number[], after: number[], bytes: number, cpu: string) {
  const all = [...before, ...after];
  const value = all.reduce((x, y) => x + y, 0) / all.length;
  const list = (v: number[]) => v.map((x) => fmt(x)).join(', ');
  return {
    value,
    baseline: { name: 'raw onion stream, same tors', value },
    note:
      `mean of ${all.length} runs of ${mib(bytes)} one way, sender's tor → sink onions on the receiver's tor, ` +
      `one circuit per onion: ${list(before)} before and ${list(after)} after the transfer (min ${fmt(Math.min(...all))}, ` +
      `max ${fmt(Math.max(...all))}); during the last ones: ${cpu}`,
  };
}

async function until(cond: () => Promise<boolean>, what: string, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `from` asks the card in `link` to be friends; resolves with the contact id once it is accepted. */
async function befriend(from: HeadlessNode, link: string): Promise<Id> {
  const c = await from.engine.sendFriendRequest(link, 'bench');
  await until(async () => (await from.storage.getContact(c.id))?.state === 'friend', 'friendship');
  return c.id;
}

/**
 * Both engines run here, on one clock: times when the sender reads each chunk (to encrypt and send it)
 * and when the receiver has written it. Their difference is the time a chunk spends on the way: both
 * local links, both gateways, tor, and the queues in between. Returns the lags, sorted, in ms.
 */
function chunkLag(sender: HeadlessNode, receiver: HeadlessNode): { stop(): number[] } {
  const sentAt = new Map<number, number>();
  const lags: number[] = [];
  const read = sender.files.read;
  const write = receiver.files.write;
  // Only chunk reads: the sender's SHA-256 pass before the offer reads 4 MiB slices.
  sender.files.read = (id, offset, length) => {
    if (length <= 1024 * 1024) sentAt.set(offset, now());
    return read.call(sender.files, id, offset, length);
  };
  receiver.files.write = async (id, offset, bytes) => {
    await write.call(receiver.files, id, offset, bytes);
    const t = sentAt.get(offset);
    if (t !== undefined) lags.push(now() - t);
  };
  return {
    stop() {
      sender.files.read = read;
      receiver.files.write = write;
      return lags.sort((x, y) => x - y);
    },
  };
}

interface Transfer {
  /** sendFile: keeping and hashing the source, then the offer. */
  prepMs: number;
  f: ReceiveFigures;
  /** accepted → complete. */
  totalS: number;
  /** first chunk written → last chunk written. */
  chunkS: number;
  /** last chunk written → complete (the receiver reads the file back and checks its SHA-256). */
  hashS: number;
}

async function transfer(
  sender: HeadlessNode,
  to: Id,
  source: string,
  size: number,
  receiver: { arm(): Promise<void>; settled(ms: number): Promise<ReceiveFigures> },
): Promise<Transfer> {
  await receiver.arm();
  const t0 = now();
  await sender.engine.sendFile(to, {
    name: basename(source),
    size,
    type: 'application/octet-stream',
    source,
  });
  const prepMs = now() - t0;
  const f = await receiver.settled(120_000 + (size / MiB) * 2000);
  if (f.state !== 'complete') throw new Error(`the file ended ${f.state}: ${f.error ?? ''}`);
  const at = (v: number | null, what: string): number => {
    if (v === null) throw new Error(`no ${what} time`);
    return v;
  };
  const accepted = at(f.acceptedAt, 'accepted');
  const complete = at(f.completeAt, 'complete');
  const first = at(f.firstWriteAt, 'first write');
  const last = at(f.lastWriteAt, 'last write');
  return {
    prepMs,
    f,
    totalS: (complete - accepted) / 1000,
    chunkS: (last - first) / 1000,
    hashS: (complete - last) / 1000,
  };
}

const mib = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;

/** What both parts share: the gateways, the headless engines, the CPU groups. */
interface Setup {
  work: string;
  rawBytes: number;
  alice: HeadlessNode;
  bob: HeadlessNode;
  ga: TestGateway;
  gb: TestGateway;
  cpuGroups(from: TestGateway, to: TestGateway): Record<string, (procs: Proc[]) => number[]>;
}

const gatewayRss = (g: TestGateway) => () => rss(g.child.child.pid!);

/** (a) raw, Chattor, raw again: the same two tors, the same direction (alice's → bob's). */
async function headlessToHeadless(report: Report, s: Setup, size: number): Promise<void> {
  const { alice, bob, ga, gb } = s;
  const bobWatch = watchReceiver(bob.engine, bob.files);
  const lag = chunkLag(alice, bob);
  const [toBob, sinks] = await Promise.all([
    befriend(alice, await bob.contactLink()),
    sinksOnGatewayTor(gb, 2),
  ]);
  try {
    const source = join(s.work, 'file-a.bin');
    writeSource(source, size);
    const before = await rawRuns(ga.socksPort, sinks, s.rawBytes);
    const sampler = new Sampler({ sender: gatewayRss(ga), receiver: gatewayRss(gb) });
    await sampler.start();
    const cpu = cpuUse(s.cpuGroups(ga, gb));
    const a = await transfer(alice, toBob, source, size, {
      arm: async () => bobWatch.arm(),
      settled: (ms) => bobWatch.settled(ms),
    });
    const cpuNote = cpu();
    const mem = await sampler.stop();
    const rawCpu = cpuUse(s.cpuGroups(ga, gb));
    const after = await rawRuns(ga.socksPort, sinks, s.rawBytes);
    const raw = rawBaseline(before, after, s.rawBytes, rawCpu());
    const lags = lag.stop();
    rmSync(source, { force: true });

    report.add({
      name: "raw onion stream throughput between the two gateways' tors",
      value: raw.value,
      unit: 'MiB/s',
      note: raw.note,
    });
    const growth = (k: string) =>
      `${k} gateway RSS ${fmt(mem.get(k)!.base / MiB)} → peak ${fmt(mem.get(k)!.peak / MiB)} MiB`;
    report.add({
      name: `file ${mib(size)} headless → headless through Chattor (accepted → complete)`,
      value: size / MiB / a.totalS,
      unit: 'MiB/s',
      baseline: raw.baseline,
      target: '≥ ×0.85',
      note:
        `${a.totalS.toFixed(1)} s, including the receiver's SHA-256 read-back (${a.hashS.toFixed(1)} s); ` +
        `the sender's sendFile (keep + SHA-256 + offer) took ${(a.prepMs / 1000).toFixed(1)} s before that; ` +
        `both engines run in the bench process; ${growth('sender')}, ${growth('receiver')}; ${cpuNote}`,
    });
    const lag50 = percentile(lags, 50);
    report.add({
      name: `file ${mib(size)} headless: chunk phase (first → last chunk written)`,
      value: size / MiB / a.chunkS,
      unit: 'MiB/s',
      baseline: raw.baseline,
      target: '≥ ×0.85',
      note:
        `${a.chunkS.toFixed(1)} s; ${a.f.writes} writes; protocol errors at the receiver: ${a.f.errors.length}; ` +
        `a chunk's lag from the sender's read to the receiver's write: median ${lag50.toFixed(0)} ms, ` +
        `p95 ${percentile(lags, 95).toFixed(0)} ms, i.e. ≈ ${((lag50 / 1000) * (size / MiB / a.chunkS)).toFixed(1)} MiB ` +
        'on the way at this rate (WINDOW: 4 MiB beyond the last file-ack)',
    });
    if (a.f.errors.length > 0)
      process.stdout.write(`  receiver errors: ${a.f.errors.slice(0, 3).join('; ')}\n`);
  } finally {
    lag.stop();
    bobWatch.dispose();
    await sinks.stop();
  }
}

/** The tab: the gateway's own page with the bench's receiver loaded into it (see files.page.ts). */
async function openReceiverTab(context: BrowserContext, gw: TestGateway): Promise<Page> {
  const code = await bundle();
  const origin = new URL(gw.uiUrl).origin;
  // The tab is the gateway's own page (the PWA, left unpaired: it opens no link and no engine of its
  // own). Only the bench's two scripts are answered here, at the gateway's origin; the page's CSP
  // ('self') admits them, and the /local WebSocket goes from a document the gateway served, so neither
  // the gateway's Origin check nor Chromium's local-network-access check refuses it (a page answered by
  // context.route counts as public, and Chromium blocks its WebSocket to 127.0.0.1).
  await context.route(`${origin}${BENCH_PATH}**`, (route) =>
    route.fulfill({
      contentType: 'text/javascript; charset=utf-8',
      body: route.request().url().endsWith('/opfs.worker.ts') ? code.worker : code.page,
    }),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: Error[] = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${origin}/`);
  await page.addScriptTag({ url: `${origin}${BENCH_PATH}bench.js`, type: 'module' });
  await page
    .waitForFunction('globalThis.chattorBench !== undefined', undefined, { timeout: 15_000 })
    .catch((cause: unknown) => {
      throw new Error(`the bench script did not load: ${errors[0]?.message ?? String(cause)}`, { cause });
    });
  const startOpts: StartOptions = { token: gw.token, name: gw.name };
  // String expressions: tsx's compiled functions would not survive serialisation.
  await page.evaluate(`globalThis.chattorBench.start(${JSON.stringify(startOpts)})`);
  return page;
}

/** (b) alice (headless) → carol's receiver in Chromium, memory sampled; raw alice's → carol's tor around it. */
async function headlessToChromium(report: Report, s: Setup, gc: TestGateway, size: number): Promise<void> {
  const { alice, ga } = s;
  const profile = mkdtempSync(join(tmpdir(), 'chattor-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    // Without it performance.memory is rounded and updated rarely.
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'],
    headless: true,
    // The PWA's service worker would see the bench's scripts before context.route does.
    serviceWorkers: 'block',
  });
  let sinks: RawSinks | undefined;
  try {
    const big = join(s.work, 'file-b.bin');
    writeSource(big, size);
    const page = await openReceiverTab(context, gc);
    const link = (await page.evaluate('globalThis.chattorBench.contactLink()')) as string;
    const [toCarol, made] = await Promise.all([befriend(alice, link), sinksOnGatewayTor(gc, 2)]);
    sinks = made;
    const before = await rawRuns(ga.socksPort, sinks, s.rawBytes);

    const cdp: CDPSession = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const jsHeap = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    let procs = { at: 0, pids: chromiumPids(profile) };
    const chromiumNow = () => {
      if (Date.now() - procs.at > 100) procs = { at: Date.now(), pids: chromiumPids(profile) };
      return procs.pids;
    };
    const sampler = new Sampler({
      sender: gatewayRss(ga),
      receiver: gatewayRss(gc),
      'bench process': () => process.memoryUsage().rss,
      'tab JS heap (CDP)': jsHeap,
      // The tab's renderer is the largest one (Chromium may keep a spare renderer beside it).
      'Chromium renderer': () => Math.max(0, ...chromiumNow().renderers.map(rss)),
      'Chromium, all processes': () => chromiumNow().all.reduce((n, p) => n + rss(p), 0),
    });
    await sampler.start();
    const cpu = cpuUse({ ...s.cpuGroups(ga, gc), Chromium: (ps) => chromiumPids(profile, ps).all });
    const b = await transfer(alice, toCarol, big, size, {
      arm: async () => {
        await page.evaluate('globalThis.chattorBench.arm()');
      },
      settled: async (ms) =>
        (await page.evaluate(`globalThis.chattorBench.settled(${ms})`)) as ReceiveFigures,
    });
    const cpuNote = cpu();
    const m = await sampler.stop();
    const inOpfs = (await page.evaluate('globalThis.chattorBench.opfsBytes()')) as number;
    rmSync(big, { force: true });
    const rawCpu = cpuUse(s.cpuGroups(ga, gc));
    const after = await rawRuns(ga.socksPort, sinks, s.rawBytes);
    const raw = rawBaseline(before, after, s.rawBytes, rawCpu());

    report.add({
      name: "raw onion stream throughput between the sender's and the Chromium receiver's gateway tors",
      value: raw.value,
      unit: 'MiB/s',
      note: raw.note,
    });
    report.add({
      name: `file ${mib(size)} headless → PWA engine in Chromium (accepted → complete)`,
      value: size / MiB / b.totalS,
      unit: 'MiB/s',
      baseline: raw.baseline,
      note:
        `${b.totalS.toFixed(1)} s, including the receiver's SHA-256 read-back from OPFS (${b.hashS.toFixed(1)} s); ` +
        'receiver = ChatEngine + DexieEngineStorage + key vault + BrowserFileStore (OPFS worker) + GatewayClient ' +
        `on the native WebSocket, in the gateway's unpaired PWA tab, no chat UI; ${cpuNote}`,
    });
    report.add({
      name: `file ${mib(size)} to Chromium: chunk phase (first → last chunk written)`,
      value: size / MiB / b.chunkS,
      unit: 'MiB/s',
      baseline: raw.baseline,
      note:
        `${b.chunkS.toFixed(1)} s; ${b.f.writes} writes, ${(b.f.writeMs / 1000).toFixed(1)} s in them, ` +
        (inOpfs === size ? 'into OPFS (the worker)' : `NOT into OPFS (${inOpfs} bytes there): IndexedDB`) +
        `; protocol errors at the receiver: ${b.f.errors.length}`,
    });
    const mem = (key: string, name: string, note: string) => {
      const v = m.get(key)!;
      report.add({
        name,
        value: v.peak / MiB,
        unit: 'MiB',
        note: `${fmt(v.base / MiB)} MiB before, growth ${fmt((v.peak - v.base) / MiB)} MiB; ${note}`,
      });
    };
    mem('sender', `sender gateway RSS peak during ${mib(size)}`, 'sampled every 200 ms');
    mem('receiver', `receiver gateway RSS peak during ${mib(size)}`, 'sampled every 200 ms');
    if (b.f.heapPeak !== null && b.f.heapBefore !== null)
      report.add({
        name: `tab JS heap peak during ${mib(size)} (performance.memory)`,
        value: b.f.heapPeak / MiB,
        unit: 'MiB',
        note:
          `${fmt(b.f.heapBefore / MiB)} MiB before; main thread, sampled every 50 ms in the page (garbage ` +
          `included); CDP JSHeapUsedSize peak ${fmt(m.get('tab JS heap (CDP)')!.peak / MiB)} MiB (every 200 ms)`,
      });
    const all = m.get('Chromium, all processes')!;
    mem(
      'Chromium renderer',
      `Chromium renderer RSS peak during ${mib(size)}`,
      `the largest renderer (the tab's, OPFS worker included) of ${chromiumNow().renderers.length}; ` +
        `all Chromium processes ${fmt(all.base / MiB)} → peak ${fmt(all.peak / MiB)} MiB`,
    );
    mem(
      'bench process',
      `headless sender process RSS peak during ${mib(size)}`,
      'the bench process: alice (sender) and bob (idle) engines, Playwright client',
    );
    if (b.f.errors.length > 0)
      process.stdout.write(`  receiver errors: ${b.f.errors.slice(0, 3).join('; ')}\n`);
    await page.evaluate('globalThis.chattorBench.stop()');
  } finally {
    await context.close();
    await sinks?.stop();
    rmSync(profile, { recursive: true, force: true });
  }
}

export async function benchFiles(
  report: Report,
  clientTorrcLines: string[],
  opts: FilesBenchOptions = {},
): Promise<void> {
  const size = opts.size ?? 200 * MiB;
  const bigSize = opts.bigSize ?? 500 * MiB;
  process.stdout.write(`files: ${mib(size)} headless → headless, ${mib(bigSize)} headless → Chromium\n`);
  const work = mkdtempSync(join(tmpdir(), 'chattor-bench-files-'));
  const names = bigSize > 0 ? ['alice', 'bob', 'carol'] : ['alice', 'bob'];
  const gws = await Promise.all(names.map((n) => startTestGateway(n, clientTorrcLines, { cwd: work })));
  const [ga, gb, gc] = gws as [TestGateway, TestGateway, TestGateway | undefined];
  const nodes: HeadlessNode[] = [];
  try {
    const headless = async (g: TestGateway) => {
      const n = await startHeadlessNode({
        dataDir: g.dataDir,
        displayName: g.name,
        storagePath: join(work, `${g.name}.db`),
        filesDir: join(work, `${g.name}-files`),
        engineOptions: { autoAcceptBytes: () => 2 ** 40 },
        onError: (e) => log.warn('headless node', { error: String(e) }),
      });
      nodes.push(n);
      return n;
    };
    const [alice, bob] = await Promise.all([headless(ga), headless(gb)]);
    const torOf = new Map(await Promise.all(gws.map(async (g) => [g, await g.torPid()] as const)));
    const setup: Setup = {
      work,
      rawBytes: opts.rawBytes ?? 64 * MiB,
      alice,
      bob,
      ga,
      gb,
      cpuGroups: (from, to) => ({
        'bench process (engines)': () => [process.pid],
        'sender gateway': () => [from.child.child.pid!],
        'receiver gateway': () => [to.child.child.pid!],
        "sender's tor": () => [torOf.get(from)!],
        "receiver's tor": () => [torOf.get(to)!],
        relays: (procs) =>
          procs
            .filter((p) => p.cmd.startsWith('tor\0') && ![...torOf.values()].includes(p.pid))
            .map((p) => p.pid),
      }),
    };
    await headlessToHeadless(report, setup, size);
    if (gc && bigSize > 0) await headlessToChromium(report, setup, gc, bigSize);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await Promise.allSettled(gws.map((g) => g.dispose()));
    rmSync(work, { recursive: true, force: true });
  }
}
