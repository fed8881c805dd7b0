// Version 3: the key vault (docs/protocol.md §4.3). Version 2 kept the identity secrets (meta
// `identity`) and the ratchet states' storage key (meta `storageKey`) raw; this creates a
// device-protected vault, seals the identity secrets under its vault key in place, moves the storage key
// into the vault row (sealed) and deletes the raw copy. Ratchet states stay valid: the key is the same.
//
// An upgrade transaction commits as soon as it waits on anything but IndexedDB, so every WebCrypto call
// goes through Dexie.waitFor, which keeps the transaction alive meanwhile.
import { Dexie, type Transaction } from 'dexie';
import type { MetaRow } from '../db';
import { newVaultRow, vaultSeal } from '../../keys/vault-seal';
import type { Migration } from './types';

async function upgrade(tx: Transaction): Promise<void> {
  const meta = tx.table<MetaRow, string>('meta');
  const identity = (await meta.get('identity'))?.value;
  const storageKey = (await meta.get('storageKey'))?.value;
  // Without an identity the vault is created on first use (KeyVault.load), like in a new database.
  if (!(identity instanceof Uint8Array)) return;
  const raw = storageKey instanceof Uint8Array && storageKey.length === 32 ? storageKey : undefined;
  const { row, vaultKey } = await Dexie.waitFor(newVaultRow(raw));
  const sealed = await Dexie.waitFor(vaultSeal(vaultKey, 'identity', identity));
  identity.fill(0);
  await tx.table('vault').put(row);
  await meta.put({ key: 'identity', value: sealed });
  await meta.delete('storageKey');
}

export const migration0003: Migration = {
  version: 3,
  stores: { vault: '&key' },
  upgrade,
};
