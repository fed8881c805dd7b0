// The PWA's FileStore (shared/protocol/api.ts, docs/protocol.md §6). Files we send are kept as Blobs
// in IndexedDB (`files`), so a transfer resumes after a reload; Chromium keeps such blobs on disk, and
// reading a slice never loads the whole file. Files we receive are written into the Origin Private File
// System through a worker (opfs.ts), or, where there is none (Tor Browser's private mode), into
// IndexedDB rows of one chunk each (`fileChunks`). File ids are the file messages' ids.
import { Dexie } from 'dexie';
import type { FileStore, Id } from '../../../shared/protocol/api';
import { ChattorError } from '../../../shared/util/errors';
import { getDb, type ChattorDb, type FileChunkRow } from '../db/db';
import { partName } from './opfs';
import { removeOpfsFiles, startOpfsWorker, type OpfsBackend } from './opfs-client';

const FILE_ID = /^[0-9a-f]{32}$/;
/** docs/protocol.md §6.1: sizes are at most 2^40 bytes. */
const MAX_OFFSET = 2 ** 40;

export interface BrowserFileStoreOptions {
  /** Default: the app's database (getDb). */
  db?: ChattorDb;
  /** Starts the OPFS backend, or resolves null where there is none. Default: the worker. */
  opfs?: () => Promise<OpfsBackend | null>;
  /** Asks the browser to keep this site's storage under pressure. Default: navigator.storage.persist. */
  persist?: () => Promise<unknown>;
}

/** Where a file's bytes are: kept for sending, received into OPFS, or received into IndexedDB. */
type Place = 'kept' | 'opfs' | 'idb';

function checkId(fileId: Id): void {
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId))
    throw new ChattorError('E_BAD_INPUT', 'file id must be 32 lower-case hex characters');
}

function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > MAX_OFFSET)
    throw new ChattorError('E_BAD_INPUT', 'file offset out of range');
  if (!Number.isSafeInteger(length) || length < 0)
    throw new ChattorError('E_BAD_INPUT', 'file length out of range');
}

function notFound(): ChattorError {
  return new ChattorError('E_BAD_INPUT', 'no file is stored under that id');
}

function sizeOf(data: FileChunkRow['data']): number {
  return data instanceof Blob ? data.size : data.byteLength;
}

function defaultPersist(): Promise<unknown> {
  const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
  if (!storage?.persist) return Promise.resolve(false);
  return storage.persisted().then((already) => already || storage.persist());
}

export class BrowserFileStore implements FileStore {
  readonly #db: () => ChattorDb;
  readonly #startOpfs: () => Promise<OpfsBackend | null>;
  readonly #persist: () => Promise<unknown>;
  #opfs: Promise<OpfsBackend | null> | null = null;
  #persistAsked = false;
  /** IndexedDB took a Blob for a chunk row; false once it refused one (then rows hold the bytes). */
  #blobRows = true;
  /** Blobs of kept files, by id (disk-backed handles, not their bytes). */
  readonly #kept = new Map<Id, Blob>();
  readonly #place = new Map<Id, Place>();

  constructor(options: BrowserFileStoreOptions = {}) {
    const db = options.db;
    this.#db = db ? () => db : getDb;
    this.#startOpfs = options.opfs ?? startOpfsWorker;
    this.#persist = options.persist ?? defaultPersist;
  }

