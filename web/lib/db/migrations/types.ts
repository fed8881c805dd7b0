// One numbered migration per file (STYLE.md #12). Never edit a migration that has shipped: add the next.
import type { Transaction } from 'dexie';

export interface Migration {
  /** Dexie schema version; strictly increasing, one per file. */
  version: number;
  /** Dexie store specs that change at this version (`null` deletes a store). */
  stores: Record<string, string | null>;
  /** Rewrites existing rows, if the new version needs it. */
  upgrade?: (tx: Transaction) => Promise<void>;
}
