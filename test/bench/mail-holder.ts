// A holder at 100,000 envelopes (issue 5, Benchmarks): "deposit and fetch latency unchanged vs an empty
// one". A real gateway on the private Tor network holds; a bare tor dials its contact onion and speaks
// peer frames (docs/protocol.md §1, §5.5) as a depositor and a fetcher would. Measured on the empty
// store, then the gateway is stopped, its mailbox.sqlite filled to 100,000 envelopes, restarted on the
// same data directory, and measured again. Each sample set also times a WebSocket ping on the same link,
// so a slower circuit after the restart shows as such and not as a slower store.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SocksProxyAgent } from 'socks-proxy-agent';
import WebSocket from 'ws';
import { createLogger } from '../../gateway/log.js';
import { MailboxService } from '../../gateway/mailbox/service.js';
import { DAY_MS, MAILBOX_FILE, MailboxStore } from '../../gateway/mailbox/store.js';
import { mintTokens } from '../../gateway/mailbox/testing.js';
import { PEER_PATH, PEER_SUBPROTOCOL } from '../../gateway/peers/limits.js';
import { TorSupervisor } from '../../gateway/tor/process.js';
import { wsBytes } from '../../gateway/ws-bytes.js';
import { sha256 } from '../../shared/crypto/primitives.js';
import { envelopeHash, mailboxId } from '../../shared/mailbox/ids.js';
import { blindTokens, finalizeTokens, parseOkey } from '../../shared/mailbox/tokens.js';
import { fromBase64Url, toHex } from '../../shared/util/bytes.js';
import { decodeErrorBody, decodeFrame, encodeFrame, FrameKind, type Frame } from '../../shared/wire/frame.js';
import {
  decodeEnvelopes,
  decodeIssued,
  decodeMbxError,
  encodeDeposit,
  encodeFetch,
  encodeIssue,
  ISSUE_MAX,
} from '../../shared/wire/mailbox.js';
import { startTestGateway, type TestGateway } from '../support/gateways.js';
import { LocalClient } from '../support/local-client.js';
import type { Report } from './report.js';
import { percentile } from './report.js';

