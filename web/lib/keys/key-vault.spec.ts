// Tests docs/protocol.md §4.3 (key vault): sealing, device protection, passphrase lock and unlock,
// the engine's secrets at rest, and wipe removing the device key.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { encodeIdentitySecrets, wipeIdentitySecrets } from '../../../shared/crypto/identity';
import { toHex } from '../../../shared/util/bytes';
import { ChatEngine } from '../../../shared/protocol/engine';
import { createMemoryNetwork } from '../../../shared/protocol/memory';
import type { ChattorDb } from '../db/db';
import { DexieEngineStorage } from '../db/engine-storage';
import { KeyVault } from './key-vault';
import { vaultOpen, vaultSeal } from './vault-seal';
import { specDatabases } from '../db/testing';

const FAST = { argon2: { m: 8192, t: 1, p: 1 } } as const;
const { open } = specDatabases('vault-spec');

/** Every stored value of every table, as hex, to search for raw secrets. */
async function dumpHex(db: ChattorDb): Promise<string> {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) parts.push(toHex(v));
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
  };
  for (const table of db.tables) walk(await table.toArray());
  return parts.join('|');
}

describe('vaultSeal', () => {
  it('opens only with the same key and label, and rejects a flipped bit', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const sealed = await vaultSeal(key, 'identity', Uint8Array.of(1, 2, 3));
    expect([...(await vaultOpen(key, 'identity', sealed))]).toEqual([1, 2, 3]);
    await expect(vaultOpen(key, 'storage-key', sealed)).rejects.toMatchObject({ code: 'E_DECRYPT' });
    await expect(vaultOpen(new Uint8Array(32), 'identity', sealed)).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
    const flipped = sealed.slice();
    flipped[20] = flipped[20]! ^ 1;
    await expect(vaultOpen(key, 'identity', flipped)).rejects.toMatchObject({ code: 'E_DECRYPT' });
    await expect(vaultOpen(key, 'identity', sealed.subarray(0, 20))).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
  });
});

describe('KeyVault', () => {
  it('creates a device-protected vault with a non-extractable device key, unlocked on load', async () => {
    const db = open();
    const vault = new KeyVault(db);
    expect(await vault.load()).toBe('unlocked');
    expect(vault.protection).toBe('device');
    const row = (await db.vault.get('vault'))!;
    expect(row.deviceKey).toBeInstanceOf(CryptoKey);
    expect(row.deviceKey.extractable).toBe(false);
    const sealed = await vault.identityBox.seal(Uint8Array.of(7, 7));
    expect([...(await vault.identityBox.open(sealed))]).toEqual([7, 7]);
    const sk = await vault.storageKey();
    expect(sk).toBeInstanceOf(CryptoKey);
    expect((sk as CryptoKey).extractable).toBe(false);

    // A second page (or a reload) finds the same vault and opens what the first sealed.
    const again = new KeyVault(open(db.name));
    expect(await again.load()).toBe('unlocked');
    expect([...(await again.identityBox.open(sealed))]).toEqual([7, 7]);
  });

  it('keeps the engine’s identity secrets and storage key out of IndexedDB in the clear', async () => {
    const db = open();
    const vault = new KeyVault(db);
    await vault.load();
    const storage = new DexieEngineStorage(db);
    const transport = createMemoryNetwork().transport('a'.repeat(56));
    const options = { storage, transport, kem: false, identityBox: vault.identityBox };
    const engine = new ChatEngine({ ...options, storageKey: () => vault.storageKey() });
    await engine.createIdentity('Alice');
    const secrets = await engine.exportIdentitySecrets();
    const raw = encodeIdentitySecrets(secrets);
    const dump = await dumpHex(db);
    for (const part of [secrets.signingSeed, secrets.dhPrivate, secrets.deviceSeed])
      expect(dump).not.toContain(toHex(part));
    expect(await storage.getMeta('storageKey')).toBeUndefined();
    wipeIdentitySecrets(secrets);
    raw.fill(0);
    await engine.start();
    expect((await engine.myProfile()).displayName).toBe('Alice');
    await engine.stop();
  });

  it('a passphrase locks the vault; a wrong one is refused and changes nothing; the right one unlocks', async () => {
    const db = open();
    const vault = new KeyVault(db, { kdf: FAST });
    await vault.load();
    const sealed = await vault.identityBox.seal(Uint8Array.of(1, 2, 3));
    const before = (await db.vault.get('vault'))!;
    await vault.setPassphrase('correct horse battery');
    expect(vault.protection).toBe('passphrase');
    expect(await vault.passphraseKdf()).toBe('argon2id');
    const after = (await db.vault.get('vault'))!;
    expect(toHex(after.storageKey)).toBe(toHex(before.storageKey)); // only `wrapped` changed
    expect(toHex(after.wrapped)).not.toBe(toHex(before.wrapped));

    vault.lock();
    expect(vault.unlocked).toBe(false);
    await expect(vault.identityBox.open(sealed)).rejects.toMatchObject({ code: 'E_LOCKED' });
    await expect(vault.storageKey()).rejects.toMatchObject({ code: 'E_LOCKED' });

    // A reload: the vault stays locked until the passphrase is given.
    const reloaded = new KeyVault(open(db.name), { kdf: FAST });
    expect(await reloaded.load()).toBe('locked');
    await expect(reloaded.unlock('wrong horse battery')).rejects.toMatchObject({ code: 'E_WRONG_PASSWORD' });
    expect(reloaded.unlocked).toBe(false);
    expect(toHex((await db.vault.get('vault'))!.wrapped)).toBe(toHex(after.wrapped));
    await reloaded.unlock('correct horse battery');
    expect([...(await reloaded.identityBox.open(sealed))]).toEqual([1, 2, 3]);
  });

  it('changes and removes the passphrase only with the current one', async () => {
    const db = open();
    const vault = new KeyVault(db, { kdf: { kdf: 'pbkdf2-sha256', iterations: 100_000 } });
    await vault.load();
    const sealed = await vault.identityBox.seal(Uint8Array.of(9));
    await vault.setPassphrase('first passphrase');
    expect(await vault.passphraseKdf()).toBe('pbkdf2-sha256');
    await expect(vault.setPassphrase('second passphrase', 'nope')).rejects.toMatchObject({
      code: 'E_WRONG_PASSWORD',
    });
    await vault.setPassphrase('second passphrase', 'first passphrase');
    vault.lock();
    await expect(vault.unlock('first passphrase')).rejects.toMatchObject({ code: 'E_WRONG_PASSWORD' });
    await expect(vault.removePassphrase('second passphrase')).rejects.toMatchObject({ code: 'E_LOCKED' });
    await vault.unlock('second passphrase');
    await vault.removePassphrase('second passphrase');
    expect(vault.protection).toBe('device');
    const reloaded = new KeyVault(open(db.name));
    expect(await reloaded.load()).toBe('unlocked');
    expect([...(await reloaded.identityBox.open(sealed))]).toEqual([9]);
  });

  it('a vault from another database (another device key) cannot open these secrets', async () => {
    const a = new KeyVault(open());
    const b = new KeyVault(open());
    await a.load();
    await b.load();
    const sealed = await a.identityBox.seal(Uint8Array.of(5));
    await expect(b.identityBox.open(sealed)).rejects.toMatchObject({ code: 'E_DECRYPT' });
  });
});
