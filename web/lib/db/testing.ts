// Spec helper: ChattorDb instances on fake-indexeddb (the spec imports 'fake-indexeddb/auto'), closed
// and deleted after each test.
import { Dexie } from 'dexie';
import { afterEach } from 'vitest';
import { ChattorDb } from './db';

export function specDatabases(prefix: string): { fresh(): string; open(name?: string): ChattorDb } {
  let n = 0;
  const opened: ChattorDb[] = [];
  afterEach(async () => {
    const dbs = opened.splice(0);
    for (const db of dbs) db.close();
    for (const name of new Set(dbs.map((db) => db.name))) await Dexie.delete(name);
  });
  const fresh = (): string => `${prefix}-${++n}`;
  return {
    fresh,
    open(name = fresh()) {
      const db = new ChattorDb(name);
      opened.push(db);
      return db;
    },
  };
}
