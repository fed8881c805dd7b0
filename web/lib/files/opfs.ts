// Received files in the Origin Private File System (docs/protocol.md §6.4): the partial file
// `files/<fileId>.part`, written chunk by chunk at its offset. Runs in a dedicated worker
// (opfs.worker.ts), because only workers get a FileSystemSyncAccessHandle: it writes in place. The
// main thread's alternative, `createWritable({ keepExistingData: true })`, copies the whole file into
// a swap file on every open and back on every close, so a file of n chunks would cost O(n²) disk I/O.
//
// A sync access handle locks its file, so the handle stays open only between writes of one transfer
// and is closed before the file is handed out (`file`) or deleted.
import { missingCaseError } from '../../../shared/util/errors';

/** The parts of FileSystemSyncAccessHandle used here (structural, so specs can fake them). */
export interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  getSize(): number;
  close(): void;
}
export interface FileEntry {
  createSyncAccessHandle(): Promise<SyncHandle>;
  getFile(): Promise<File>;
}
export interface DirEntry {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileEntry>;
  removeEntry(name: string): Promise<void>;
}
export interface RootEntry {
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirEntry>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

export const FILES_DIR = 'files';

/** The partial file of a transfer. File ids are 32 lower-case hex characters (checked by the store). */
export function partName(fileId: string): string {
  return `${fileId}.part`;
}

/** Requests from the main thread to the worker, answered by an OpfsReply with the same id. */
export type OpfsRequest =
  | { id: number; op: 'probe' }
  | { id: number; op: 'write'; name: string; at: number; bytes: Uint8Array }
  | { id: number; op: 'read'; name: string; at: number; length: number }
  | { id: number; op: 'has'; name: string }
  | { id: number; op: 'file'; name: string }
  | { id: number; op: 'remove'; name: string }
  | { id: number; op: 'closeAll' };

export type OpfsReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; name: string; message: string };

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    (error.name === 'NotFoundError' || error.name === 'TypeMismatchError')
  );
}

export class OpfsFiles {
  readonly #root: () => Promise<RootEntry>;
  #dir: Promise<DirEntry> | null = null;
  readonly #open = new Map<string, SyncHandle>();
  /** One operation at a time: a handle must not be closed under a write that is waiting for it. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(root: () => Promise<RootEntry>) {
    this.#root = root;
  }

  /** Whether this context can write in place (a dedicated worker with OPFS). */
  probe(): Promise<boolean> {
    return this.#serial(async () => {
      const proto = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle
        ?.prototype;
      if (!proto || !('createSyncAccessHandle' in proto)) return false;
      await this.#directory();
      return true;
    });
  }

  /** Writes all of `bytes` at `at` (creating the file) and flushes before resolving. */
  write(name: string, at: number, bytes: Uint8Array): Promise<void> {
    return this.#serial(async () => {
      const handle = (await this.#handle(name, true))!;
      let written = 0;
      while (written < bytes.length) {
        const n = handle.write(bytes.subarray(written), { at: at + written });
        if (n <= 0) throw new DOMException('the file system wrote nothing', 'InvalidStateError');
        written += n;
      }
      handle.flush();
    });
  }

  /** Up to `length` bytes from `at` (fewer at the end of the file); null if there is no such file. */
  read(name: string, at: number, length: number): Promise<Uint8Array | null> {
    return this.#serial(async () => {
      const handle = await this.#handle(name, false);
      if (!handle) return null;
      const n = Math.max(0, Math.min(length, handle.getSize() - at));
      const out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = handle.read(out.subarray(got), { at: at + got });
        if (r <= 0) break;
        got += r;
      }
      return got === n ? out : out.slice(0, got);
    });
  }

  has(name: string): Promise<boolean> {
    return this.#serial(async () => (await this.#handle(name, false)) !== null);
  }

  /** The file itself (disk-backed), after closing its handle; null if there is none. */
  file(name: string): Promise<File | null> {
    return this.#serial(async () => {
      this.#close(name);
      try {
        const entry = await (await this.#directory()).getFileHandle(name);
        return await entry.getFile();
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
  }

  remove(name: string): Promise<void> {
    return this.#serial(async () => {
      this.#close(name);
      try {
        await (await this.#directory()).removeEntry(name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    });
  }

  /** Releases every lock (before the worker ends, or the directory is deleted). */
  closeAll(): Promise<void> {
    return this.#serial(() => {
      for (const name of [...this.#open.keys()]) this.#close(name);
      return Promise.resolve();
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #directory(): Promise<DirEntry> {
    this.#dir ??= this.#root()
      .then((root) => root.getDirectoryHandle(FILES_DIR, { create: true }))
      .catch((error: unknown) => {
        this.#dir = null;
        throw error;
      });
    return this.#dir;
  }

  async #handle(name: string, create: boolean): Promise<SyncHandle | null> {
    const open = this.#open.get(name);
    if (open) return open;
    let entry: FileEntry;
    try {
      entry = await (await this.#directory()).getFileHandle(name, { create });
    } catch (error) {
      if (!create && isNotFound(error)) return null;
      throw error;
    }
    const handle = await entry.createSyncAccessHandle();
    this.#open.set(name, handle);
    return handle;
  }

  #close(name: string): void {
    const handle = this.#open.get(name);
    if (!handle) return;
    this.#open.delete(name);
    handle.close();
  }
}

/** Runs one request (the worker's message handler, apart from postMessage). */
export async function handleOpfsRequest(files: OpfsFiles, req: OpfsRequest): Promise<OpfsReply> {
  try {
    return { id: req.id, ok: true, value: await dispatch(files, req) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { id: req.id, ok: false, name: e.name, message: e.message };
  }
}

function dispatch(files: OpfsFiles, req: OpfsRequest): Promise<unknown> {
  switch (req.op) {
    case 'probe':
      return files.probe();
    case 'write':
      return files.write(req.name, req.at, req.bytes);
    case 'read':
      return files.read(req.name, req.at, req.length);
    case 'has':
      return files.has(req.name);
    case 'file':
      return files.file(req.name);
    case 'remove':
      return files.remove(req.name);
    case 'closeAll':
      return files.closeAll();
    default:
      return Promise.reject(missingCaseError(req));
  }
}
