// Is this page a stateless session (docs/protocol.md §2.4)? Every page on the home onion is: Tor
// Browser forgets IndexedDB when it closes and has no service worker, so the app keeps everything in
// memory and its home vault on the gateway is the only state that outlives the tab.
import { useDatabaseBackend } from '$lib/db/db';

export function isStatelessSession(): boolean {
  return typeof location !== 'undefined' && location.hostname.endsWith('.onion');
}

/** Before anything opens the database: an in-memory IndexedDB (fake-indexeddb) for the whole app. */
export async function enterStatelessSession(): Promise<void> {
  const { indexedDB, IDBKeyRange } = await import('fake-indexeddb');
  useDatabaseBackend({ indexedDB, IDBKeyRange });
}
