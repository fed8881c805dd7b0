// The worker's OPFS operations (opfs.ts) on an in-memory file system with Chromium's locking rules.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleOpfsRequest, OpfsFiles, partName, FILES_DIR } from './opfs';
import { FakeRoot } from './testing';

const NAME = partName('a'.repeat(32));

function setup(): { root: FakeRoot; files: OpfsFiles } {
  const root = new FakeRoot();
  return { root, files: new OpfsFiles(() => Promise.resolve(root)) };
}

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

afterEach(() => vi.unstubAllGlobals());

describe('OpfsFiles', () => {
  it('writes chunks at their offsets in any order, flushes each, and reads any slice back', async () => {
    const { root, files } = setup();
    await files.write(NAME, 4, bytes(4, 2));
    await files.write(NAME, 0, bytes(4, 1));
    await files.write(NAME, 8, bytes(2, 3));
    const file = root.dirs.get(FILES_DIR)!.files.get(NAME)!;
    expect(file.flushes).toBe(3);
    expect([...(await files.read(NAME, 0, 10))!]).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    expect([...(await files.read(NAME, 3, 3))!]).toEqual([1, 2, 2]);
    // Fewer bytes at the end of the file, none past it.
    expect([...(await files.read(NAME, 8, 100))!]).toEqual([3, 3]);
    expect((await files.read(NAME, 50, 10))!.length).toBe(0);
  });

  it('says null / false for a file that does not exist, without creating it', async () => {
    const { root, files } = setup();
    expect(await files.read(NAME, 0, 1)).toBeNull();
    expect(await files.has(NAME)).toBe(false);
    expect(await files.file(NAME)).toBeNull();
    expect(root.dirs.get(FILES_DIR)!.files.size).toBe(0);
  });

  it('runs concurrent writes through one access handle (a second one would be refused)', async () => {
    const { files } = setup();
    await Promise.all(Array.from({ length: 8 }, (_, i) => files.write(NAME, i * 2, bytes(2, i))));
    expect([...(await files.read(NAME, 0, 16))!]).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
  });

  it('closes the handle before handing out the file, and opens it again for the next write', async () => {
    const { root, files } = setup();
    await files.write(NAME, 0, bytes(3, 7));
    const file = root.dirs.get(FILES_DIR)!.files.get(NAME)!;
    expect(file.locked).toBe(true);
    const got = await files.file(NAME);
    expect(file.locked).toBe(false);
    expect([...new Uint8Array(await got!.arrayBuffer())]).toEqual([7, 7, 7]);
    await files.write(NAME, 3, bytes(1, 8));
    expect(await files.has(NAME)).toBe(true);
    expect([...(await files.read(NAME, 0, 4))!]).toEqual([7, 7, 7, 8]);
  });

  it('removes an open file, and removing a missing one is not an error', async () => {
    const { root, files } = setup();
    await files.write(NAME, 0, bytes(3, 1));
    await files.remove(NAME);
    expect(root.dirs.get(FILES_DIR)!.files.size).toBe(0);
    await files.remove(NAME);
    expect(await files.has(NAME)).toBe(false);
  });

  it('closeAll releases every lock', async () => {
    const { root, files } = setup();
    const other = partName('b'.repeat(32));
    await files.write(NAME, 0, bytes(1, 1));
    await files.write(other, 0, bytes(1, 1));
    await files.closeAll();
    expect([...root.dirs.get(FILES_DIR)!.files.values()].map((f) => f.locked)).toEqual([false, false]);
  });

  it('probes for sync access handles: none in this context, yes where the prototype has them', async () => {
    expect(await setup().files.probe()).toBe(false);
    vi.stubGlobal(
      'FileSystemFileHandle',
      class {
        createSyncAccessHandle(): void {}
      },
    );
    expect(await setup().files.probe()).toBe(true);
  });

  it('handleOpfsRequest answers by id, with the error name and message on failure', async () => {
    const { files } = setup();
    expect(
      await handleOpfsRequest(files, { id: 1, op: 'write', name: NAME, at: 0, bytes: bytes(2, 5) }),
    ).toEqual({ id: 1, ok: true, value: undefined });
    const read = await handleOpfsRequest(files, { id: 2, op: 'read', name: NAME, at: 0, length: 2 });
    expect(read).toMatchObject({ id: 2, ok: true });
    const broken = new OpfsFiles(() => Promise.reject(new DOMException('denied', 'SecurityError')));
    expect(await handleOpfsRequest(broken, { id: 3, op: 'has', name: NAME })).toEqual({
      id: 3,
      ok: false,
      name: 'SecurityError',
      message: 'denied',
    });
  });
});
