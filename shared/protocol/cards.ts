// Implements docs/protocol.md §4.4 card checks (a peer's card: verified, same identity, §3.3 freshness)
// and the local deletion of a contact (remove, removed, block).
import {
  compareContactCards,
  decodeContactCard,
  verifyContactCard,
  type ContactCard,
} from '../crypto/contact-card.js';
import { equalBytes, fromBase64Url } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { Contact, Id } from './api.js';
import type { Core } from './core.js';
import { peerKey } from './state.js';

export interface CardUpdate {
  readonly card: ContactCard;
  /** Contact fields to take over: empty unless the card is newer than the stored one. */
  readonly fields: Partial<Pick<Contact, 'displayName' | 'contactOnion' | 'card'>>;
  readonly order: 'newer' | 'same' | 'older' | 'conflict';
}

/** A card a contact sent us: must verify and belong to the same identity as the stored card. */
export async function checkPeerCard(core: Core, contact: Contact, text: string): Promise<CardUpdate> {
  const bytes = fromBase64Url(text, 'card');
  if (!(await verifyContactCard(bytes, { now: core.now() })))
    throw new ChattorError('E_SIGNATURE', 'contact card does not verify');
  const card = decodeContactCard(bytes);
  const stored = decodeContactCard(fromBase64Url(contact.card, 'stored card'));
  if (!equalBytes(stored.signingPublic, card.signingPublic))
    throw new ChattorError('E_SIGNATURE', 'contact card belongs to another identity');
  const order = compareContactCards(stored, card);
  const fields =
    order === 'newer' ? { displayName: card.displayName, contactOnion: card.contactOnion, card: text } : {};
  return { card, fields, order };
}

/** Undelivered outgoing messages of a contact become 'failed'; its outbox is emptied. */
export async function dropOutbox(core: Core, contactId: Id): Promise<void> {
  for (const item of await core.storage.listOutbox(contactId)) {
    await core.storage.deleteOutbox(item.messageId);
    if (item.kind !== 'message') continue;
    const m = await core.storage.getMessage(item.messageId);
    if (m && (m.state === 'queued' || m.state === 'sent')) {
      const failed = { ...m, state: 'failed' as const };
      await core.storage.putMessage(failed);
      core.emit({ t: 'MessageChanged', message: failed });
    }
  }
}

/** Forgets a contact: row, session, outbox, engine record (messages stay as history). */
export async function forgetContact(core: Core, contactId: Id): Promise<void> {
  const existed = (await core.storage.getContact(contactId)) !== undefined;
  await core.storage.transaction(async () => {
    await dropOutbox(core, contactId);
    await core.storage.deleteSession(contactId);
    await core.storage.putMeta(peerKey(contactId), null);
    if (existed) await core.storage.deleteContact(contactId);
  });
  core.forgetSession(contactId);
  core.replyLinks.delete(contactId);
  await core.mail?.forget(contactId);
  if (existed) await core.social?.friendGone(contactId);
  if (existed) await core.handles?.friendGone(contactId);
  if (existed) core.emit({ t: 'ContactRemoved', contactId });
}
