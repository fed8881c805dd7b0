// Version 2: the chat engine's storage (shared/protocol/api.ts EngineStorage): identity and other
// engine metadata, contacts, sealed ratchet sessions, messages, the outbox and the replay memory.
// Only new tables: version-1 rows (the pairing token in `settings`) are kept as they are.
import type { Migration } from './types';

export const migration0002: Migration = {
  version: 2,
  stores: {
    meta: '&key',
    contacts: '&id, state, lastMessageAt',
    sessions: '&contactId',
    // [contactId+sentAt+seq] gives one conversation in display order (and the "older than" window);
    // `id` is the sender-chosen de-duplication key.
    messages: '&id, [contactId+sentAt+seq]',
    outbox: '&messageId, contactId, createdAt',
    seen: '&key, expiresAt',
  },
};
