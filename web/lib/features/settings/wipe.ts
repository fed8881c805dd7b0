// "Wipe this device": stop everything, delete the database (keys, contacts, messages, pairing token)
// and this browser's preferences and received files, then start over at the Not paired screen.
import { deleteDatabase } from '$lib/db/db';
import { removeAllFiles } from '$lib/files/file-store';

export const WIPE_PHRASE = 'wipe';

export interface Stoppable {
  stop(): void | Promise<void>;
}

export async function wipeDevice(running: Stoppable[]): Promise<void> {
  for (const s of running) {
    try {
      await s.stop();
    } catch {
      // Stopping is best effort: the database goes either way.
    }
  }
  await deleteDatabase();
  // Received files outside IndexedDB (the Origin Private File System); the stops above released them.
  await removeAllFiles();
  try {
    localStorage.clear();
  } catch {
    // Storage may be disabled; nothing to clear then.
  }
}
