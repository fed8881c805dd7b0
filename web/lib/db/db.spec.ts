import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DB_VERSION } from './db';
import { migrations } from './migrations';
import { specDatabases } from './testing';

const { fresh, open } = specDatabases('chattor-spec');

describe('ChattorDb', () => {
  it('opens an empty database at the latest version with the settings table', async () => {
    const db = open(fresh());
    await db.open();
    expect(db.verno).toBe(DB_VERSION);
    expect(db.tables.map((t) => t.name)).toContain('settings');
    expect(db.settings.schema.primKey.name).toBe('key');
  });

  it('numbers migrations strictly increasing from 1', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_m, i) => i + 1));
  });

  it('stores, reads and deletes a typed setting that survives reopening', async () => {
    const name = fresh();
    const db = open(name);
    expect(await db.getSetting('pairingToken')).toBeUndefined();
    await db.setSetting('pairingToken', 'A'.repeat(43));
    db.close();

    const again = open(name);
    expect(await again.getSetting('pairingToken')).toBe('A'.repeat(43));
    await again.deleteSetting('pairingToken');
    expect(await again.getSetting('pairingToken')).toBeUndefined();
  });

  it('upgrades a database that predates every migration (an empty IndexedDB) to the latest version', async () => {
    const name = fresh();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
    const db = open(name);
    await db.open();
    expect(db.verno).toBe(DB_VERSION);
    await db.setSetting('pairingToken', 'B'.repeat(43));
    expect(await db.getSetting('pairingToken')).toBe('B'.repeat(43));
  });
});
