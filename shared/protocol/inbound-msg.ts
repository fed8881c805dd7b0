// Implements docs/protocol.md §4.5 (receiving MSG: routing, replay memory, decryption, payloads, order,
// receipts). Failures become ProtocolError events; nothing here throws past the frame handler.
import { ratchetDecrypt, decryptError } from '../crypto/ratchet.js';
import { toHex } from '../util/bytes.js';
import { ChattorError, missingCaseError } from '../util/errors.js';
import type { ChatMessage, Contact, DeliveryState, EngineEvent, Id } from './api.js';
import { hashHex, randomId } from './body.js';
import { checkPeerCard, forgetContact } from './cards.js';
import type { Core } from './core.js';
import { decodePayload, type Payload } from './payload.js';
import { MAX_SEQ_GAP, SEEN_TTL_MS, sidKey, type PeerRecord } from './state.js';

interface Effects {
  writes: (() => Promise<void>)[];
  events: EngineEvent[];
  ackId?: Id;
  after: (() => Promise<void>)[];
  viaMailbox: boolean;
}

const RANK: Record<DeliveryState, number> = { failed: 0, queued: 0, sent: 1, delivered: 2, read: 3 };

/** `link` null: the body came out of a mailbox envelope (§5.7), not from a link. */
export async function handleMsg(
  core: Core,
  link: number | null,
  sessionId: Uint8Array,
  message: Uint8Array,
  raw: Uint8Array,
): Promise<void> {
  const sid = toHex(sessionId);
  // Independent reads at once (routing, replay memory): each is a storage round trip.
  const [contactId, ctKey] = await Promise.all([
    core.storage.getMeta<string | null>(sidKey(sid)),
    hashHex(raw).then((h) => `ct:${h}`),
  ]);
  if (!contactId) throw decryptError();
  const [peer, contact, seen] = await Promise.all([
    core.getPeer(contactId),
    core.storage.getContact(contactId),
    core.storage.getSeen(ctKey),
  ]);
  if (!peer || peer.sessionId !== sid) throw decryptError();
  if (contact?.state === 'blocked' || contact?.state === 'declined') return; // dropped silently (§4.4)
  if (!contact && !peer.removing) throw decryptError();
  if (seen !== undefined) {
    if (link === null) return; // the same message came directly as well: already acknowledged
    if (seen) await core.sendPayload(peer, { t: 'receipt', ids: [seen], state: 'delivered' }, { link });
    throw new ChattorError('E_REPLAY', 'duplicate message');
  }
  const opts = { rng: core.rng, now: core.now };
  const decrypted = await ratchetDecrypt(await core.loadSession(peer), message, opts);
  const newLink = link !== null && core.replyLinks.get(contactId) !== link;
  if (link !== null) core.replyLinks.set(contactId, link);
  let fx: Effects | undefined;
  let failure: unknown;
  try {
    const payload = decodePayload(decrypted.plaintext);
    const e: Effects = { writes: [], events: [], after: [], viaMailbox: link === null };
    await apply(core, peer, contact, payload, e);
    fx = e;
  } catch (err) {
    failure = err; // the ratchet still advances: the message was authentic, its content was not valid
  }
  // The delivered receipt is encrypted now and its ratchet step stored in the same transaction as the
  // message, so one commit covers both; it is written to the link only after that commit (§4.2: a
  // receipt only once the payload is durably stored).
  let state = decrypted.state;
  let receipt: Uint8Array | undefined;
  if (fx?.ackId) {
    const r = await core.encryptPayload(peer, { t: 'receipt', ids: [fx.ackId], state: 'delivered' }, state);
    state = r.state;
    receipt = r.body;
  }
  const sealed = await core.sealSession(peer, state);
  // A mailbox message's receipt waits in the outbox until the sender is reachable (§5.7).
  const queued = receipt && link === null ? receipt : undefined;
  await core.storage.transaction(async () => {
    await core.storage.putSession(contactId, sealed);
    await core.storage.addSeen(ctKey, core.now() + SEEN_TTL_MS, fx?.ackId ?? '');
    for (const w of fx?.writes ?? []) await w();
    if (queued) {
      const item = {
        messageId: randomId(core.rng),
        contactId,
        body: queued,
        createdAt: core.now(),
        attempts: 0,
      };
      await core.storage.putOutbox({ ...item, kind: 'receipt' });
    }
  });
  core.commitSession(contactId, state);
  if (receipt && link !== null) core.sendNow(peer, receipt, link);
  for (const e of fx?.events ?? []) core.emit(e);
  if (failure !== undefined) core.protocolError(failure, contactId);
  for (const a of fx?.after ?? []) await a();
  if (queued && core.deferredFlush) core.deferredFlush.add(contactId);
  else if (queued) await core.flush(contactId);
  if (newLink) {
    await core.refreshOnline(contactId);
    await core.flush(contactId);
    await core.social?.linkOpened(contactId, `reply:${link}`);
  }
}

