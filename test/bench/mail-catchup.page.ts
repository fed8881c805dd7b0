// The in-page half of mail-catchup.ts (issue 5, offline mail, Benchmarks): the recipient R is a real
// ChatEngine on the PWA's IndexedDB storage and key vault; its 3 holders and 10 senders are engines on
// MemoryStorage; all share the memory network, whose mailbox hosts are the real gateway service in Node
// (reached through page.exposeFunction). R goes away, the senders write, their outbox bodies are sealed
// at 2 holders each, R comes back and catches up: the measured part.
import { openEnvelope, sealEnvelope } from '../../shared/crypto/envelope.js';
import { onionFromPublicKey } from '../../shared/crypto/onion.js';
import type { SymmetricKey } from '../../shared/crypto/primitives.js';
import { epochOf, fetchKey, mailboxId } from '../../shared/mailbox/ids.js';
import type { Contact, EngineStorage, MailboxStats, SecretBox } from '../../shared/protocol/api.js';
import { ChatEngine } from '../../shared/protocol/engine.js';
import type { MailKey, MailTo } from '../../shared/protocol/mail-state.js';
import {
  createMemoryNetwork,
  type MemoryMailboxHost,
  type MemoryNetwork,
} from '../../shared/protocol/memory.js';
import { makeNode, until } from '../../shared/protocol/testing.js';
import { fromBase64Url, toBase64Url } from '../../shared/util/bytes.js';
import { FrameKind } from '../../shared/wire/frame.js';

/**
 * The PWA's own classes (web/lib/db, web/lib/keys), handed in by the bundle's entry (mail-catchup.ts):
 * importing them here would pull web/ into the Node tsconfig project. Typed by what is used.
 */
export interface WebParts {
  ChattorDb: new (name: string) => { readonly name: string; close(): void };
  DexieEngineStorage: new (db: unknown) => EngineStorage;
  KeyVault: new (db: unknown) => {
    load(): Promise<'locked' | 'unlocked'>;
    readonly identityBox: SecretBox;
    storageKey(): Promise<SymmetricKey>;
  };
}

/** Exposed by Node (mail-catchup.ts): the holder service of the node registered under `onion`. */
export type HolderCall = (
  onion: string,
  op: 'handle' | 'open' | 'close' | 'stats',
  arg: string,
) => Promise<string>;
/** Exposed by Node: stores sealed envelopes directly (`[mid, envelope]` base64url pairs, JSON). */
export type HolderFill = (onion: string, items: string) => Promise<number>;

export interface SetupOptions {
  readonly senders: number;
  readonly messages: number;
}

export interface SetupFigures {
  readonly ms: number;
  readonly envelopes: number;
  readonly phases: Record<string, number>;
}

export interface CatchupFigures {
  readonly ms: number;
  readonly envelopes: number;
  readonly messages: number;
  readonly rounds: number;
  /** Wall time with at least one IndexedDB (DexieEngineStorage) call of R's pending. */
  readonly storageMs: number;
  /** Summed per method (calls overlap a little: the engine reads some keys in parallel). */
  readonly storageByMethod: Record<string, { ms: number; calls: number }>;
  /** Wall time with at least one holder request pending (3 holders are fetched in parallel). */
  readonly hopMs: number;
  readonly fetches: number;
  readonly deletes: number;
  readonly replyBytes: number;
  readonly hpkeOpenMs: number;
  readonly heapBefore: number | null;
  readonly heapPeak: number | null;
  readonly errors: string[];
}

/** The functions mail-catchup.ts exposes to the page (installed before it loads). */
const fromNode = globalThis as unknown as { chattorHolder: HolderCall; chattorFill: HolderFill };

/** Wall time during which at least one tracked call is pending (overlapping calls count once). */
class Busy {
  ms = 0;
  on = false;
  private active = 0;
  private since = 0;
  readonly byName: Record<string, { ms: number; calls: number }> = {};

