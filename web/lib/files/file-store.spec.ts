// The PWA's FileStore (docs/protocol.md §6): kept files in IndexedDB that outlive a reload, received
// files in OPFS (the worker's code run inline) or, without OPFS, in IndexedDB chunk rows.
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChattorDb } from '../db/db';
import { BrowserFileStore } from './file-store';
import { FILES_DIR, partName } from './opfs';
import { FakeRoot, inlineOpfs } from './testing';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
let n = 0;
const dbs: ChattorDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) {
    db.close();
    await Dexie.delete(db.name);
  }
});

function newDb(): ChattorDb {
  const db = new ChattorDb(`file-store-spec-${++n}`);
  dbs.push(db);
  return db;
}

/** 0, 1, 2, … (mod 251) from `from`: every slice is recognisable. */
function pattern(length: number, from = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (from + i) % 251);
}

async function text(blob: Blob | null): Promise<number[]> {
  return [...new Uint8Array(await blob!.arrayBuffer())];
}

describe('BrowserFileStore, sending', () => {
  it('keeps a picked file in IndexedDB and reads slices of it, also after a reload', async () => {
    const db = newDb();
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(null) });
    const source = new Blob([pattern(1000)], { type: 'image/png' });
    await store.keep(A, source);
    expect([...(await store.read(A, 10, 5))]).toEqual([10, 11, 12, 13, 14]);
    expect((await store.read(A, 990, 100)).length).toBe(10);
    expect((await db.files.get(A))?.blob.size).toBe(1000);

    const reloaded = new BrowserFileStore({ db, opfs: () => Promise.resolve(null) });
    expect([...(await reloaded.read(A, 500, 3))]).toEqual([500 % 251, 501 % 251, 502 % 251]);
    expect(await text(await reloaded.getFile(A))).toEqual([...pattern(1000)]);

    await reloaded.remove(A);
    expect(await db.files.count()).toBe(0);
    await expect(reloaded.read(A, 0, 1)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    expect(await reloaded.getFile(A)).toBeNull();
  });

  it('still sends from the picked file when IndexedDB refuses to keep it', async () => {
    const db = newDb();
    vi.spyOn(db.files, 'put').mockRejectedValueOnce(new DOMException('no blobs here', 'DataCloneError'));
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(null) });
    await store.keep(A, new Blob([pattern(20)]));
    expect([...(await store.read(A, 0, 3))]).toEqual([0, 1, 2]);
  });

  it('checks its input: file ids, sources, offsets', async () => {
    const store = new BrowserFileStore({ db: newDb(), opfs: () => Promise.resolve(null) });
    await expect(store.keep('../etc', new Blob([]))).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await expect(store.keep(A, '/home/me/file.txt')).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await expect(store.write(A, -1, new Uint8Array(1))).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await expect(store.read(A, 0, 1.5)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await store.keep(A, new Blob([pattern(4)]));
    await expect(store.write(A, 0, new Uint8Array(1))).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
  });

  it('asks for persistent storage once, on the first file kept or received', async () => {
    const persist = vi.fn(() => Promise.reject(new Error('refused')));
    const store = new BrowserFileStore({ db: newDb(), opfs: () => Promise.resolve(null), persist });
    expect(persist).not.toHaveBeenCalled();
    await store.keep(A, new Blob([pattern(4)]));
    await store.write(B, 0, pattern(4));
    expect(persist).toHaveBeenCalledTimes(1);
  });
});

