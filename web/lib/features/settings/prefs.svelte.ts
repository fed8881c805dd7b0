// Preferences kept in the database's settings table (the theme lives in theme.svelte.ts).
import { getDb } from '$lib/db/db';

export class Prefs {
  /** Send read receipts; read synchronously by the engine (EngineOptions.readReceipts). */
  readReceipts = $state(true);

  async load(): Promise<void> {
    this.readReceipts = (await getDb().getSetting('readReceipts')) ?? true;
  }

  async setReadReceipts(on: boolean): Promise<void> {
    this.readReceipts = on;
    await getDb().setSetting('readReceipts', on);
  }
}

export const prefs = new Prefs();
