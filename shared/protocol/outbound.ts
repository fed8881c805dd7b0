// Implements docs/protocol.md §4.4 (sending a friend request) and §4.5 (sending messages, read receipts).
import { encodeContactCard, verifyContactCard, type ContactCard } from '../crypto/contact-card.js';
import { x3dhInitiate } from '../crypto/x3dh.js';
import { toBase64Url, toHex } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { ChatMessage, Contact, Id } from './api.js';
import { contactIdOf, deriveSessionId, encodeRequestBody, randomId, SID_SALT_BYTES } from './body.js';
import type { Core } from './core.js';
import { ownCard } from './keys.js';
import { encodePayload, isText, MAX_NOTE_CHARS, MAX_RECEIPT_IDS } from './payload.js';
import { newPeer, sidKey, type PeerRecord } from './state.js';

export async function sendFriendRequest(
  core: Core,
  card: ContactCard,
  note: string,
  acceptInstead: (contactId: Id) => Promise<void>,
): Promise<Contact> {
  if (!isText(note, 0, MAX_NOTE_CHARS))
    throw new ChattorError('E_BAD_INPUT', `note: up to ${MAX_NOTE_CHARS} characters`);
  const now = core.now();
  if (card.expiresAt !== undefined && card.expiresAt <= now)
    throw new ChattorError('E_BAD_INPUT', 'this contact link has expired');
  if (!(await verifyContactCard(card, { now })))
    throw new ChattorError(
      'E_SIGNATURE',
      'this contact link is forged or damaged (its signature does not verify)',
    );
  const contactId = await contactIdOf(card.signingPublic);
  if (contactId === core.k.selfId) throw new ChattorError('E_BAD_INPUT', 'this is your own contact link');
  const existing = await core.storage.getContact(contactId);
  switch (existing?.state) {
    case 'friend':
      throw new ChattorError('E_STATE', 'already a friend');
    case 'blocked':
      throw new ChattorError('E_STATE', 'this contact is blocked');
    case 'outgoing-request':
      return existing;
    case 'incoming-request':
      await acceptInstead(contactId);
      return (await core.storage.getContact(contactId)) ?? existing;
    case 'declined':
    case undefined:
      break;
  }
  const onion = core.transport.contactOnion();
  if (!onion) throw new ChattorError('E_STATE', 'contact onion not published yet');
  const own = await ownCard(core.storage, core.k, onion, now);
  const requestId = randomId(core.rng);
  const sidSalt = core.rng(SID_SALT_BYTES);
  const plaintext = encodePayload({
    t: 'request',
    id: requestId,
    sentAt: now,
    card: toBase64Url(own.bytes),
    note,
    sidSalt: toBase64Url(sidSalt),
  });
  const { state, initialMessage } = await x3dhInitiate({
    identity: core.k.identity,
    theirCard: card,
    plaintext,
    rng: core.rng,
    now,
  });
  const sid = toHex(await deriveSessionId(initialMessage, sidSalt));
  const peer: PeerRecord = { ...newPeer(contactId, card.contactOnion), sessionId: sid, requestId };
  const contact: Contact = {
    id: contactId,
    displayName: card.displayName,
    contactOnion: card.contactOnion,
    state: 'outgoing-request',
    note,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    card: toBase64Url(encodeContactCard(card)),
    unread: 0,
    online: false,
  };
  const body = encodeRequestBody(initialMessage);
  const sealed = await core.sealSession(peer, state);
  await core.storage.transaction(async () => {
    await core.storage.putContact(contact);
    await core.putPeer(peer);
    await core.storage.putSession(contactId, sealed);
    await core.storage.putMeta(sidKey(sid), contactId);
    const item = { messageId: requestId, contactId, body, createdAt: now, attempts: 0 };
    await core.storage.putOutbox({ ...item, kind: 'request' });
  });
  core.commitSession(contactId, state);
  core.emit({ t: 'ContactChanged', contact });
  await core.flush(contactId);
  await core.refreshOnline(contactId);
  return (await core.storage.getContact(contactId)) ?? contact;
}

export async function sendMessage(
  core: Core,
  contactId: Id,
  body: string,
  known?: PeerRecord,
): Promise<ChatMessage> {
  const peer = known ?? (await core.getPeer(contactId));
  if (!peer) throw new ChattorError('E_STATE', 'no session with this contact');
  // sentAt increases with seq, so display order (sentAt) agrees with the sender's order (§4.5).
  const sentAt = Math.max(core.now(), peer.lastSentAt + 1);
  const message: ChatMessage = {
    id: randomId(core.rng),
    contactId,
    direction: 'out',
    body,
    sentAt,
    seq: peer.nextSeqOut,
    state: 'queued',
  };
  const next = { ...peer, nextSeqOut: peer.nextSeqOut + 1, lastSentAt: sentAt };
  const payload = { t: 'msg', id: message.id, seq: message.seq, sentAt, body } as const;
  await core.sendPayload(next, payload, {
    kind: 'message',
    messageId: message.id,
    deferFlush: true,
    also: async () => {
      await core.storage.putMessage(message);
      await core.putPeer(next);
    },
  });
  core.emit({ t: 'MessageAdded', message });
  await core.flush(contactId, next);
  return (await core.storage.getMessage(message.id)) ?? message;
}

export async function markRead(core: Core, contactId: Id): Promise<void> {
  const unread = (await core.storage.listMessages(contactId)).filter(
    (m) => m.direction === 'in' && m.state === 'delivered',
  );
  const contact = await core.storage.getContact(contactId);
  if (contact && contact.unread !== 0) await core.saveContact({ ...contact, unread: 0 });
  if (unread.length === 0) return;
  await core.storage.transaction(async () => {
    for (const m of unread) await core.storage.putMessage({ ...m, state: 'read' });
  });
  for (const m of unread) core.emit({ t: 'MessageChanged', message: { ...m, state: 'read' } });
  const peer = await core.getPeer(contactId);
  if (!core.readReceipts() || !peer || contact?.state !== 'friend') return;
  for (let i = 0; i < unread.length; i += MAX_RECEIPT_IDS) {
    const ids = unread.slice(i, i + MAX_RECEIPT_IDS).map((m) => m.id);
    await core.sendPayload(peer, { t: 'receipt', ids, state: 'read' }, { kind: 'receipt' });
  }
}
