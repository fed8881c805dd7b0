// Implements docs/protocol.md §6: file offers, chunked transfer with a window of acknowledged chunks,
// resume from the last acknowledged chunk, pause, cancel, and the hash check on completion. Chunks are
// encrypted and written outside the engine's serial queue (one queue per transfer); every storage change
// of the engine's records and every ratchet step runs on the serial queue.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import {
  CHUNK,
  chunkCount,
  chunkLength,
  decryptChunk,
  encryptChunk,
  importFileKey,
  MAX_FILE_SIZE,
  type FileParams,
} from '../crypto/file-stream.js';
import type { SymmetricKey } from '../crypto/primitives.js';
import { equalBytes, fromBase64Url, fromHex, toBase64Url, toHex } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { ChatMessage, EngineOptions, FileInfo, FileInput, FileState, FileStore, Id } from './api.js';
import { encodeChunkBody, fileStream, randomId } from './body.js';
import type { Core } from './core.js';
import { isFileName, isFileType, type FilePayload, type Payload } from './payload.js';
import { Serial, type PeerRecord } from './state.js';

export const WINDOW = 16;
export const ACK_EVERY = 4;
export const LOCAL_BUFFER_LIMIT = 1024 * 1024;
export const STALL_MS = 10_000;
export const DEFAULT_AUTO_ACCEPT = 10 * 1024 * 1024;
const HASH_SLICE = 4 * 1024 * 1024;
const WAIT_MS = 5;

/** The offer's file fields (§6.1): what both sides keep of a transfer. */
type FileFields = Pick<FilePayload, 'name' | 'size' | 'type' | 'chunk' | 'key' | 'nonce' | 'hash'>;

/** The engine's record of one transfer, in storage meta `file:<id>`. */
export interface TransferRecord extends FileFields {
  fileId: Id;
  contactId: Id;
  direction: 'in' | 'out';
  state: FileState;
  /** Receiver: the next chunk it needs. Sender: the receiver's last `next` (all below are written). */
  next: number;
  error?: string;
}

const recordKey = (fileId: Id): string => `file:${fileId}`;
const TRANSFERS = 'files:active';

interface Live {
  rec: TransferRecord;
  /** Receiver: the outbox id of the latest `file-get`, replaced by the next one. */
  pendingGet?: Id;
  params?: FileParams;
  queue: Serial;
  /** Sender: the next chunk to write to the link. */
  sent: number;
  pumping: boolean;
  wake?: () => void;
  lastProgressAt: number;
  lastEmitAt: number;
  rate: { at: number; done: number }[];
}

export class FileAgent {
  private readonly live = new Map<Id, Live>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = true;

