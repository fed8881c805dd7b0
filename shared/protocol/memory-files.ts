// A FileStore (api.ts, docs/protocol.md §6) in memory, for specs and benchmarks: kept sources are
// Uint8Arrays, received files grow as chunks are written.
import { ChattorError } from '../util/errors.js';
import type { FileStore, Id } from './api.js';

export class MemoryFileStore implements FileStore {
  readonly files = new Map<Id, Uint8Array>();
  /** Bytes actually written per received file (to check nothing is kept after a cancel). */
  readonly written = new Map<Id, number>();

  keep(fileId: Id, source: unknown): Promise<void> {
    if (!(source instanceof Uint8Array)) throw new ChattorError('E_BAD_INPUT', 'source: Uint8Array expected');
    this.files.set(fileId, source);
    return Promise.resolve();
  }

  read(fileId: Id, offset: number, length: number): Promise<Uint8Array> {
    const f = this.files.get(fileId);
    if (!f || offset + length > f.length)
      return Promise.reject(new ChattorError('E_STATE', 'no such file bytes'));
    return Promise.resolve(f.slice(offset, offset + length));
  }

  write(fileId: Id, offset: number, bytes: Uint8Array): Promise<void> {
    let f = this.files.get(fileId) ?? new Uint8Array(0);
    if (offset + bytes.length > f.length) {
      const g = new Uint8Array(offset + bytes.length);
      g.set(f);
      f = g;
    }
    f.set(bytes, offset);
    this.files.set(fileId, f);
    this.written.set(fileId, (this.written.get(fileId) ?? 0) + bytes.length);
    return Promise.resolve();
  }

  remove(fileId: Id): Promise<void> {
    this.files.delete(fileId);
    return Promise.resolve();
  }
}
