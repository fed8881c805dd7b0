// Tests migration 0004 (docs/protocol.md §6): a version-3 database gains the file tables and keeps its
// rows.
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { ChattorDb, DB_VERSION } from '../db';
import { migration0001 } from './0001-initial';
import { migration0002 } from './0002-engine';
import { migration0003 } from './0003-vault';

const name = 'migration-4-spec';
afterEach(() => Dexie.delete(name));

describe('migration 0004: files', () => {
  it('adds `files` and `fileChunks` to a version-3 database and keeps what it held', async () => {
    const old = new Dexie(name);
    old.version(1).stores(migration0001.stores);
    old.version(2).stores(migration0002.stores);
    old.version(3).stores(migration0003.stores);
    await old.open();
    await old.table('settings').put({ key: 'pairingToken', value: 'T'.repeat(43) });
    await old.table('meta').put({ key: 'profile', value: { displayName: 'Bob' } });
    old.close();

    const db = new ChattorDb(name);
    try {
      await db.open();
      expect(db.verno).toBe(DB_VERSION);
      expect(await db.getSetting('pairingToken')).toBe('T'.repeat(43));
      expect((await db.meta.get('profile'))?.value).toEqual({ displayName: 'Bob' });
      expect(db.files.schema.primKey.keyPath).toBe('fileId');
      expect(db.fileChunks.schema.primKey.keyPath).toEqual(['fileId', 'offset']);

      const id = 'c'.repeat(32);
      await db.files.put({ fileId: id, blob: new Blob([new Uint8Array([1, 2, 3])]) });
      expect((await db.files.get(id))?.blob.size).toBe(3);
      await db.fileChunks.bulkPut([
        { fileId: id, offset: 262_144, data: new Uint8Array([2]) },
        { fileId: id, offset: 0, data: new Uint8Array([1]) },
        { fileId: 'd'.repeat(32), offset: 0, data: new Uint8Array([9]) },
      ]);
      const rows = await db.fileChunks
        .where('[fileId+offset]')
        .between([id, Dexie.minKey], [id, Dexie.maxKey])
        .toArray();
      expect(rows.map((r) => r.offset)).toEqual([0, 262_144]);
    } finally {
      db.close();
    }
  });
});