const log = createLogger('bench', { level: 'warn' });
const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** One peer link to an onion, as a depositor's or fetcher's gateway holds it: requests by stream. */
class PeerLink {
  private nextStream = 1;
  private readonly pending = new Map<number, { resolve(f: Frame): void; reject(e: Error): void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) return;
      const f = decodeFrame(wsBytes(data));
      if (f.kind === FrameKind.ERROR) {
        const e = decodeErrorBody(f.body);
        this.failAll(new Error(`peer ERROR ${e.code}: ${e.reason}`));
        return;
      }
      const p = this.pending.get(f.stream);
      this.pending.delete(f.stream);
      p?.resolve(f);
    });
    ws.on('close', () => this.failAll(new Error('peer link closed')));
  }

  /**
   * Dials `ws://<onion>.onion/peer` through tor, retrying (with `refresh`: HSFETCH) until `timeoutMs`.
   * Random SOCKS credentials give the link a circuit of its own (IsolateSOCKSAuth, as isolated links do).
   */
  static async open(
    socksPort: number,
    onion: string,
    refresh: () => Promise<unknown>,
    timeoutMs = 180_000,
  ): Promise<PeerLink> {
    const deadline = Date.now() + timeoutMs;
    const auth = `${toHex(rand(16))}:${toHex(rand(16))}@`;
    for (;;) {
      const ws = new WebSocket(`ws://${onion}.onion${PEER_PATH}`, [PEER_SUBPROTOCOL], {
        agent: new SocksProxyAgent(`socks5h://${auth}127.0.0.1:${socksPort}`, { timeout: 30_000 }),
        handshakeTimeout: 30_000,
        perMessageDeflate: false,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        return new PeerLink(ws);
      } catch (e) {
        ws.terminate();
        if (Date.now() > deadline) throw e;
        await refresh().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  request(kind: FrameKind, body: Uint8Array): Promise<Frame> {
    const stream = this.nextStream++;
    return new Promise((resolve, reject) => {
      this.pending.set(stream, { resolve, reject });
      this.ws.send(encodeFrame({ kind, stream, body }), { binary: true });
    });
  }

  /** A WebSocket ping: the same link and circuit, answered by the gateway's ws library alone. */
  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once('pong', () => resolve());
      this.ws.ping();
    });
  }

  close(): void {
    this.ws.terminate();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

function expect(f: Frame, kind: FrameKind): Uint8Array {
  if (f.kind === kind) return f.body;
  if (f.kind === FrameKind.MBX_ERROR) {
    const e = decodeMbxError(f.body);
    throw new Error(`mailbox error ${e.code}: ${e.reason}`);
  }
  throw new Error(`unexpected reply kind 0x${f.kind.toString(16)}`);
}

interface Account {
  keyId: Uint8Array;
  tokens: Uint8Array[];
  /** A fetch key whose mid holds FETCH_SIZE envelopes. */
  fetchKey: Uint8Array;
}

const FETCH_SIZE = 10;
const SAMPLES = 100;
/** Per link (and, in process, in all). */
const WARM_UP = 3;
const LINKS = 4;
const TARGET = 100_000;

/** Opens an account at the holder (local link, as its browser does for a friend) and mints over the onion. */
async function account(gw: TestGateway, link: PeerLink, tokens: number): Promise<Account> {
  const local = await LocalClient.connect(gw.uiUrl, gw.token);
  const cap = rand(32);
  let okey: string;
  try {
    const done = await local.command('OpenMailboxAccount', { capHash: toHex(await sha256(cap)) });
    okey = String(done.okey);
  } finally {
    local.close();
  }
  const { keyId, publicKey } = parseOkey(fromBase64Url(okey));
  const out: Uint8Array[] = [];
  while (out.length < tokens) {
    const batch = blindTokens(Math.min(ISSUE_MAX, tokens - out.length));
    const issued = decodeIssued(
      expect(
        await link.request(FrameKind.ISSUE, encodeIssue({ cap, blinded: batch.blinded })),
        FrameKind.ISSUED,
      ),
    );
    out.push(...finalizeTokens(batch, issued.evaluated, issued.proof, publicKey));
  }
  const acc = { keyId, tokens: out, fetchKey: rand(32) };
  const mid = mailboxId(acc.fetchKey);
  for (let i = 0; i < FETCH_SIZE; i++) await deposit(link, acc, mid);
  return acc;
}

async function deposit(link: PeerLink, acc: Account, mid = rand(16)): Promise<void> {
  const token = acc.tokens.pop();
  if (!token) throw new Error('out of tokens');
  const body = encodeDeposit({ keyId: acc.keyId, token, mid, envelope: rand(1024) });
  expect(await link.request(FrameKind.DEPOSIT, body), FrameKind.STORED);
}

async function fetchOne(link: PeerLink, acc: Account): Promise<void> {
  const r = await link.request(FrameKind.FETCH, encodeFetch({ max: 500, fetchKeys: [acc.fetchKey] }));
  const n = decodeEnvelopes(expect(r, FrameKind.ENVELOPES), 1).envelopes.length;
  if (n !== FETCH_SIZE) throw new Error(`FETCH returned ${n} envelopes, expected ${FETCH_SIZE}`);
}

interface Samples {
  deposit: number[];
  fetch: number[];
  ping: number[];
}

/**
 * Interleaved: a DEPOSIT (fresh mid), a FETCH of the 10-envelope mid and a ping, round robin over the
 * links (each on its own circuit: on this loopback network some circuits stall ~40 ms per direction and
 * others do not, so one link per phase would compare circuits, not stores). Sorted ms each.
 */
async function sample(links: PeerLink[], acc: Account): Promise<Samples> {
  const s: Samples = { deposit: [], fetch: [], ping: [] };
  const warm = WARM_UP * links.length;
  const time = async (into: number[], i: number, op: () => Promise<void>) => {
    const t0 = performance.now();
    await op();
    if (i >= warm) into.push(performance.now() - t0); // the first ones warm each circuit
  };
  for (let i = 0; i < SAMPLES + warm; i++) {
    const link = links[i % links.length]!;
    await time(s.deposit, i, () => deposit(link, acc));
    await time(s.fetch, i, () => fetchOne(link, acc));
    await time(s.ping, i, () => link.ping());
  }
  for (const v of [s.deposit, s.fetch, s.ping]) v.sort((a, b) => a - b);
  return s;
}

/**
 * The same requests straight to the gateway's MailboxService over the (stopped) gateway's store, without
 * Tor: what the store itself adds, below the circuit's jitter. Sorted ms each.
 */
function inProcess(dataDir: string, fetchKey: Uint8Array): Pick<Samples, 'deposit' | 'fetch'> {
  const store = MailboxStore.open({ dataDir });
  const svc = new MailboxService({ store, log });
  const s = { deposit: [] as number[], fetch: [] as number[] };
  try {
    const n = 4 * SAMPLES;
    const tokens = mintTokens(store.tokenKey, n + 10);
    const fetch = encodeFetch({ max: 500, fetchKeys: [fetchKey] });
    for (const [i, token] of tokens.entries()) {
      const body = encodeDeposit({ keyId: store.tokenKey.keyId, token, mid: rand(16), envelope: rand(1024) });
      let t0 = performance.now();
      expect(decodeFrame(svc.handle(FrameKind.DEPOSIT, 1, body)), FrameKind.STORED);
      if (i >= 10) s.deposit.push(performance.now() - t0);
      t0 = performance.now();
      const n = decodeEnvelopes(
        expect(decodeFrame(svc.handle(FrameKind.FETCH, 2, fetch)), FrameKind.ENVELOPES),
        1,
      );
      if (i >= 10) s.fetch.push(performance.now() - t0);
      if (n.envelopes.length !== FETCH_SIZE) throw new Error('in-process FETCH: wrong count');
    }
  } finally {
    store.close();
  }
  s.deposit.sort((a, b) => a - b);
  s.fetch.sort((a, b) => a - b);
  return s;
}

/** Fills the (stopped) gateway's store to TARGET envelopes: 1 KiB each, 10 per mid, stored over 13 days. */
function fill(dataDir: string): { added: number; ms: number } {
  const t0 = performance.now();
  const now = Date.now();
  let at = now;
  const store = MailboxStore.open({ dataDir, now: () => at });
  let added = 0;
  try {
    let mid = rand(16);
    let chunk: Uint8Array = new Uint8Array(0);
    for (let n = store.stats().envelopes; n < TARGET; n++, added++) {
      if (added % 10 === 0) mid = rand(16);
      if (added % 1024 === 0) chunk = rand(1024 * 1024);
      const envelope = chunk.subarray((added % 1024) * 1024, (added % 1024) * 1024 + 1024);
      at = now - Math.floor(Math.random() * 13 * DAY_MS);
      const r = store.deposit({ mid, hash: envelopeHash(envelope), envelope, spentId: rand(32) });
      if (r !== 'stored') throw new Error(`filling the store: ${r}`);
    }
  } finally {
    store.close();
  }
  return { added, ms: performance.now() - t0 };
}

export async function benchMailHolder(report: Report, clientTorrcLines: string[]): Promise<void> {
  process.stdout.write('mail: holder at 100,000 envelopes vs empty (real gateway, over Tor)\n');
  const dir = mkdtempSync(join(tmpdir(), 'chattor-bench-dialer-'));
  const client = await TorSupervisor.start({ dataDir: dir, log, extraTorrc: clientTorrcLines });
  let gw: TestGateway | undefined;
  let links: PeerLink[] = [];
  try {
    await client.whenBootstrapped();
    gw = await startTestGateway('bench-holder', clientTorrcLines);
    const { dataDir, port } = gw;
    const dial = (g: TestGateway) =>
      Promise.all(
        Array.from({ length: LINKS }, () =>
          PeerLink.open(client.socksPort!, g.contactOnion, () =>
            client.control.command(`HSFETCH ${g.contactOnion}`),
          ),
        ),
      );
    links = await dial(gw);
    const acc = await account(gw, links[0]!, FETCH_SIZE + 2 * (SAMPLES + WARM_UP * LINKS));
    const empty = await sample(links, acc);
    const emptyCount = FETCH_SIZE + SAMPLES + WARM_UP * LINKS;

    for (const l of links.splice(0)) l.close();
    await gw.stop();
    const emptyLocal = inProcess(dataDir, acc.fetchKey);
    const filled = fill(dataDir);
    const fullLocal = inProcess(dataDir, acc.fetchKey);
    const path = join(dataDir, MAILBOX_FILE);
    const size = statSync(path).size;
    process.stdout.write(
      `  (filled ${filled.added} envelopes in ${(filled.ms / 1000).toFixed(1)} s; ${(size / 2 ** 20).toFixed(0)} MiB)\n`,
    );
    const t0 = performance.now();
    gw = await startTestGateway('bench-holder', clientTorrcLines, { dataDir, port });
    links = await dial(gw);
    const restartMs = performance.now() - t0;
    const local = await LocalClient.connect(gw.uiUrl, gw.token);
    const held = ((await local.command('GetMailboxStats')).stats as { envelopes: number }).envelopes;
    local.close();
    if (held < TARGET) throw new Error(`the restarted holder holds ${held} envelopes`);
    const full = await sample(links, acc);

    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const circuit = (s: Samples) =>
      `ws ping on the same links: median ${ms(percentile(s.ping, 50))}, mean ${ms(mean(s.ping))}`;
    const pair = (what: string, key: 'deposit' | 'fetch', detail: string) => {
      for (const p of [50, 95] as const) {
        const name = `${what} ${p === 50 ? 'median' : 'p95'}`;
        const base = percentile(empty[key], p);
        report.add({
          name: `${name}, empty holder`,
          value: base,
          unit: 'ms',
          note:
            p === 50
              ? `${detail}; ${emptyCount} envelopes held; ${SAMPLES} samples interleaved over ${LINKS} links on circuits of their own (${WARM_UP} warm-up each); mean ${ms(mean(empty[key]))}; ${circuit(empty)}`
              : undefined,
        });
        report.add({
          name: `${name}, holder at ${held.toLocaleString('en')} envelopes`,
          value: percentile(full[key], p),
          unit: 'ms',
          baseline: { name: 'empty holder', value: base },
          target: '×1.0 (no slow-down)',
          note:
            p === 50
              ? `mean ${ms(mean(full[key]))}; ${circuit(full)}. On this loopback network a message through Tor either passes at once or waits ~40 ms for a delayed ACK, so these figures move in ~40 ms steps between runs: the in-process figures are the store's own share`
              : undefined,
        });
      }
    };
    pair('mailbox DEPOSIT → STORED over Tor', 'deposit', '1 KiB envelope, fresh mid, token checked');
    pair(
      'mailbox FETCH → ENVELOPES over Tor',
      'fetch',
      `one fetch key whose mid holds ${FETCH_SIZE} envelopes`,
    );
    for (const key of ['deposit', 'fetch'] as const) {
      const base = percentile(emptyLocal[key], 50);
      const what = key === 'deposit' ? 'DEPOSIT → STORED' : 'FETCH → ENVELOPES';
      report.add({ name: `holder service ${what} in process median, empty holder`, value: base, unit: 'ms' });
      report.add({
        name: `holder service ${what} in process median, holder at ${held.toLocaleString('en')} envelopes`,
        value: percentile(fullLocal[key], 50),
        unit: 'ms',
        baseline: { name: 'empty holder', value: base },
        target: '×1.0 (no slow-down)',
        note: `MailboxService.handle on the gateway's store while it is stopped, no Tor; ${4 * SAMPLES} samples; p95 ${percentile(emptyLocal[key], 95).toFixed(2)} → ${percentile(fullLocal[key], 95).toFixed(2)} ms`,
      });
    }
    report.add({
      name: `holder mailbox.sqlite at ${held.toLocaleString('en')} envelopes`,
      value: size / 2 ** 20,
      unit: 'MiB',
      note: `1 KiB envelopes, 10 per mid, stored over 13 days; filled directly with MailboxStore in ${(filled.ms / 1000).toFixed(1)} s`,
    });
    report.add({
      name: `holder restart at ${held.toLocaleString('en')} envelopes → ${LINKS} peer links open`,
      value: restartMs / 1000,
      unit: 's',
      note: 'same data directory and onion: store opened (totals recounted, expired swept), tor restarted, descriptor fetched again',
    });
  } finally {
    for (const l of links) l.close();
    await gw?.dispose();
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
