// The home vault and the engine lease, docs/protocol.md §2.4: an opaque blob (the client's identity and
// state, sealed in the browser) that this gateway keeps for the user's stateless Tor Browser sessions, a
// generation counter that grows with every write, and the lease that lets one local client at a time run
// the engine on it, so that two engines never fork one identity's ratchets.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toBase64Url } from '../shared/util/bytes.js';
import { ChattorError } from '../shared/util/errors.js';
import { writePrivateFile } from './home.js';

/** The largest blob the gateway keeps (§2.4). */
export const MAX_VAULT_BLOB = 16 * 1024 * 1024;
const FILE = 'home-vault.bin';
/** `generation (u64) || blob`. */
const HEADER = 8;

export interface LeaseGrant {
  lease: string;
  generation: number;
  /** The client that held the lease until now (it is told it lost it). */
  previous?: object;
}

export class HomeVault {
  #blob: Uint8Array | null = null;
  #generation = 0;
  #holder: object | null = null;
  #lease: string | null = null;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(private readonly dataDir: string) {}

  static async open(dataDir: string): Promise<HomeVault> {
    const v = new HomeVault(dataDir);
    try {
      const bytes = new Uint8Array(await readFile(join(dataDir, FILE)));
      if (bytes.length >= HEADER)
        v.#generation = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0));
      if (bytes.length > HEADER) v.#blob = bytes.slice(HEADER);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return v;
  }

  get generation(): number {
    return this.#generation;
  }

  get(): { blob: Uint8Array; generation: number } | null {
    return this.#blob ? { blob: this.#blob, generation: this.#generation } : null;
  }

  /**
   * Gives the lease to `holder` (a local WebSocket). Held by another: E_LEASE_HELD, unless `takeover`,
   * which moves it (the caller tells the previous holder to stop its engine).
   */
  acquire(holder: object, takeover: boolean): LeaseGrant {
    const previous = this.#holder;
    if (previous && previous !== holder && !takeover)
      throw new ChattorError('E_LEASE_HELD', 'the engine runs in another browser');
    if (previous !== holder) this.#lease = toBase64Url(new Uint8Array(randomBytes(16)));
    this.#holder = holder;
    const grant: LeaseGrant = { lease: this.#lease!, generation: this.#generation };
    if (previous && previous !== holder) grant.previous = previous;
    return grant;
  }

  /** The client holding the lease, or null. */
  holder(): object | null {
    return this.#holder;
  }

  /** The holder let go (released, or its socket closed): the lease is free. */
  release(holder: object): void {
    if (this.#holder !== holder) return;
    this.#holder = null;
    this.#lease = null;
  }

  holds(lease: string | null | undefined): boolean {
    return !!lease && lease === this.#lease;
  }

  /** Stores a new blob; only the lease holder may write (E_LEASE_LOST otherwise). */
  async put(blob: Uint8Array, lease: string | null | undefined): Promise<number> {
    if (!this.holds(lease))
      throw new ChattorError('E_LEASE_LOST', 'this client does not hold the engine lease');
    if (blob.length === 0 || blob.length > MAX_VAULT_BLOB)
      throw new ChattorError('E_TOO_LARGE', `the vault must be 1..${MAX_VAULT_BLOB} bytes`);
    const generation = this.#generation + 1;
    const file = new Uint8Array(HEADER + blob.length);
    new DataView(file.buffer).setBigUint64(0, BigInt(generation));
    file.set(blob, HEADER);
    await this.#serial(() => writePrivateFile(join(this.dataDir, FILE), file));
    this.#blob = file.slice(HEADER);
    this.#generation = generation;
    return generation;
  }

  /** Forgets the blob (the generation keeps growing, so a stale copy is still recognised). */
  async clear(): Promise<void> {
    const header = new Uint8Array(HEADER);
    new DataView(header.buffer).setBigUint64(0, BigInt(this.#generation));
    await this.#serial(() => writePrivateFile(join(this.dataDir, FILE), header));
    this.#blob = null;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#writes.then(fn, fn);
    this.#writes = next.catch(() => undefined);
    return next;
  }
}
