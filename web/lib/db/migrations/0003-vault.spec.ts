// Tests migration 0003 (docs/protocol.md §4.3): a version-2 database's raw identity secrets and storage
// key end up sealed in the key vault, and the sessions sealed under that storage key still open.
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeIdentitySecrets, generateIdentity } from '../../../../shared/crypto/identity';
import { openState, sealState } from '../../../../shared/crypto/ratchet-state';
import { generateDhKey } from '../../../../shared/crypto/primitives';
import { initRatchetAlice, type RatchetState } from '../../../../shared/crypto/ratchet';
import { toHex } from '../../../../shared/util/bytes';
import { ChattorDb, DB_VERSION } from '../db';
import { KeyVault } from '../../keys/key-vault';
import { migration0001 } from './0001-initial';
import { migration0002 } from './0002-engine';

let n = 0;
const names: string[] = [];
const dbs: Dexie[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/** A database exactly as version 2 of the app left it. */
async function versionTwo(rows: { key: string; value: unknown }[], sessions: object[] = []): Promise<string> {
  const name = `migration-3-spec-${++n}`;
  names.push(name);
  const db = new Dexie(name);
  db.version(1).stores(migration0001.stores);
  db.version(2).stores(migration0002.stores);
  await db.open();
  await db.table('meta').bulkPut(rows);
  await db.table('sessions').bulkPut(sessions);
  await db.table('settings').put({ key: 'pairingToken', value: 'T'.repeat(43) });
  expect(db.verno).toBe(2);
  db.close();
  return name;
}

function openLatest(name: string): ChattorDb {
  const db = new ChattorDb(name);
  dbs.push(db);
  return db;
}

/** A real ratchet state to seal under the version-2 storage key. */
async function someState(): Promise<RatchetState> {
  const bob = await generateDhKey();
  const ad = new Uint8Array(130).fill(1);
  return initRatchetAlice({ sk: new Uint8Array(32).fill(4), ad, theirRatchetKey: bob.publicKey });
}

describe('migration 0003: key vault', () => {
  it('seals a version-2 identity and storage key, drops the raw key, keeps sessions and settings', async () => {
    const { secrets } = await generateIdentity({ nonExtractable: false });
    const rawIdentity = encodeIdentitySecrets(secrets);
    const rawStorageKey = crypto.getRandomValues(new Uint8Array(32));
    const context = new Uint8Array(16).fill(9);
    const state = await someState();
    const sealedState = await sealState(rawStorageKey, state, context);
    const name = await versionTwo(
      [
        { key: 'identity', value: rawIdentity.slice() },
        { key: 'storageKey', value: rawStorageKey.slice() },
        { key: 'profile', value: { displayName: 'Alice' } },
      ],
      [{ contactId: 'c'.repeat(32), sealed: sealedState }],
    );

    const db = openLatest(name);
    await db.open();
    expect(db.verno).toBe(DB_VERSION);
    const row = (await db.vault.get('vault'))!;
    expect(row.protection).toBe('device');
    expect(row.deviceKey).toBeInstanceOf(CryptoKey);
    expect(row.deviceKey.extractable).toBe(false);
    expect(await db.meta.get('storageKey')).toBeUndefined();
    const stored = (await db.meta.get('identity'))!.value as Uint8Array;
    expect(stored.length).toBe(13 + rawIdentity.length + 16);
    expect(toHex(stored)).not.toContain(toHex(secrets.signingSeed));
    expect(toHex(row.storageKey)).not.toContain(toHex(rawStorageKey));
    expect((await db.meta.get('profile'))?.value).toEqual({ displayName: 'Alice' });
    expect(await db.getSetting('pairingToken')).toBe('T'.repeat(43));

    // The vault opens what the migration sealed: the same secrets, the same storage key.
    const vault = new KeyVault(db);
    expect(await vault.load()).toBe('unlocked');
    expect(toHex(await vault.identityBox.open(stored))).toBe(toHex(rawIdentity));
    const session = (await db.sessions.get('c'.repeat(32)))!;
    const opened = await openState(await vault.storageKey(), session.sealed, context);
    expect(toHex(opened.rk)).toBe(toHex(state.rk));
  });

  it('leaves a version-2 database without an identity as it was (the vault comes on first use)', async () => {
    const name = await versionTwo([{ key: 'other', value: 1 }]);
    const db = openLatest(name);
    await db.open();
    expect(db.verno).toBe(DB_VERSION);
    expect(await db.vault.count()).toBe(0);
    expect((await db.meta.get('other'))?.value).toBe(1);
  });
});
