// A FileStore (shared/protocol/api.ts, docs/protocol.md §6) on the disk for headless nodes: a sent file
// is kept as a symbolic link to the path the bot gave (no copy), a received one is written in place;
// reads and writes are positioned, so no file is ever whole in memory.
import { constants, mkdirSync } from 'node:fs';
import { open, rm, symlink } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { FileStore, Id } from '../shared/protocol/api.js';
import { ChattorError } from '../shared/util/errors.js';

const ID_RE = /^[0-9a-f]{32}$/;

export class DiskFileStore implements FileStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Where a file's bytes are (a received file, or the link to a kept one). */
  path(fileId: Id): string {
    if (!ID_RE.test(fileId)) throw new ChattorError('E_BAD_INPUT', 'file id: 32 hex characters expected');
    return join(this.dir, fileId);
  }

  async keep(fileId: Id, source: unknown): Promise<void> {
    if (typeof source !== 'string' || source.length === 0)
      throw new ChattorError('E_BAD_INPUT', 'source: a file path expected');
    await symlink(isAbsolute(source) ? source : resolve(source), this.path(fileId));
  }

  async read(fileId: Id, offset: number, length: number): Promise<Uint8Array> {
    const fh = await open(this.path(fileId), 'r');
    try {
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(out, got, length - got, offset + got);
        if (bytesRead === 0) throw new ChattorError('E_STATE', 'the file is shorter than expected');
        got += bytesRead;
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  async write(fileId: Id, offset: number, bytes: Uint8Array): Promise<void> {
    // O_CREAT without O_TRUNC: created on the first chunk, positioned writes after that.
    const fh = await open(this.path(fileId), constants.O_WRONLY | constants.O_CREAT, 0o600);
    try {
      await fh.write(bytes, 0, bytes.length, offset);
    } finally {
      await fh.close();
    }
  }

  async remove(fileId: Id): Promise<void> {
    await rm(this.path(fileId), { force: true });
  }
}
