// Test helpers for the file store specs (imported only by *.spec.ts): an in-memory Origin Private File
// System with Chromium's locking rules, and an OpfsBackend that runs opfs.ts without a worker.
import { OpfsFiles, type DirEntry, type FileEntry, type RootEntry, type SyncHandle } from './opfs';
import type { OpfsBackend } from './opfs-client';

function domError(name: string): DOMException {
  return new DOMException(name, name);
}

export class FakeFile implements FileEntry {
  bytes = new Uint8Array(0);
  locked = false;
  flushes = 0;

  createSyncAccessHandle(): Promise<SyncHandle> {
    // One access handle per file at a time, as in Chromium.
    if (this.locked) return Promise.reject(domError('NoModificationAllowedError'));
    this.locked = true;
    let open = true;
    const check = (): void => {
      if (!open) throw domError('InvalidStateError');
    };
    return Promise.resolve({
      read: (buffer, { at }) => {
        check();
        const part = this.bytes.subarray(at, at + buffer.length);
        buffer.set(part);
        return part.length;
      },
      write: (buffer, { at }) => {
        check();
        if (at + buffer.length > this.bytes.length) {
          const grown = new Uint8Array(at + buffer.length);
          grown.set(this.bytes);
          this.bytes = grown;
        }
        this.bytes.set(buffer, at);
        return buffer.length;
      },
      flush: () => {
        check();
        this.flushes++;
      },
      getSize: () => {
        check();
        return this.bytes.length;
      },
      close: () => {
        open = false;
        this.locked = false;
      },
    });
  }

  getFile(): Promise<File> {
    if (this.locked) return Promise.reject(domError('NoModificationAllowedError'));
    return Promise.resolve(new File([this.bytes.slice()], 'part'));
  }
}

export class FakeDir implements DirEntry {
  readonly files = new Map<string, FakeFile>();

  getFileHandle(name: string, options: { create?: boolean } = {}): Promise<FileEntry> {
    let file = this.files.get(name);
    if (!file) {
      if (!options.create) return Promise.reject(domError('NotFoundError'));
      file = new FakeFile();
      this.files.set(name, file);
    }
    return Promise.resolve(file);
  }

  removeEntry(name: string): Promise<void> {
    const file = this.files.get(name);
    if (!file) return Promise.reject(domError('NotFoundError'));
    if (file.locked) return Promise.reject(domError('NoModificationAllowedError'));
    this.files.delete(name);
    return Promise.resolve();
  }
}

export class FakeRoot implements RootEntry {
  readonly dirs = new Map<string, FakeDir>();

  getDirectoryHandle(name: string, options: { create?: boolean } = {}): Promise<DirEntry> {
    let dir = this.dirs.get(name);
    if (!dir) {
      if (!options.create) return Promise.reject(domError('NotFoundError'));
      dir = new FakeDir();
      this.dirs.set(name, dir);
    }
    return Promise.resolve(dir);
  }

  removeEntry(name: string): Promise<void> {
    this.dirs.delete(name);
    return Promise.resolve();
  }
}

/** The worker's code on the calling thread: what the store sees of OPFS, minus postMessage. */
export function inlineOpfs(root: RootEntry): OpfsBackend & { files: OpfsFiles } {
  const files = new OpfsFiles(() => Promise.resolve(root));
  return {
    files,
    write: (name, at, bytes) => files.write(name, at, bytes.slice()),
    read: (name, at, length) => files.read(name, at, length),
    has: (name) => files.has(name),
    file: (name) => files.file(name),
    remove: (name) => files.remove(name),
    dispose: () => files.closeAll(),
  };
}
