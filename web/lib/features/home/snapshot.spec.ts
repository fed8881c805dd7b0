// Tests docs/protocol.md §2.4 (the home vault's snapshot): a stateless session restored from a snapshot
// holds the same identity, storage key, contacts and settings in a database of its own; restoring into
// the database that made the vault replaces its engine tables; malformed snapshots are refused.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ChatEngine } from '../../../../shared/protocol/engine';
import { createMemoryNetwork } from '../../../../shared/protocol/memory';
import { toHex, utf8 } from '../../../../shared/util/bytes';
import type { ChattorDb } from '$lib/db/db';
import { DexieEngineStorage } from '$lib/db/engine-storage';
import { specDatabases } from '$lib/db/testing';
import { KeyVault } from '$lib/keys/key-vault';
import { restoreSnapshot, takeSnapshot } from './snapshot';

const { open } = specDatabases('snapshot-spec');

async function engineOn(db: ChattorDb, vault: KeyVault) {
  const storage = new DexieEngineStorage(db);
  const transport = createMemoryNetwork().transport('a'.repeat(56));
  const engine = new ChatEngine({
    storage,
    transport,
    kem: false,
    identityBox: vault.identityBox,
    storageKey: () => vault.storageKey(),
  });
  return { engine, storage };
}

describe('home vault snapshot', () => {
  it('carries identity, storage key, engine tables and settings into a fresh in-memory database', async () => {
    const db = open();
    const vault = new KeyVault(db);
    await vault.load();
    const { engine } = await engineOn(db, vault);
    await engine.createIdentity('Alice');
    await db.setSetting('pairingToken', 'T'.repeat(43));
    await db.setSetting('readReceipts', false);
    const bytes = await takeSnapshot(db, vault);
    expect(utf8.decode(bytes)).not.toContain(toHex((await engine.exportIdentitySecrets()).signingSeed));

    const session = open();
    const sessionVault = new KeyVault(session);
    await restoreSnapshot(session, sessionVault, bytes);
    expect(await sessionVault.load()).toBe('unlocked');
    expect(toHex(await sessionVault.exportStorageKey())).toBe(toHex(await vault.exportStorageKey()));
    const restored = await engineOn(session, sessionVault);
    const a = await engine.exportIdentitySecrets();
    const b = await restored.engine.exportIdentitySecrets();
    expect(toHex(b.signingSeed)).toBe(toHex(a.signingSeed));
    expect(await session.getSetting('pairingToken')).toBe('T'.repeat(43));
    expect(await session.getSetting('readReceipts')).toBe(false);
    await restored.engine.start();
    expect((await restored.engine.myProfile()).displayName).toBe('Alice');
    await restored.engine.stop();
  });

  it('replaces the engine tables of the database that made the vault, and refuses malformed input', async () => {
    const db = open();
    const vault = new KeyVault(db);
    await vault.load();
    const { engine, storage } = await engineOn(db, vault);
    await engine.createIdentity('Alice');
    const bytes = await takeSnapshot(db, vault);
    await storage.putMeta('later', 1);
    await restoreSnapshot(db, vault, bytes);
    expect(await storage.getMeta('later')).toBeUndefined();
    expect(await engine.hasIdentity()).toBe(true);

    for (const bad of ['nope', '{"v":2}', '{"v":1,"identity":"x"}'])
      await expect(restoreSnapshot(db, vault, utf8.encode(bad))).rejects.toMatchObject({
        code: expect.stringMatching(/E_BAD_INPUT|E_UNSUPPORTED/),
      });
  });
});
