// The main thread's side of opfs.worker.ts: each call posts one request and resolves with its reply.
import { FILES_DIR, type OpfsReply, type OpfsRequest } from './opfs';

/** What the file store needs from the Origin Private File System (names are `<fileId>.part`). */
export interface OpfsBackend {
  write(name: string, at: number, bytes: Uint8Array): Promise<void>;
  /** Up to `length` bytes from `at`; null if there is no such file. */
  read(name: string, at: number, length: number): Promise<Uint8Array | null>;
  has(name: string): Promise<boolean>;
  /** The whole file, disk-backed; null if there is none. */
  file(name: string): Promise<File | null>;
  remove(name: string): Promise<void>;
  /** Releases the file locks and stops the worker. */
  dispose(): Promise<void>;
}

/** How long the worker may take to say whether it can write in place. */
const PROBE_MS = 10_000;

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
/** A request before the client numbers it. */
type WithoutId<R> = R extends OpfsRequest ? Omit<R, 'id'> : never;
type Request = WithoutId<OpfsRequest>;

class OpfsWorkerClient implements OpfsBackend {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | null = null;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.addEventListener('message', (event: MessageEvent<OpfsReply>) => this.#reply(event.data));
    worker.addEventListener('error', (event) => this.#fail(new Error(event.message || 'file worker failed')));
  }

  call(request: Request, transfer: Transferable[] = []): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }

  async write(name: string, at: number, bytes: Uint8Array): Promise<void> {
    // A copy is moved to the worker; the caller's buffer stays usable.
    const copy = bytes.slice();
    await this.call({ op: 'write', name, at, bytes: copy }, [copy.buffer]);
  }

  async read(name: string, at: number, length: number): Promise<Uint8Array | null> {
    return (await this.call({ op: 'read', name, at, length })) as Uint8Array | null;
  }

  async has(name: string): Promise<boolean> {
    return (await this.call({ op: 'has', name })) === true;
  }

  async file(name: string): Promise<File | null> {
    return (await this.call({ op: 'file', name })) as File | null;
  }

  async remove(name: string): Promise<void> {
    await this.call({ op: 'remove', name });
  }

  async dispose(): Promise<void> {
    try {
      await this.call({ op: 'closeAll' });
    } finally {
      this.#worker.terminate();
      this.#fail(new DOMException('the file store was closed', 'AbortError'));
    }
  }

  #reply(reply: OpfsReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new DOMException(reply.message, reply.name));
  }

  #fail(error: Error): void {
    this.#dead ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}

/**
 * Starts the worker and resolves with it once it has shown it can write in place; null where the
 * browser has no OPFS, no sync access handles or no module workers (Tor Browser's private mode).
 */
export async function startOpfsWorker(): Promise<OpfsBackend | null> {
  if (typeof Worker === 'undefined' || typeof navigator === 'undefined' || !navigator.storage?.getDirectory)
    return null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./opfs.worker.ts', import.meta.url), {
      type: 'module',
      name: 'chattor-files',
    });
  } catch {
    return null;
  }
  const client = new OpfsWorkerClient(worker);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_MS)));
  const ok = await Promise.race([client.call({ op: 'probe' }).catch(() => false), timeout]);
  clearTimeout(timer);
  if (ok === true) return client;
  worker.terminate();
  return null;
}

/** Deletes every received file in the Origin Private File System (wipe); best effort. */
export async function removeOpfsFiles(): Promise<void> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return;
  try {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(FILES_DIR, { recursive: true });
  } catch {
    // Missing directory, or no OPFS in this mode: nothing to delete.
  }
}
