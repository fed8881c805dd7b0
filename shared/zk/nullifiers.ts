// Implements docs/zk.md §6 (accepting a proof): the one-use rule for (scope, nullifier).
import { assertFieldElement } from './field.js';

/**
 * Storage for used nullifiers. `insertIfAbsent` must be atomic (a UNIQUE index, a transaction, a Set):
 * a separate has() then add() lets two concurrent copies of one proof both pass.
 */
export interface NullifierStore {
  insertIfAbsent(key: string): boolean | Promise<boolean>;
}

export function nullifierKey(scope: bigint, nullifier: bigint): string {
  return `${assertFieldElement(scope, 'scope').toString(16)}:${assertFieldElement(nullifier, 'nullifier').toString(16)}`;
}

/** True when this (scope, nullifier) is new and is now recorded; false for a reuse. */
export async function consumeNullifier(
  store: NullifierStore,
  scope: bigint,
  nullifier: bigint,
): Promise<boolean> {
  return store.insertIfAbsent(nullifierKey(scope, nullifier));
}

/** An in-memory store, for tests and for short-lived scopes. */
export function memoryNullifierStore(): NullifierStore & { readonly size: number } {
  const seen = new Set<string>();
  return {
    insertIfAbsent(key) {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