async function apply(
  core: Core,
  peer: PeerRecord,
  contact: Contact | undefined,
  p: Payload,
  fx: Effects,
): Promise<void> {
  switch (p.t) {
    case 'request':
      throw new ChattorError('E_BAD_INPUT', 'a request payload outside a REQUEST');
    case 'msg':
    case 'file':
      return applyMsg(core, peer, contact, p, fx);
    case 'file-get':
    case 'file-ack':
    case 'file-done':
    case 'file-cancel':
      return applyFile(core, peer, contact, p, fx);
    case 'receipt':
      return applyReceipt(core, peer, p, fx);
    case 'resend':
      if (contact?.state !== 'friend')
        throw new ChattorError('E_STATE', 'resend from someone who is not a friend');
      fx.after.push(() => core.resendTo(peer.contactId));
      return;
    case 'accept': {
      if (!contact) throw new ChattorError('E_STATE', 'accept from an unknown contact');
      fx.ackId = p.id;
      if (contact.state === 'friend') return; // a repeated accept
      if (contact.state !== 'outgoing-request') throw new ChattorError('E_STATE', 'accept without a request');
      const { fields } = await checkPeerCard(core, contact, p.card);
      becomeFriend(core, peer, { ...contact, ...fields }, fx);
      return;
    }
    case 'removed':
      if (!contact) return;
      fx.ackId = p.id;
      fx.after.push(() => forgetContact(core, peer.contactId));
      return;
    case 'card': {
      if (contact?.state !== 'friend') throw new ChattorError('E_STATE', 'card update from a non-friend');
      const { fields, order } = await checkPeerCard(core, contact, p.card);
      fx.ackId = p.id;
      if (order === 'older')
        fx.events.push(protocolEvent('E_REPLAY', 'an older card was ignored', contact.id));
      if (order === 'conflict')
        fx.events.push(protocolEvent('E_STATE', 'conflicting card ignored', contact.id));
      if (order !== 'newer') return;
      const c = { ...contact, ...fields, updatedAt: core.now() };
      fx.writes.push(
        () => core.storage.putContact(c),
        () => core.putPeer({ ...peer, onion: c.contactOnion }),
      );
      fx.events.push({ t: 'ContactChanged', contact: c });
      return;
    }
    case 'hold':
    case 'holding':
    case 'mailto':
    case 'tokens-low':
      return applyMail(core, peer, contact, p, fx);
    case 'audience-key':
    case 'social':
    case 'social-submit':
    case 'social-sync':
    case 'social-batch':
      return applySocial(core, peer, contact, p, fx);
    case 'zk-join':
    case 'zk-group':
    case 'zk-poll':
      return applyHandles(core, peer, contact, p, fx);
    default:
      throw missingCaseError(p);
  }
}

