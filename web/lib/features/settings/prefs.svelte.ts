// Preferences kept in the database's settings table (the theme lives in theme.svelte.ts).
import { getDb } from '$lib/db/db';

export class Prefs {
  /** Send read receipts; read synchronously by the engine (EngineOptions.readReceipts). */
  readReceipts = $state(true);
  /** Hold mail for friends who ask; read synchronously by the engine (EngineOptions.holdForFriends). */
  holdForFriends = $state(true);

  async load(): Promise<void> {
    const db = getDb();
    const [readReceipts, holdForFriends] = await Promise.all([
      db.getSetting('readReceipts'),
      db.getSetting('holdForFriends'),
    ]);
    this.readReceipts = readReceipts ?? true;
    this.holdForFriends = holdForFriends ?? true;
  }

  async setReadReceipts(on: boolean): Promise<void> {
    this.readReceipts = on;
    await getDb().setSetting('readReceipts', on);
  }

  async setHoldForFriends(on: boolean): Promise<void> {
    this.holdForFriends = on;
    await getDb().setSetting('holdForFriends', on);
  }
}

export const prefs = new Prefs();
