// Implements docs/protocol.md §4.1 dispatch and §4.4 (receiving a REQUEST): checks cheapest first —
// own key, blocked/declined, replay, rate limits — then X3DH, then the request payload and its card.
import { decodeContactCard, verifyContactCard } from '../crypto/contact-card.js';
import { x3dhRespond } from '../crypto/x3dh.js';
import { concatBytes, equalBytes, fromBase64Url, toBase64Url, toHex } from '../util/bytes.js';
import { ChattorError, missingCaseError } from '../util/errors.js';
import type { Contact, Id } from './api.js';
import { contactIdOf, decodeBody, deriveSessionId, hashHex, randomId, type Body } from './body.js';
import type { Core } from './core.js';
import { handleMsg } from './inbound-msg.js';
import { ownCard } from './keys.js';
import { decodePayload } from './payload.js';
import { DECLINE_MEMORY_MS, newPeer, REQUEST_SEEN_FOREVER, sidKey, type PeerRecord } from './state.js';

/** The frame handler: never throws; every failure becomes a ProtocolError event. */
/** `link` null: the body came out of a mailbox envelope (§5.7). */
export async function handleBody(core: Core, link: number | null, bytes: Uint8Array): Promise<void> {
  try {
    if (link !== null && !core.links.has(link)) core.links.set(link, { open: true });
    const body = decodeBody(bytes);
    switch (body.type) {
      case 'REQUEST':
        if (link === null) throw new ChattorError('E_BAD_INPUT', 'a friend request cannot come by mailbox');
        return await handleRequest(core, link, body);
      case 'MSG':
        return await handleMsg(core, link, body.sessionId, body.message, bytes);
      case 'HANDLE':
        // A RESULT only answers our own exchange (the transport takes it); elsewhere it is ignored.
        if (link === null) throw new ChattorError('E_BAD_INPUT', 'a handle body cannot come by mailbox');
        if (body.op === 'SUBMIT') await core.handles?.onSubmit(link, body.data);
        return;
      case 'CHUNK':
        // Normally routed before the serial queue (links.ts); here only if it came another way.
        if (link !== null) core.files?.onChunk(link, body.fileId, body.index, body.ciphertext);
        return;
      default:
        throw missingCaseError(body);
    }
  } catch (e) {
    core.protocolError(e);
  }
}

async function handleRequest(core: Core, link: number, body: Body & { type: 'REQUEST' }): Promise<void> {
  const m = body.decoded;
  const contactId = await contactIdOf(m.signingPublic);
  if (contactId === core.k.selfId) throw new ChattorError('E_BAD_INPUT', 'friend request from our own key');
  const existing = await core.storage.getContact(contactId);
  if (existing?.state === 'blocked') return;
  if (existing?.state === 'declined' && core.now() - existing.updatedAt < DECLINE_MEMORY_MS) return;
  const seenKey = `req:${await hashHex(concatBytes(m.signingPublic, m.ephemeralPublic))}`;
  const seen = await core.storage.getSeen(seenKey);
  if (seen !== undefined) {
    if (seen === contactId) await reack(core, link, contactId);
    throw new ChattorError('E_REPLAY', 'friend request replayed');
  }
  if (!core.limiter.allow(contactId, core.now()))
    throw new ChattorError('E_RATE_LIMITED', 'too many friend requests');
  const r = await x3dhRespond({
    identity: core.k.identity,
    initialMessage: body.initialMessage,
    prekeys: core.k.prekeys,
    rng: core.rng,
    now: core.now,
  });
  const p = decodePayload(r.plaintext);
  if (p.t !== 'request') throw new ChattorError('E_BAD_INPUT', 'a REQUEST must carry a request payload');
  const cardBytes = fromBase64Url(p.card, 'card');
  if (!(await verifyContactCard(cardBytes, { now: core.now() })))
    throw new ChattorError('E_SIGNATURE', 'the card in the friend request does not verify');
  const card = decodeContactCard(cardBytes);
  if (!equalBytes(card.signingPublic, m.signingPublic) || !equalBytes(card.dhPublic, m.dhPublic))
    throw new ChattorError('E_SIGNATURE', "the card in the friend request is not the sender's");
  const sid = toHex(await deriveSessionId(body.initialMessage, fromBase64Url(p.sidSalt, 'sidSalt')));
  const old = existing && existing.state !== 'declined' ? await core.getPeer(contactId) : undefined;
  if (existing?.state === 'outgoing-request' && old?.sessionId && old.sessionId < sid) {
    // Crossed requests (§4.4): ours has the smaller sessionId and wins on both sides.
    await core.storage.addSeen(seenKey, REQUEST_SEEN_FOREVER, '');
    return;
  }
  const friend = existing?.state === 'outgoing-request' || existing?.state === 'friend';
  const now = core.now();
  const base = old ?? newPeer(contactId, card.contactOnion);
  const peer: PeerRecord = {
    ...base,
    onion: card.contactOnion,
    sessionId: sid,
    requestId: p.id,
    nextSeqIn: 1, // a new session: the requester (maybe restored from a backup) counts from 1 again
    held: [],
  };
  const keep = existing && existing.state !== 'declined' ? existing : undefined;
  const contact: Contact = {
    ...(keep ?? { unread: 0, createdAt: now }),
    id: contactId,
    displayName: card.displayName,
    contactOnion: card.contactOnion,
    state: friend ? 'friend' : 'incoming-request',
    ...(friend ? {} : { note: p.note }),
    updatedAt: now,
    card: toBase64Url(cardBytes),
    online: true,
  };
  const sealed = await core.sealSession(peer, r.state);
  await core.storage.transaction(async () => {
    await core.storage.putContact(contact);
    await core.putPeer(peer);
    await core.storage.putSession(contactId, sealed);
    await core.storage.putMeta(sidKey(sid), contactId);
    await core.storage.addSeen(seenKey, REQUEST_SEEN_FOREVER, contactId);
    if (old?.requestId && existing?.state === 'outgoing-request')
      await core.storage.deleteOutbox(old.requestId);
  });
  core.commitSession(contactId, r.state);
  core.replyLinks.set(contactId, link);
  core.emit({ t: 'ContactChanged', contact });
  await core.sendPayload(peer, { t: 'receipt', ids: [p.id], state: 'delivered' }, { link });
  if (friend) await sendAccept(core, peer);
  await core.refreshOnline(contactId);
}

/** A repeated REQUEST of the current session: acknowledge it again (the requester lost our receipt). */
async function reack(core: Core, link: number, contactId: Id): Promise<void> {
  const c = await core.storage.getContact(contactId);
  const peer = await core.getPeer(contactId);
  if (!peer?.requestId || (c?.state !== 'incoming-request' && c?.state !== 'friend')) return;
  await core.sendPayload(peer, { t: 'receipt', ids: [peer.requestId], state: 'delivered' }, { link });
}

export async function sendAccept(core: Core, peer: PeerRecord): Promise<void> {
  const onion = core.transport.contactOnion();
  const cardBytes = onion
    ? (await ownCard(core.storage, core.k, onion, core.now())).bytes
    : await core.storage.getMeta<Uint8Array>('card');
  if (!cardBytes) throw new ChattorError('E_STATE', 'contact onion not published yet');
  const id = randomId(core.rng);
  await core.sendPayload(
    peer,
    { t: 'accept', id, card: toBase64Url(cardBytes) },
    { kind: 'control', messageId: id },
  );
}