/** §8.3 payloads: only between friends; acknowledged, then handed to the handle agent. */
function applyHandles(
  core: Core,
  peer: PeerRecord,
  contact: Contact | undefined,
  p: Payload & { t: 'zk-join' | 'zk-group' | 'zk-poll' },
  fx: Effects,
): void {
  if (contact?.state !== 'friend')
    throw new ChattorError('E_STATE', `${p.t} from someone who is not a friend`);
  fx.ackId = p.id;
  const handles = core.handles;
  if (!handles) return;
  switch (p.t) {
    case 'zk-join':
      fx.after.push(() => handles.onJoin(peer.contactId, p.commitment));
      return;
    case 'zk-group':
      fx.after.push(() => handles.onGroup(peer.contactId, p));
      return;
    case 'zk-poll':
      fx.after.push(() => handles.onPoll(peer.contactId, p));
      return;
    default:
      throw missingCaseError(p);
  }
}

/** §5.2 payloads: only between friends; each is acknowledged, then handed to the mail agent. */
function applyMail(
  core: Core,
  peer: PeerRecord,
  contact: Contact | undefined,
  p: Payload & { t: 'hold' | 'holding' | 'mailto' | 'tokens-low' },
  fx: Effects,
): void {
  if (contact?.state !== 'friend')
    throw new ChattorError('E_STATE', `${p.t} from someone who is not a friend`);
  fx.ackId = p.id;
  const mail = core.mail;
  if (!mail) return;
  switch (p.t) {
    case 'hold':
      fx.after.push(() => mail.onHold(peer, p));
      return;
    case 'holding':
      fx.after.push(() => mail.onHolding(peer, contact, p));
      return;
    case 'mailto':
      fx.writes.push(() => mail.onMailto(peer.contactId, p));
      fx.events.push({ t: 'MailboxChanged' });
      return;
    case 'tokens-low':
      fx.after.push(async () => mail.onTokensLow(peer.contactId));
      return;
    default:
      throw missingCaseError(p);
  }
}

/** §7.5 payloads: only between friends; applied inside the message's own transaction (§7.3). */
function applySocial(
  core: Core,
  peer: PeerRecord,
  contact: Contact | undefined,
  p: Payload & { t: 'audience-key' | 'social' | 'social-submit' | 'social-sync' | 'social-batch' },
  fx: Effects,
): void {
  if (contact?.state !== 'friend')
    throw new ChattorError('E_STATE', `${p.t} from someone who is not a friend`);
  if ('id' in p) fx.ackId = p.id;
  const social = core.social;
  if (social) fx.writes.push(() => social.receive(peer, p, fx.events, fx.after));
}

function protocolEvent(code: string, message: string, contactId: Id): EngineEvent {
  return { t: 'ProtocolError', code, message, contactId };
}

/** outgoing-request → friend (on accept, or implicitly on the first msg of the session). */
function becomeFriend(core: Core, peer: PeerRecord, contact: Contact, fx: Effects): Contact {
  const c: Contact = { ...contact, state: 'friend', updatedAt: core.now() };
  const requestId = peer.requestId;
  fx.writes.push(() => core.storage.putContact(c));
  fx.writes.push(() => core.putPeer({ ...peer, onion: c.contactOnion }));
  if (requestId) fx.writes.push(() => core.storage.deleteOutbox(requestId));
  fx.events.push({ t: 'ContactChanged', contact: c });
  fx.after.push(async () => core.mail?.friendAdded(c.id));
  fx.after.push(async () => core.social?.friendAdded(c.id));
  return c;
}

/** §6.3 control payloads: between friends, handed to the file agent after the commit. */
function applyFile(
  core: Core,
  peer: PeerRecord,
  contact: Contact | undefined,
  p: Payload & { t: 'file-get' | 'file-ack' | 'file-done' | 'file-cancel' },
  fx: Effects,
): void {
  if (contact?.state !== 'friend')
    throw new ChattorError('E_STATE', `${p.t} from someone who is not a friend`);
  if (p.t !== 'file-ack') fx.ackId = p.id;
  const files = core.files;
  if (!files) return;
  const id = peer.contactId;
  switch (p.t) {
    case 'file-get':
      fx.after.push(() => files.onGet(id, p));
      return;
    case 'file-ack':
      fx.after.push(() => files.onAck(id, p));
      return;
    case 'file-done':
      fx.after.push(() => files.onDone(id, p));
      return;
    case 'file-cancel':
      fx.after.push(() => files.onCancel(id, p));
      return;
    default:
      throw missingCaseError(p);
  }
}