describe('BrowserFileStore, receiving into OPFS', () => {
  it('writes the partial file <fileId>.part and hands out the whole file with the given type', async () => {
    const root = new FakeRoot();
    const db = newDb();
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(inlineOpfs(root)) });
    await store.write(B, 8, pattern(4, 8));
    await store.write(B, 0, pattern(8));
    expect([...root.dirs.get(FILES_DIR)!.files.keys()]).toEqual([partName(B)]);
    expect(await db.fileChunks.count()).toBe(0);
    expect([...(await store.read(B, 6, 4))]).toEqual([6, 7, 8, 9]);

    const file = await store.getFile(B, 'image/png');
    expect(file?.type).toBe('image/png');
    expect(await text(file)).toEqual([...pattern(12)]);
    const url = await store.objectUrl(B);
    expect(url).toMatch(/^blob:/);
    URL.revokeObjectURL(url!);

    // After a reload the store finds the partial file again and goes on writing it.
    const reloaded = new BrowserFileStore({ db, opfs: () => Promise.resolve(inlineOpfs(root)) });
    await reloaded.write(B, 12, pattern(2, 12));
    expect(await text(await reloaded.getFile(B))).toEqual([...pattern(14)]);
    await reloaded.remove(B);
    expect(root.dirs.get(FILES_DIR)!.files.size).toBe(0);
    expect(await reloaded.getFile(B)).toBeNull();
  });

  it('releases the worker on dispose and starts it again when needed', async () => {
    const root = new FakeRoot();
    const start = vi.fn(() => Promise.resolve(inlineOpfs(root)));
    const store = new BrowserFileStore({ db: newDb(), opfs: start });
    await store.write(B, 0, pattern(2));
    await store.dispose();
    expect(root.dirs.get(FILES_DIR)!.files.get(partName(B))!.locked).toBe(false);
    await store.write(B, 2, pattern(2, 2));
    expect(start).toHaveBeenCalledTimes(2);
    expect([...(await store.read(B, 0, 4))]).toEqual([0, 1, 2, 3]);
  });
});

describe('BrowserFileStore, receiving without OPFS', () => {
  it('stores chunk rows and reads any range across them, stopping at a gap', async () => {
    const db = newDb();
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(null) });
    await store.write(B, 0, pattern(4));
    await store.write(B, 8, pattern(4, 8));
    await store.write(B, 4, pattern(4, 4));
    expect(await db.fileChunks.count()).toBe(3);
    expect([...(await store.read(B, 2, 8))]).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...(await store.read(B, 4, 4))]).toEqual([4, 5, 6, 7]);
    expect([...(await store.read(B, 10, 100))]).toEqual([10, 11]);
    await store.write(B, 16, pattern(4, 16));
    expect((await store.read(B, 0, 20)).length).toBe(12);

    expect(await text(await store.getFile(B))).toEqual([...pattern(12), ...pattern(4, 16)]);
    await store.remove(B);
    expect(await db.fileChunks.count()).toBe(0);
  });

  it('a rewritten chunk (after a resume) replaces its row, and a copy is stored, not the caller’s buffer', async () => {
    const db = newDb();
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(null) });
    const chunk = pattern(4);
    await store.write(B, 0, chunk);
    chunk.fill(0);
    expect([...(await store.read(B, 0, 4))]).toEqual([0, 1, 2, 3]);
    await store.write(B, 0, pattern(4, 100));
    expect(await db.fileChunks.count()).toBe(1);
    expect([...(await store.read(B, 0, 4))]).toEqual([100, 101, 102, 103]);
  });

  it('stores the bytes themselves where IndexedDB takes no blobs', async () => {
    const db = newDb();
    const put = db.fileChunks.put.bind(db.fileChunks);
    vi.spyOn(db.fileChunks, 'put').mockImplementation((row, key) =>
      row.data instanceof Blob
        ? Promise.reject(Object.assign(new Error('no blobs'), { name: 'DataCloneError' }))
        : put(row, key),
    );
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(null) });
    await store.write(B, 0, pattern(4));
    await store.write(B, 4, pattern(4, 4));
    expect((await db.fileChunks.toArray()).every((row) => row.data instanceof Uint8Array)).toBe(true);
    expect([...(await store.read(B, 3, 2))]).toEqual([3, 4]);
    expect(await text(await store.getFile(B))).toEqual([...pattern(8)]);
  });

  it('keeps a file begun in IndexedDB there when OPFS becomes available', async () => {
    const db = newDb();
    await new BrowserFileStore({ db, opfs: () => Promise.resolve(null) }).write(B, 0, pattern(4));
    const root = new FakeRoot();
    const store = new BrowserFileStore({ db, opfs: () => Promise.resolve(inlineOpfs(root)) });
    await store.write(B, 4, pattern(4, 4));
    expect(root.dirs.get(FILES_DIR)?.files.size ?? 0).toBe(0);
    expect(await text(await store.getFile(B))).toEqual([...pattern(8)]);
  });
});