  constructor(
    private readonly core: Core,
    private readonly store: FileStore,
    private readonly opts: Pick<EngineOptions, 'autoAcceptBytes'>,
  ) {}

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Serial (engine start): loads unfinished transfers; receivers ask for the rest. It also finishes
   * what a crash (a killed tab) cut short between the writes of an ending: a receiver that holds every
   * chunk checks the hash and completes (asking for nothing would wait for ever), and an ended transfer
   * still listed gets its message updated and leaves the list.
   */
  async start(): Promise<void> {
    this.stopped = false;
    for (const id of await this.activeIds()) {
      const rec = await this.core.storage.getMeta<TransferRecord | null>(recordKey(id));
      if (!rec) continue;
      const l = this.track(rec);
      if (!isActive(rec.state)) {
        await this.setState(l, rec.state);
        continue;
      }
      if (rec.direction !== 'in' || rec.state !== 'transferring') continue;
      if (rec.next >= chunkCount(rec.size, rec.chunk)) void l.queue.run(() => this.finishIncoming(l));
      else await this.askFrom(l);
    }
    this.timer = setInterval(() => void this.watchdog(), STALL_MS / 2);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const l of this.live.values()) l.wake?.();
    this.live.clear();
  }

  /** Serial: a link to a contact opened: receivers ask for the rest of their transfers. */
  async linkOpened(contactId: Id): Promise<void> {
    for (const l of this.live.values()) {
      if (l.rec.contactId !== contactId) continue;
      if (l.rec.direction === 'in' && l.rec.state === 'transferring') await this.askFrom(l);
      l.wake?.();
    }
  }

  // ── the API (serial) ───────────────────────────────────────────────────────────────────────────

  /** Not serial: keeps and hashes the file (seconds for a large one), then offers it on the queue. */
  async offer(contactId: Id, input: FileInput, check: () => Promise<PeerRecord>): Promise<ChatMessage> {
    if (typeof input !== 'object' || input === null)
      throw new ChattorError('E_BAD_INPUT', 'file: {name, size, type, source} expected');
    if (!isFileName(input.name))
      throw new ChattorError('E_BAD_INPUT', 'file name: 1..255 characters, no control characters or slashes');
    if (!Number.isSafeInteger(input.size) || input.size < 0 || input.size > MAX_FILE_SIZE)
      throw new ChattorError('E_BAD_INPUT', 'file size out of range');
    const type = isFileType(input.type) ? input.type : '';
    await check();
    const fileBytes = this.core.rng(16);
    const fileId = toHex(fileBytes);
    await this.store.keep(fileId, input.source);
    let hash: Uint8Array;
    try {
      hash = await this.hashOf(fileId, input.size);
    } catch (e) {
      await this.store.remove(fileId).catch(() => undefined);
      throw e;
    }
    return this.core.serial.run(async () => {
      const peer = await check();
      const core = this.core;
      const sentAt = Math.max(core.now(), peer.lastSentAt + 1);
      const fields: FileFields = {
        name: input.name,
        size: input.size,
        type,
        chunk: CHUNK,
        key: toBase64Url(core.rng(32)),
        nonce: toBase64Url(core.rng(7)),
        hash: toBase64Url(hash),
      };
      const rec: TransferRecord = {
        ...fields,
        fileId,
        contactId,
        direction: 'out',
        state: 'offered',
        next: 0,
      };
      const message: ChatMessage = {
        id: fileId,
        contactId,
        direction: 'out',
        body: input.name,
        sentAt,
        seq: peer.nextSeqOut,
        state: 'queued',
        file: info(rec),
      };
      const next = { ...peer, nextSeqOut: peer.nextSeqOut + 1, lastSentAt: sentAt };
      const payload: FilePayload = { t: 'file', id: fileId, seq: message.seq, sentAt, ...fields };
      await core.sendPayload(next, payload, {
        kind: 'message',
        messageId: fileId,
        deferFlush: true,
        also: async () => {
          await core.storage.putMessage(message);
          await core.putPeer(next);
          await this.create(rec);
        },
      });
      this.track(rec);
      core.emit({ t: 'MessageAdded', message });
      await core.flush(contactId, next);
      return (await core.storage.getMessage(fileId)) ?? message;
    });
  }

  async accept(messageId: Id): Promise<void> {
    const l = await this.get(messageId, 'in');
    if (l.rec.state !== 'offered') throw new ChattorError('E_STATE', `the file is ${l.rec.state}`);
    await this.setState(l, 'transferring');
    await this.askFrom(l);
  }

  async pause(messageId: Id): Promise<void> {
    const l = await this.get(messageId);
    if (l.rec.state !== 'transferring') throw new ChattorError('E_STATE', `the file is ${l.rec.state}`);
    await this.setState(l, 'paused');
    l.wake?.();
  }

  async resume(messageId: Id): Promise<void> {
    const l = await this.get(messageId);
    if (l.rec.state !== 'paused') throw new ChattorError('E_STATE', `the file is ${l.rec.state}`);
    await this.setState(l, 'transferring');
    if (l.rec.direction === 'in') await this.askFrom(l);
    else {
      l.sent = l.rec.next;
      this.pump(l);
    }
  }

  /** Serial. Cancels locally and tells the peer. */
  async cancel(messageId: Id, reason: string): Promise<void> {
    const l = await this.get(messageId);
    if (!isActive(l.rec.state) && l.rec.state !== 'offered') return;
    await this.end(l, 'cancelled', reason === 'cancelled' ? 'cancelled' : reason, true);
  }

  // ── payloads from the peer (serial, via inbound-msg) ───────────────────────────────────────────

  /** A `file` offer was stored as a message: record the transfer; accept small ones at once. */
  async offered(contactId: Id, p: FilePayload): Promise<void> {
    if (this.live.has(p.id) || (await this.core.storage.getMeta(recordKey(p.id)))) return;
    const { name, size, type, chunk, key, nonce, hash } = p;
    const rec: TransferRecord = {
      ...{ name, size, type, chunk, key, nonce, hash },
      fileId: p.id,
      contactId,
      direction: 'in',
      state: 'offered',
      next: 0,
    };
    await this.create(rec);
    const l = this.track(rec);
    const limit = this.opts.autoAcceptBytes?.() ?? DEFAULT_AUTO_ACCEPT;
    if (p.size <= limit) {
      await this.setState(l, 'transferring');
      await this.askFrom(l);
    }
  }

  async onGet(contactId: Id, p: Payload & { t: 'file-get' }): Promise<void> {
    const l = this.live.get(p.file);
    if (!l || l.rec.contactId !== contactId || l.rec.direction !== 'out') return;
    if (l.rec.state === 'complete' || l.rec.state === 'cancelled' || l.rec.state === 'failed') return;
    const n = chunkCount(l.rec.size, l.rec.chunk);
    if (p.from > n) throw new ChattorError('E_BAD_INPUT', 'file-get beyond the end of the file');
    if (l.rec.state === 'offered') await this.setState(l, 'transferring');
    if (p.from > l.rec.next) await this.acked(l, p.from);
    l.sent = p.from;
    if (l.rec.state === 'transferring') this.pump(l);
  }

  async onAck(contactId: Id, p: Payload & { t: 'file-ack' }): Promise<void> {
    const l = this.live.get(p.file);
    if (!l || l.rec.contactId !== contactId || l.rec.direction !== 'out') return;
    if (p.next > chunkCount(l.rec.size, l.rec.chunk))
      throw new ChattorError('E_BAD_INPUT', 'file-ack beyond the end');
    if (p.next > l.rec.next) await this.acked(l, p.next);
    l.wake?.();
  }

  /** The receiver holds the whole file, hash checked: the sender completes (once; a repeat is ignored). */
  async onDone(contactId: Id, p: Payload & { t: 'file-done' }): Promise<void> {
    const l = this.live.get(p.file);
    if (!l || l.rec.contactId !== contactId || l.rec.direction !== 'out') return;
    if (l.rec.state === 'cancelled' || l.rec.state === 'failed') return;
    await this.acked(l, chunkCount(l.rec.size, l.rec.chunk));
  }

  async onCancel(contactId: Id, p: Payload & { t: 'file-cancel' }): Promise<void> {
    const l = this.live.get(p.file);
    if (!l || l.rec.contactId !== contactId) return;
    if (l.rec.state === 'complete') return;
    await this.end(l, 'cancelled', p.reason || 'cancelled by your friend', false);
  }

  // ── chunks (not serial: the transfer's own queue) ──────────────────────────────────────────────

  /**
   * A chunk body arrived (on any link: incoming links have no onion to tell whose they are; only the
   * sender has the file key, and a chunk that fails authentication ends the transfer, §6.2). Never throws.
   */
  onChunk(_link: number, fileId: Uint8Array, index: number, ciphertext: Uint8Array): void {
    const l = this.live.get(toHex(fileId));
    if (!l || l.rec.direction !== 'in') return;
    const copy = ciphertext.slice();
    void l.queue.run(async () => {
      if (l.rec.state !== 'transferring' || index !== l.rec.next) return; // paused, duplicate or ahead of a gap
      const params = await this.paramsOf(l);
      let plaintext: Uint8Array;
      try {
        plaintext = await decryptChunk(params, index, copy);
      } catch (e) {
        const why =
          e instanceof ChattorError && e.code === 'E_BAD_INPUT' ? e.message : 'a chunk failed authentication';
        await this.core.serial.run(() => this.end(l, 'failed', why, true));
        return;
      }
      await this.store.write(l.rec.fileId, index * l.rec.chunk, plaintext);
      l.rec.next = index + 1;
      l.lastProgressAt = Date.now();
      const n = chunkCount(l.rec.size, l.rec.chunk);
      if (l.rec.next === n) await this.finishIncoming(l);
      else if (l.rec.next % ACK_EVERY === 0) await this.core.serial.run(() => this.progressIn(l));
    });
  }

  private async finishIncoming(l: Live): Promise<void> {
    let ok = false;
    try {
      ok = equalBytes(await this.hashOf(l.rec.fileId, l.rec.size), fromBase64Url(l.rec.hash));
    } catch {
      ok = false;
    }
    await this.core.serial.run(async () => {
      if (!ok) return this.end(l, 'failed', 'the file does not match its hash', true);
      await this.save(l.rec);
      // Kept before `complete` is saved: a crash in between finishes again on start and tells again.
      await this.send(l.rec.contactId, { t: 'file-done', id: this.id(), file: l.rec.fileId }, true);
      await this.setState(l, 'complete');
    });
  }

  /** Serial: persist the receiver's progress and acknowledge it. */
  private async progressIn(l: Live): Promise<void> {
    await this.save(l.rec);
    await this.updateMessage(l);
    await this.send(l.rec.contactId, { t: 'file-ack', file: l.rec.fileId, next: l.rec.next }, false);
    this.progress(l, true);
  }

  /** Serial: the sender learns the receiver has everything below `next`. */
  private async acked(l: Live, next: number): Promise<void> {
    l.rec.next = next;
    l.lastProgressAt = Date.now();
    if (next === chunkCount(l.rec.size, l.rec.chunk)) {
      await this.setState(l, 'complete');
      return;
    }
    await this.save(l.rec);
    await this.updateMessage(l);
    this.progress(l, false);
  }

  /** Not serial: writes chunks while the window and the local link allow. One pump per transfer. */
  private pump(l: Live): void {
    if (l.pumping) {
      l.wake?.();
      return;
    }
    l.pumping = true;
    void (async () => {
      try {
        const n = chunkCount(l.rec.size, l.rec.chunk);
        const params = await this.paramsOf(l);
        const fileBytes = fromHex(l.rec.fileId);
        const stream = fileStream(fileBytes);
        // The peer record (for its onion) is read again only when no link reaches the contact.
        let peer = await this.core.getPeer(l.rec.contactId);
        while (!this.stopped && l.rec.state === 'transferring' && this.live.get(l.rec.fileId) === l) {
          if (
            l.sent >= n ||
            l.sent >= l.rec.next + WINDOW ||
            (this.core.transport.buffered?.() ?? 0) > LOCAL_BUFFER_LIMIT
          ) {
            await this.waitFor(l, l.sent >= n ? STALL_MS : WAIT_MS * 4);
            continue;
          }
          const link = peer && this.core.linkFor(peer);
          if (link === undefined) {
            await this.waitFor(l, 200);
            peer = await this.core.getPeer(l.rec.contactId);
            continue;
          }
          const i = l.sent;
          const plaintext = await this.store.read(l.rec.fileId, i * l.rec.chunk, chunkLength(l.rec, i));
          const body = encodeChunkBody(fileBytes, i, await encryptChunk(params, i, plaintext));
          if (l.sent !== i) continue; // a file-get moved the position meanwhile
          if (!this.core.trySend(link, body, stream)) continue;
          l.sent = i + 1;
        }
      } catch (e) {
        this.core.protocolError(e, l.rec.contactId);
      } finally {
        l.pumping = false;
      }
    })();
  }

  private waitFor(l: Live, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        if (l.wake === done) l.wake = undefined;
        resolve();
      }
      l.wake = done;
    });
  }

  /** Receivers whose transfer made no progress for STALL_MS ask again (a chunk was lost in a cut). */
  private async watchdog(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    for (const l of this.live.values()) {
      if (l.rec.direction !== 'in' || l.rec.state !== 'transferring' || now - l.lastProgressAt < STALL_MS)
        continue;
      l.lastProgressAt = now;
      await this.core.serial.run(() => this.askFrom(l)).catch((e: unknown) => this.core.protocolError(e));
    }
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  /** Serial: receiver asks for the chunks from its `next`. */
  private async askFrom(l: Live): Promise<void> {
    l.lastProgressAt = Date.now();
    // Kept in the outbox (so the engine dials the sender if no link is open, e.g. after our tor
    // restarted and the sender's dial to us is slow to come back); only the newest one is kept.
    if (l.pendingGet) await this.core.storage.deleteOutbox(l.pendingGet);
    const id = this.id();
    l.pendingGet = id;
    await this.send(l.rec.contactId, { t: 'file-get', id, file: l.rec.fileId, from: l.rec.next }, true);
  }

  private id(): Id {
    return randomId(this.core.rng);
  }

  /** Serial: a payload to the contact, kept in the outbox (`keep`) or written if a link is open. */
  private send(contactId: Id, payload: Payload, keep: boolean): Promise<void> {
    const messageId = 'id' in payload ? payload.id : undefined;
    return this.core.sendTo(
      contactId,
      payload,
      keep ? { kind: 'control', ...(messageId ? { messageId } : {}) } : {},
    );
  }

  /** Serial: finish a transfer as cancelled or failed; delete the data; tell the peer if asked. */
  private async end(l: Live, state: 'cancelled' | 'failed', reason: string, tell: boolean): Promise<void> {
    l.rec.error = reason;
    await this.setState(l, state);
    l.wake?.();
    this.live.delete(l.rec.fileId);
    await this.store.remove(l.rec.fileId).catch(() => undefined);
    if (tell)
      await this.send(l.rec.contactId, { t: 'file-cancel', id: this.id(), file: l.rec.fileId, reason }, true);
  }

  private async setState(l: Live, state: FileState): Promise<void> {
    l.rec.state = state;
    await this.save(l.rec);
    await this.updateMessage(l);
    if (!isActive(state)) {
      const ids = (await this.activeIds()).filter((id) => id !== l.rec.fileId);
      await this.core.storage.putMeta(TRANSFERS, ids);
      if (state === 'complete' && l.rec.direction === 'out')
        await this.store.remove(l.rec.fileId).catch(() => undefined);
      this.live.delete(l.rec.fileId);
    }
    this.progress(l, true);
  }

  private save(rec: TransferRecord): Promise<void> {
    return this.core.storage.putMeta(recordKey(rec.fileId), rec);
  }

  /** A new transfer is saved and listed among the unfinished ones (loaded by `start`). */
  private async create(rec: TransferRecord): Promise<void> {
    await this.save(rec);
    await this.core.storage.putMeta(TRANSFERS, [...(await this.activeIds()), rec.fileId]);
  }

  private async activeIds(): Promise<Id[]> {
    return (await this.core.storage.getMeta<Id[]>(TRANSFERS)) ?? [];
  }

  private async updateMessage(l: Live): Promise<void> {
    const m = await this.core.storage.getMessage(l.rec.fileId);
    if (!m) return;
    const changed: ChatMessage = { ...m, file: info(l.rec) };
    await this.core.storage.putMessage(changed);
    this.core.emit({ t: 'MessageChanged', message: changed });
  }

  private progress(l: Live, force: boolean): void {
    const now = Date.now();
    const done = doneBytes(l.rec);
    l.rate.push({ at: now, done });
    while (l.rate.length > 2 && now - l.rate[0]!.at > 5000) l.rate.shift();
    if (!force && now - l.lastEmitAt < 200) return;
    l.lastEmitAt = now;
    const first = l.rate[0]!;
    const bytesPerSecond = now > first.at ? Math.round(((done - first.done) * 1000) / (now - first.at)) : 0;
    this.core.emit({
      t: 'FileProgress',
      messageId: l.rec.fileId,
      contactId: l.rec.contactId,
      done,
      total: l.rec.size,
      bytesPerSecond,
    });
  }

  private track(rec: TransferRecord): Live {
    const l: Live = {
      rec,
      queue: new Serial(),
      sent: rec.next,
      pumping: false,
      lastProgressAt: Date.now(),
      lastEmitAt: 0,
      rate: [],
    };
    this.live.set(rec.fileId, l);
    return l;
  }

  private async get(messageId: Id, direction?: 'in' | 'out'): Promise<Live> {
    const l =
      this.live.get(messageId) ??
      (await this.core.storage
        .getMeta<TransferRecord | null>(recordKey(messageId))
        .then((r) => (r ? this.track(r) : undefined)));
    if (!l || (direction && l.rec.direction !== direction))
      throw new ChattorError('E_BAD_INPUT', 'unknown file');
    return l;
  }

  private async paramsOf(l: Live): Promise<FileParams> {
    if (!l.params) {
      const key: SymmetricKey = await importFileKey(fromBase64Url(l.rec.key));
      l.params = {
        key,
        noncePrefix: fromBase64Url(l.rec.nonce),
        fileId: fromHex(l.rec.fileId),
        size: l.rec.size,
        chunk: l.rec.chunk,
      };
    }
    return l.params;
  }

  /** SHA-256 of a kept or received file, read in slices (never whole in memory). */
  private async hashOf(fileId: Id, size: number): Promise<Uint8Array> {
    const h = nobleSha256.create();
    for (let off = 0; off < size; off += HASH_SLICE) {
      h.update(await this.store.read(fileId, off, Math.min(HASH_SLICE, size - off)));
    }
    return h.digest();
  }
}

function isActive(s: FileState): boolean {
  return s === 'transferring' || s === 'paused' || s === 'offered';
}

function doneBytes(rec: TransferRecord): number {
  return Math.min(rec.size, rec.next * rec.chunk);
}

function info(rec: TransferRecord): FileInfo {
  return {
    name: rec.name,
    size: rec.size,
    type: rec.type,
    state: rec.state,
    done: doneBytes(rec),
    ...(rec.error ? { error: rec.error } : {}),
  };
}
