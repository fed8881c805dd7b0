// "Wipe this device" deletes the key vault with everything else: the device key, the sealed identity.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ChattorDb, DB_NAME, getDb } from '$lib/db/db';
import { KeyVault } from '$lib/keys/key-vault';
import { wipeDevice } from './wipe';

describe('wipeDevice', () => {
  it('stops what runs and removes the vault key, the sealed identity and the pairing token', async () => {
    const db = getDb();
    const vault = new KeyVault(db);
    await vault.load();
    await db.meta.put({ key: 'identity', value: await vault.identityBox.seal(new Uint8Array(97)) });
    await db.setSetting('pairingToken', 'P'.repeat(43));
    let stopped = 0;
    await wipeDevice([{ stop: () => void stopped++ }, { stop: () => Promise.reject(new Error('x')) }]);
    expect(stopped).toBe(1);

    const after = new ChattorDb(DB_NAME);
    try {
      expect(await after.vault.count()).toBe(0);
      expect(await after.meta.count()).toBe(0);
      expect(await after.getSetting('pairingToken')).toBeUndefined();
      // A new vault is a different device key: the old sealed identity would not open.
      expect(await new KeyVault(after).load()).toBe('unlocked');
    } finally {
      after.close();
    }
  });
});
