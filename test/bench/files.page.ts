// The in-page half of files.ts (issue 4, files, Benchmarks): a file receiver built as the PWA builds it
// (engine-host.svelte.ts): ChatEngine on DexieEngineStorage and the key vault, the real BrowserFileStore
// (OPFS worker), and GatewayEngineTransport over a GatewayClient on the native WebSocket to the
// gateway's /local. It runs in the gateway's own page (the PWA, unpaired and idle), so the figures are
// the engine's, its storage's and the file store's, not the chat UI's.
import type { ChatEngineApi, ChatMessage, EngineEvent, FileStore } from '../../shared/protocol/api.js';
import { waitForContactLink } from '../../shared/protocol/contact-link.js';
import { ChatEngine } from '../../shared/protocol/engine.js';
import type { WebParts as MailWebParts } from './mail-catchup.page.js';
import { GatewayClient } from '../../web/lib/transport/gateway-client.js';
import { GatewayEngineTransport } from '../../web/lib/transport/engine-transport.js';
import type { LocalStatus } from '../../web/lib/transport/local-protocol.js';

/** mail-catchup.page.ts's WebParts, and the PWA's file store (web/lib/files), handed in the same way. */
export interface WebParts extends MailWebParts {
  BrowserFileStore: new (options: { db: unknown }) => FileStore & { dispose(): Promise<void> };
}

export interface StartOptions {
  token: string;
  name: string;
}

/** Times are epoch milliseconds (performance.timeOrigin + now), comparable with Node's. */
export interface ReceiveFigures {
  state: string;
  error?: string;
  size: number;
  acceptedAt: number | null;
  firstWriteAt: number | null;
  lastWriteAt: number | null;
  completeAt: number | null;
  writes: number;
  /** Summed time of the file store's writes (they run one after another, per transfer). */
  writeMs: number;
  heapBefore: number | null;
  heapPeak: number | null;
  errors: string[];
}