  async keep(fileId: Id, source: unknown): Promise<void> {
    checkId(fileId);
    if (!(source instanceof Blob))
      throw new ChattorError('E_BAD_INPUT', 'a file to send must be a File or Blob');
    this.#askPersist();
    this.#kept.set(fileId, source);
    this.#place.set(fileId, 'kept');
    const table = this.#db().files;
    try {
      await table.put({ fileId, blob: source });
      // Read from the stored copy from now on: it stays the same even if the user edits the original.
      const row = await table.get(fileId);
      if (row && this.#kept.has(fileId)) this.#kept.set(fileId, row.blob);
    } catch {
      // This IndexedDB takes no blobs (private modes) or has no room: the transfer still works from the
      // picked file while this page lives, but cannot resume after a reload.
    }
  }

  async read(fileId: Id, offset: number, length: number): Promise<Uint8Array> {
    checkId(fileId);
    checkRange(offset, length);
    switch (await this.#where(fileId)) {
      case 'kept': {
        const blob = this.#kept.get(fileId);
        if (!blob) throw notFound();
        return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      }
      case 'opfs': {
        const bytes = await (await this.#backend())?.read(partName(fileId), offset, length);
        if (!bytes) throw notFound();
        return bytes;
      }
      case 'idb':
        return this.#readRows(fileId, offset, length);
      case null:
        throw notFound();
    }
  }

  async write(fileId: Id, offset: number, bytes: Uint8Array): Promise<void> {
    checkId(fileId);
    if (!(bytes instanceof Uint8Array))
      throw new ChattorError('E_BAD_INPUT', 'file bytes must be a Uint8Array');
    checkRange(offset, bytes.length);
    this.#askPersist();
    let place = this.#place.get(fileId);
    if (place === 'kept') throw new ChattorError('E_BAD_INPUT', 'that file is one we send');
    if (!place) {
      // A file started in IndexedDB stays there, so one file never ends up split between the two.
      place = (await this.#hasRows(fileId)) || !(await this.#backend()) ? 'idb' : 'opfs';
      this.#place.set(fileId, place);
    }
    if (place === 'opfs') {
      const opfs = await this.#backend();
      if (!opfs) throw new ChattorError('E_INTERNAL', 'the file system is gone');
      await opfs.write(partName(fileId), offset, bytes);
    } else {
      await this.#writeRow(fileId, offset, bytes);
    }
  }

  async remove(fileId: Id): Promise<void> {
    checkId(fileId);
    this.#kept.delete(fileId);
    this.#place.delete(fileId);
    const db = this.#db();
    await db.files.delete(fileId);
    await this.#rows(fileId).delete();
    await (await this.#backend())?.remove(partName(fileId));
  }

  /**
   * The whole file (kept or received), disk-backed where the browser allows, with `type` as its MIME
   * type; null if none is stored. Nothing is read into memory until the Blob is.
   */
  async getFile(fileId: Id, type = ''): Promise<Blob | null> {
    checkId(fileId);
    let blob: Blob | null = null;
    switch (await this.#where(fileId)) {
      case 'kept':
        blob = this.#kept.get(fileId) ?? null;
        break;
      case 'opfs':
        blob = (await (await this.#backend())?.file(partName(fileId))) ?? null;
        break;
      case 'idb':
        // Concatenating stored Blobs references them; it copies nothing into JS memory.
        blob = new Blob((await this.#rows(fileId).toArray()).map((row) => row.data));
        break;
      case null:
        return null;
    }
    return blob && blob.slice(0, blob.size, type);
  }

  /** An object URL for the file (the caller revokes it), or null if none is stored. */
  async objectUrl(fileId: Id, type = ''): Promise<string | null> {
    const blob = await this.getFile(fileId, type);
    return blob ? URL.createObjectURL(blob) : null;
  }

  /** Stops the OPFS worker (releasing its file locks); a later call starts it again. */
  async dispose(): Promise<void> {
    const opfs = this.#opfs;
    this.#opfs = null;
    this.#place.clear();
    await (await opfs)?.dispose();
  }

  #backend(): Promise<OpfsBackend | null> {
    this.#opfs ??= this.#startOpfs().catch(() => null);
    return this.#opfs;
  }

  #askPersist(): void {
    if (this.#persistAsked) return;
    this.#persistAsked = true;
    // Without it the browser may evict a half-received file under storage pressure. A refusal (or a
    // prompt the user ignores) changes nothing else.
    this.#persist().catch(() => undefined);
  }

  async #where(fileId: Id): Promise<Place | null> {
    const known = this.#place.get(fileId);
    if (known) return known;
    let place: Place | null = null;
    const row = await this.#db().files.get(fileId);
    if (row) {
      this.#kept.set(fileId, row.blob);
      place = 'kept';
    } else if (await (await this.#backend())?.has(partName(fileId))) place = 'opfs';
    else if (await this.#hasRows(fileId)) place = 'idb';
    if (place) this.#place.set(fileId, place);
    return place;
  }

  #rows(fileId: Id): Dexie.Collection<FileChunkRow, [Id, number]> {
    return this.#db()
      .fileChunks.where('[fileId+offset]')
      .between([fileId, Dexie.minKey], [fileId, Dexie.maxKey], true, true);
  }

  async #hasRows(fileId: Id): Promise<boolean> {
    return (await this.#rows(fileId).first()) !== undefined;
  }

  async #writeRow(fileId: Id, offset: number, bytes: Uint8Array): Promise<void> {
    const table = this.#db().fileChunks;
    // A copy: the row must not share the engine's buffer. The engine writes chunk i at i · chunk, so a
    // rewritten chunk (after a resume) replaces its row.
    const data = bytes.slice();
    if (this.#blobRows) {
      try {
        await table.put({ fileId, offset, data: new Blob([data]) });
        return;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'DataCloneError') throw error;
        this.#blobRows = false;
      }
    }
    await table.put({ fileId, offset, data });
  }

  /** Bytes [offset, offset + length) from the chunk rows, up to the first gap or the end. */
  async #readRows(fileId: Id, offset: number, length: number): Promise<Uint8Array> {
    const end = offset + length;
    const key = '[fileId+offset]';
    const table = this.#db().fileChunks;
    // The row that starts at or before `offset`, then every row that starts inside the range.
    const first = await table.where(key).between([fileId, Dexie.minKey], [fileId, offset], true, true).last();
    const rest = await table.where(key).between([fileId, offset], [fileId, end], false, false).toArray();
    const parts: BlobPart[] = [];
    let at = offset;
    for (const row of first ? [first, ...rest] : rest) {
      if (row.offset > at) break;
      const to = Math.min(end, row.offset + sizeOf(row.data));
      if (to <= at) continue;
      const from = at - row.offset;
      const data = row.data;
      parts.push(
        data instanceof Blob ? data.slice(from, to - row.offset) : data.subarray(from, to - row.offset),
      );
      at = to;
    }
    return new Uint8Array(await new Blob(parts).arrayBuffer());
  }
}

/** Deletes every received file kept outside IndexedDB (Settings › Wipe this device). */
export function removeAllFiles(): Promise<void> {
  return removeOpfsFiles();
}