  enter(): void {
    if (this.active++ === 0) this.since = performance.now();
  }
  leave(): void {
    if (--this.active === 0 && this.on) this.ms += performance.now() - this.since;
  }
  async time<T>(name: string, op: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    this.enter();
    try {
      return await op();
    } finally {
      this.leave();
      if (this.on) {
        const s = (this.byName[name] ??= { ms: 0, calls: 0 });
        s.ms += performance.now() - t0;
        s.calls += 1;
      }
    }
  }
  reset(): void {
    this.ms = 0;
    for (const k of Object.keys(this.byName)) delete this.byName[k];
  }
}

/**
 * R's storage with every call timed. A transaction's `fn` (the engine's crypto between buffered writes)
 * is not storage time: only the commit is.
 */
function timedStorage(inner: EngineStorage, busy: Busy): EngineStorage {
  const name = 'transaction (commit)';
  return new Proxy(inner, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      if (prop === 'transaction')
        return async <T>(fn: () => Promise<T>) => {
          let fnMs = 0;
          try {
            return await busy.time(name, () =>
              target.transaction(async () => {
                const t1 = performance.now();
                busy.leave();
                try {
                  return await fn();
                } finally {
                  busy.enter();
                  fnMs += performance.now() - t1;
                }
              }),
            );
          } finally {
            const s = busy.byName[name];
            if (busy.on && s) s.ms -= fnMs;
          }
        };
      return (...args: unknown[]) =>
        busy.time(String(prop), () => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

const b64 = (bytes: Uint8Array): string => toBase64Url(bytes);
const hops = new Busy();
const counts = { fetches: 0, deletes: 0, replyBytes: 0 };

/** A node's mailbox host: the real gateway service in Node, one CDP call per request. */
function remoteHost(onion: string): MemoryMailboxHost {
  return {
    async handle(frame) {
      const reply = await hops.time('handle', () => fromNode.chattorHolder(onion, 'handle', b64(frame)));
      if (hops.on) {
        if (frame[1] === FrameKind.FETCH) counts.fetches += 1;
        if (frame[1] === FrameKind.DELETE) counts.deletes += 1;
        counts.replyBytes += (reply.length * 3) / 4;
      }
      return fromBase64Url(reply);
    },
    openAccount: (capHash) => fromNode.chattorHolder(onion, 'open', capHash),
    closeAccount: async (capHash) => {
      await fromNode.chattorHolder(onion, 'close', capHash);
    },
    stats: async () => JSON.parse(await fromNode.chattorHolder(onion, 'stats', '')) as MailboxStats,
  };
}

interface Peer {
  readonly name: string;
  readonly onion: string;
  readonly storage: EngineStorage;
  readonly engine: ChatEngine;
}

async function contactOf(n: Peer, other: Peer): Promise<Contact | undefined> {
  return (await n.storage.listContacts()).find((c) => c.contactOnion === other.onion);
}

/** As shared/protocol/testing.ts `befriend`, for any storage: a asks, b accepts. */
async function befriend(a: Peer, b: Peer): Promise<void> {
  await a.engine.sendFriendRequest(await b.engine.myContactLink(), `hi ${b.name}`);
  await until(async () => (await contactOf(b, a))?.state === 'incoming-request', 'incoming request');
  await b.engine.acceptFriendRequest((await contactOf(b, a))!.id);
  await until(async () => (await contactOf(a, b))?.state === 'friend', 'accept');
}

async function quiet(...peers: Peer[]): Promise<void> {
  for (const p of peers)
    await until(async () => (await p.storage.listOutbox()).length === 0, `${p.name}'s outbox`, 60_000);
  await Promise.all(peers.map((p) => p.engine.idle()));
}

const heap = (): number | null =>
  (performance as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;

interface World {
  net: MemoryNetwork;
  r: Peer & { close(): Promise<void>; vault: InstanceType<WebParts['KeyVault']> };
  holders: Peer[];
  senders: Peer[];
  /** R's contact id at each sender. */
  rAt: Map<Peer, string>;
  busy: Busy;
  sample: { mid: Uint8Array; envelope: Uint8Array }[];
  total: number;
}

let world: World | undefined;

async function setup(web: WebParts, opts: SetupOptions): Promise<SetupFigures> {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let mark = t0;
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = now - mark;
    mark = now;
  };
  const net = createMemoryNetwork({ mailbox: remoteHost });
  // The bench deposits itself (below) and fetches when it measures: the engines' timers stay out of it.
  const mailOpts = { kem: false, depositAfterMs: 1e9, fetchEveryMs: 1e9 };

  const db = new web.ChattorDb(`chattor-bench-${Date.now()}`);
  const vault = new web.KeyVault(db);
  await vault.load();
  const busy = new Busy();
  const storage = timedStorage(new web.DexieEngineStorage(db), busy);
  const rOnion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  // As the PWA builds it (engine-host.svelte.ts): the vault seals the identity and the storage key.
  const engine = new ChatEngine({
    ...mailOpts,
    storage,
    transport: net.transport(rOnion),
    identityBox: vault.identityBox,
    storageKey: () => vault.storageKey(),
  });
  await engine.createIdentity('R');
  await engine.start();
  const r = {
    name: 'R',
    onion: rOnion,
    storage,
    engine,
    vault,
    async close() {
      await engine.stop();
      db.close();
      await new Promise((resolve) => {
        const req = indexedDB.deleteDatabase(db.name);
        req.onsuccess = req.onerror = req.onblocked = resolve;
      });
    },
  };

  const holders = await Promise.all([1, 2, 3].map((i) => makeNode(net, `holder${i}`, mailOpts)));
  for (const h of holders) await befriend(h, r);
  const holderIds = await Promise.all(holders.map(async (h) => (await contactOf(r, h))!.id));
  await engine.setMailboxHolders(holderIds);
  await until(
    async () => (await engine.mailboxStatus()).holders.filter((h) => h.state === 'holding').length === 3,
    'three holders holding',
    60_000,
  );

  phase('R and 3 holders');
  const senders = await Promise.all(
    Array.from({ length: opts.senders }, (_, i) => makeNode(net, `sender${i + 1}`, mailOpts)),
  );
  const rAt = new Map<Peer, string>();
  for (const s of senders) {
    await befriend(s, r);
    rAt.set(s, (await contactOf(s, r))!.id);
  }
  const mailTo = async (s: Peer) => s.storage.getMeta<MailTo | null>(`mbx:to:${rAt.get(s)!}`);
  await until(
    async () => {
      for (const s of senders) {
        const to = await mailTo(s);
        if (!to || to.holders.length !== 3 || to.holders.some((h) => h.tokens.length === 0)) return false;
      }
      return true;
    },
    "every sender has R's mailto",
    120_000,
  );
  await quiet(r, ...holders, ...senders);

  phase('senders befriend R, get its mailto');
  // R goes away; the senders write. Their messages wait in their outboxes.
  net.setOnline(rOnion, false);
  const per = Math.ceil(opts.messages / senders.length);
  await Promise.all(
    senders.map(async (s, j) => {
      for (let i = 0; i < per && j * per + i < opts.messages; i++)
        await s.engine.sendMessage(
          rAt.get(s)!,
          `catch-up ${i + 1} from ${s.name}: see you when you are back`,
        );
    }),
  );
  await Promise.all(senders.map((s) => s.engine.idle()));
  // The senders go too, so R's receipts wait in its outbox (§5.7) and no sender shares the thread.
  for (const s of senders) net.setOnline(s.onion, false);

  phase('senders write');
  // Deposited as mail.ts prepare() seals them (sender j at holders j and j+1, so all 3 hold mail),
  // stored straight into the holders' stores: setup, not the measurement.
  const sample: World['sample'] = [];
  let envelopes = 0;
  const epoch = epochOf(Date.now());
  for (const [j, s] of senders.entries()) {
    const to = (await mailTo(s))!;
    const key = fromBase64Url(to.key);
    const secret = fromBase64Url(to.secret);
    const at = [to.holders[j % 3]!, to.holders[(j + 1) % 3]!];
    const mids = at.map((h) => mailboxId(fetchKey(secret, epoch, h.onion)));
    const batches = at.map((): [string, string][] => []);
    const items = (await s.storage.listOutbox(rAt.get(s)!)).filter((i) => i.kind === 'message');
    for (const item of items) {
      for (const k of [0, 1]) {
        const { envelope } = await sealEnvelope(key, mids[k]!, item.body);
        batches[k]!.push([b64(mids[k]!), b64(envelope)]);
        if (sample.length < 1000) sample.push({ mid: mids[k]!, envelope });
      }
    }
    for (const [k, h] of at.entries())
      envelopes += await fromNode.chattorFill(h.onion, JSON.stringify(batches[k]));
  }
  world = { net, r, holders, senders, rAt, busy, sample, total: opts.messages };
  phase('seal and store envelopes');
  return { ms: performance.now() - t0, envelopes, phases };
}

async function measure(): Promise<CatchupFigures> {
  const w = world!;
  const { r } = w;
  let added = 0;
  const errors: string[] = [];
  const off = r.engine.on((e) => {
    if (e.t === 'MessageAdded') added += 1;
    if (e.t === 'ProtocolError') errors.push(`${e.code}: ${e.message}`);
  });
  const heapBefore = heap();
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    const h = heap();
    if (h !== null && (heapPeak === null || h > heapPeak)) heapPeak = h;
  }, 20);
  w.busy.reset();
  hops.reset();
  Object.assign(counts, { fetches: 0, deletes: 0, replyBytes: 0 });
  w.busy.on = hops.on = true;

  const t0 = performance.now();
  w.net.setOnline(r.onion, true);
  let envelopes = 0;
  let rounds = 0;
  while (added < w.total && rounds < 5) {
    envelopes += await r.engine.fetchMail();
    rounds += 1;
  }
  const ms = performance.now() - t0;

  w.busy.on = hops.on = false;
  clearInterval(sampler);
  off();
  let stored = 0;
  for (const s of w.senders) {
    const c = await contactOf(r, s);
    const msgs = c ? await r.storage.listMessages(c.id) : [];
    stored += msgs.filter((m) => m.direction === 'in' && m.via === 'mailbox').length;
  }
  if (stored !== w.total) throw new Error(`R stored ${stored} of ${w.total} messages`);

  // HPKE alone, on envelopes of this run with R's own keys (opened by its vault, as openAll does).
  const kept = (await r.storage.getMeta<MailKey[]>('mbx:keys')) ?? [];
  const keys = await Promise.all(
    kept.map(async (k) => {
      const raw = fromBase64Url(k.privateKey);
      return k.sealed ? r.vault.identityBox.open(raw) : raw;
    }),
  );
  const h0 = performance.now();
  for (const s of w.sample) await openEnvelope(keys, s.mid, s.envelope);
  const hpkeOpenMs = (performance.now() - h0) / w.sample.length;

  return {
    ms,
    envelopes,
    messages: stored,
    rounds,
    storageMs: w.busy.ms,
    storageByMethod: { ...w.busy.byName },
    hopMs: hops.ms,
    ...counts,
    hpkeOpenMs,
    heapBefore,
    heapPeak,
    errors,
  };
}

async function teardown(): Promise<void> {
  const w = world;
  world = undefined;
  if (!w) return;
  await Promise.all([...w.holders, ...w.senders].map((p) => p.engine.stop()));
  await w.r.close();
}

export function install(web: WebParts): void {
  (globalThis as { chattorBench?: unknown }).chattorBench = {
    setup: (opts: SetupOptions) => setup(web, opts),
    measure,
    teardown,
  };
}