async function applyMsg(
  core: Core,
  peer: PeerRecord,
  contact: Contact | undefined,
  p: Payload & { t: 'msg' | 'file' },
  fx: Effects,
): Promise<void> {
  if (contact?.state !== 'friend' && contact?.state !== 'outgoing-request')
    throw new ChattorError('E_STATE', 'message from someone who is not a friend');
  const existing = await core.storage.getMessage(p.id);
  if (existing && existing.contactId !== peer.contactId)
    throw new ChattorError('E_BAD_INPUT', 'message id collides with another conversation');
  fx.ackId = p.id;
  if (existing || peer.held.some((m) => m.id === p.id)) return; // acknowledged again, stored once
  if (p.seq < peer.nextSeqIn || peer.held.some((m) => m.seq === p.seq))
    throw new ChattorError('E_BAD_INPUT', 'message seq already used');
  if (p.seq >= peer.nextSeqIn + MAX_SEQ_GAP)
    throw new ChattorError('E_BAD_INPUT', 'message seq too far ahead');
  const now = core.now();
  const msg: ChatMessage = {
    id: p.id,
    contactId: peer.contactId,
    direction: 'in',
    body: p.t === 'msg' ? p.body : p.name,
    sentAt: p.sentAt,
    receivedAt: now,
    seq: p.seq,
    state: 'delivered',
    ...(fx.viaMailbox ? { via: 'mailbox' as const } : {}),
    ...(p.t === 'file'
      ? { file: { name: p.name, size: p.size, type: p.type, state: 'offered' as const, done: 0 } }
      : {}),
  };
  if (p.t === 'file' && core.files) {
    const files = core.files;
    fx.after.push(() => files.offered(peer.contactId, p));
  }
  const held = [...peer.held, msg].sort((a, b) => a.seq - b.seq);
  let nextSeqIn = peer.nextSeqIn;
  const released: ChatMessage[] = [];
  while (held[0]?.seq === nextSeqIn) {
    released.push(held.shift()!);
    nextSeqIn += 1;
  }
  let c = contact;
  if (c.state === 'outgoing-request') c = becomeFriend(core, peer, c, fx);
  if (released.length > 0) {
    c = { ...c, unread: c.unread + released.length, lastMessageAt: now, updatedAt: now };
    const final = c;
    fx.writes.push(() => core.storage.putContact(final));
    fx.events.push({ t: 'ContactChanged', contact: final });
  }
  const next: PeerRecord = { ...peer, onion: c.contactOnion, held, nextSeqIn };
  fx.writes.push(() => core.putPeer(next));
  for (const m of released) fx.writes.push(() => core.storage.putMessage(m));
  fx.events.splice(0, 0, ...released.map((m): EngineEvent => ({ t: 'MessageAdded', message: m })));
}

async function applyReceipt(
  core: Core,
  peer: PeerRecord,
  p: Payload & { t: 'receipt' },
  fx: Effects,
): Promise<void> {
  const [items, messages] = await Promise.all([
    core.storage.listOutbox(peer.contactId),
    Promise.all(p.ids.map((id) => core.storage.getMessage(id))),
  ]);
  const outbox = new Map(items.map((i) => [i.messageId, i]));
  for (const [i, id] of p.ids.entries()) {
    if (outbox.has(id)) fx.writes.push(() => core.storage.deleteOutbox(id));
    if (peer.removing === id) fx.after.push(() => forgetContact(core, peer.contactId));
    const m = messages[i];
    if (!m || m.contactId !== peer.contactId || m.direction !== 'out' || RANK[p.state] <= RANK[m.state])
      continue;
    const changed = { ...m, state: p.state };
    fx.writes.push(() => core.storage.putMessage(changed));
    fx.events.push({ t: 'MessageChanged', message: changed });
  }
}
