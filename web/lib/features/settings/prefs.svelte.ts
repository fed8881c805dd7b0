// Preferences kept in the database's settings table (the theme lives in theme.svelte.ts).
import { ChattorError } from '../../../../shared/util/errors';
import { getDb } from '$lib/db/db';

const MiB = 1024 * 1024;
/** docs/protocol.md §6.4: offers up to 10 MiB are accepted without asking unless the user says otherwise. */
export const DEFAULT_AUTO_ACCEPT_BYTES = 10 * MiB;
/** docs/protocol.md §6.1: no file is larger. */
export const MAX_AUTO_ACCEPT_BYTES = 2 ** 40;

export class Prefs {
  /** Send read receipts; read synchronously by the engine (EngineOptions.readReceipts). */
  readReceipts = $state(true);
  /** Hold mail for friends who ask; read synchronously by the engine (EngineOptions.holdForFriends). */
  holdForFriends = $state(true);
  /** Accept file offers up to this size without asking (EngineOptions.autoAcceptBytes); 0: always ask. */
  autoAcceptBytes = $state(DEFAULT_AUTO_ACCEPT_BYTES);
  /** The "run a Tor relay?" card: shown once after an identity is created, until dismissed. */
  relayPrompt = $state<'none' | 'pending' | 'dismissed'>('none');

  async load(): Promise<void> {
    const db = getDb();
    const [readReceipts, holdForFriends, autoAcceptBytes, relayPrompt] = await Promise.all([
      db.getSetting('readReceipts'),
      db.getSetting('holdForFriends'),
      db.getSetting('autoAcceptBytes'),
      db.getSetting('relayPrompt'),
    ]);
    this.relayPrompt = relayPrompt === 'pending' || relayPrompt === 'dismissed' ? relayPrompt : 'none';
    this.readReceipts = readReceipts ?? true;
    this.holdForFriends = holdForFriends ?? true;
    this.autoAcceptBytes = validAutoAccept(autoAcceptBytes) ? autoAcceptBytes : DEFAULT_AUTO_ACCEPT_BYTES;
  }

  async setReadReceipts(on: boolean): Promise<void> {
    this.readReceipts = on;
    await getDb().setSetting('readReceipts', on);
  }

  async setHoldForFriends(on: boolean): Promise<void> {
    this.holdForFriends = on;
    await getDb().setSetting('holdForFriends', on);
  }

  async setRelayPrompt(state: 'pending' | 'dismissed'): Promise<void> {
    this.relayPrompt = state;
    await getDb().setSetting('relayPrompt', state);
  }

  async setAutoAcceptBytes(bytes: number): Promise<void> {
    if (!validAutoAccept(bytes)) throw new ChattorError('E_BAD_INPUT', 'auto-accept size out of range');
    this.autoAcceptBytes = bytes;
    await getDb().setSetting('autoAcceptBytes', bytes);
  }
}

function validAutoAccept(bytes: unknown): bytes is number {
  return Number.isSafeInteger(bytes) && (bytes as number) >= 0 && (bytes as number) <= MAX_AUTO_ACCEPT_BYTES;
}

export const prefs = new Prefs();