export const now = (): number => performance.timeOrigin + performance.now();
const heap = (): number | null =>
  (performance as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;

async function until(cond: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Watches a receiving engine's next incoming file: its states, its store's writes, the JS heap. */
export interface ReceiverWatch {
  /** Forgets the last transfer and watches the next one. */
  arm(): void;
  figures(): ReceiveFigures;
  /** Resolves once the watched file is complete, failed or cancelled. */
  settled(timeoutMs: number): Promise<ReceiveFigures>;
  dispose(): void;
}

/**
 * Used in Node (headless receiver) and in the page: wraps `files.write` of the very store the engine
 * writes through, so the first and last chunk written bound the chunk phase; accepts friend requests.
 */
export function watchReceiver(engine: ChatEngineApi, files: FileStore): ReceiverWatch {
  let fileId: string | null = null;
  let f: ReceiveFigures;
  const arm = (): void => {
    fileId = null;
    f = {
      state: 'none',
      size: 0,
      acceptedAt: null,
      firstWriteAt: null,
      lastWriteAt: null,
      completeAt: null,
      writes: 0,
      writeMs: 0,
      heapBefore: heap(),
      heapPeak: heap(),
      errors: [],
    };
  };
  arm();
  const sampler = setInterval(() => {
    const h = heap();
    if (h !== null && (f.heapPeak === null || h > f.heapPeak)) f.heapPeak = h;
  }, 50);
  const write = files.write.bind(files);
  files.write = async (id, offset, bytes) => {
    const t0 = now();
    f.firstWriteAt ??= t0;
    try {
      await write(id, offset, bytes);
    } finally {
      const t1 = now();
      f.writes += 1;
      f.writeMs += t1 - t0;
      if (f.size > 0 && offset + bytes.length >= f.size) f.lastWriteAt = t1;
    }
  };
  const onFile = (m: ChatMessage): void => {
    if (!m.file || m.direction !== 'in' || (fileId !== null && m.id !== fileId)) return;
    fileId = m.id;
    f.size = m.file.size;
    f.state = m.file.state;
    if (m.file.error) f.error = m.file.error;
    if (m.file.state === 'transferring') f.acceptedAt ??= now();
    if (m.file.state === 'complete') f.completeAt ??= now();
  };
  const off = engine.on((e: EngineEvent) => {
    if (e.t === 'ContactChanged' && e.contact.state === 'incoming-request')
      engine.acceptFriendRequest(e.contact.id).catch((err: unknown) => f.errors.push(String(err)));
    else if (e.t === 'MessageAdded' || e.t === 'MessageChanged') onFile(e.message);
    else if (e.t === 'ProtocolError') f.errors.push(`${e.code}: ${e.message}`);
  });
  const figures = (): ReceiveFigures => ({ ...f, errors: [...f.errors] });
  return {
    arm,
    figures,
    async settled(timeoutMs) {
      await until(() => ['complete', 'failed', 'cancelled'].includes(f.state), 'the file', timeoutMs);
      return figures();
    },
    dispose() {
      clearInterval(sampler);
      off();
      files.write = write;
    },
  };
}

interface Receiver {
  engine: ChatEngine;
  client: GatewayClient;
  files: FileStore & { dispose(): Promise<void> };
  db: { close(): void };
  watch: ReceiverWatch;
}

let rx: Receiver | undefined;

async function start(web: WebParts, opts: StartOptions): Promise<void> {
  // Not the app's own database ('chattor'): the unpaired PWA in this tab has it open.
  const db = new web.ChattorDb('chattor-bench');
  const vault = new web.KeyVault(db);
  await vault.load();
  const storage = new web.DexieEngineStorage(db);
  const files = new web.BrowserFileStore({ db });
  const errors: string[] = [];
  const client = new GatewayClient({ token: opts.token, onError: (e) => errors.push(String(e)) });
  let status: LocalStatus | null = null;
  client.on('StatusChanged', (e) => {
    status = e.status;
  });
  client.start();
  const transport = new GatewayEngineTransport(client, { status: () => status });
  const engine = new ChatEngine({
    storage,
    transport,
    files,
    autoAcceptBytes: () => 2 ** 40,
    identityBox: vault.identityBox,
    storageKey: () => vault.storageKey(),
  });
  rx = { engine, client, files, db, watch: watchReceiver(engine, files) };
  if (!(await engine.hasIdentity())) await engine.createIdentity(opts.name);
  // As engine-host.svelte.ts: start once the local link is open and the contact onion is known.
  await until(
    () => client.connection.state === 'open' && transport.contactOnion() !== undefined,
    'the local link and the contact onion',
    120_000,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}: link ${JSON.stringify(client.connection)}, errors ${errors.join('; ')}`);
  });
  await engine.start();
}

function contactLink(): Promise<string> {
  return waitForContactLink(rx!.engine);
}

/** Bytes of the largest received file in the Origin Private File System (-1: none, so IndexedDB took it). */
async function opfsBytes(): Promise<number> {
  let largest = -1;
  try {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('files');
    for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values())
      if (handle.kind === 'file')
        largest = Math.max(largest, (await (handle as FileSystemFileHandle).getFile()).size);
  } catch {
    // no OPFS, or nothing received into it
  }
  return largest;
}

async function stop(): Promise<void> {
  const r = rx;
  rx = undefined;
  if (!r) return;
  r.watch.dispose();
  await r.engine.stop();
  r.client.stop();
  await r.files.dispose();
  r.db.close();
}

export function install(web: WebParts): void {
  (globalThis as { chattorBench?: unknown }).chattorBench = {
    start: (opts: StartOptions) => start(web, opts),
    contactLink,
    opfsBytes,
    arm: () => rx!.watch.arm(),
    figures: () => rx!.watch.figures(),
    settled: (timeoutMs: number) => rx!.watch.settled(timeoutMs),
    stop,
  };
}
