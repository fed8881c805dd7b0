// Implements docs/protocol.md §4.5 (links): which link reaches a contact, online state, dialing on
// start and when something waits, resending the outbox when a link opens and on the RETRY timer.
import type { Id } from './api.js';
import { BODY_VERSION, BodyType, decodeBody } from './body.js';
import { forgetContact } from './cards.js';
import type { Core } from './core.js';
import { DECLINE_MEMORY_MS } from './state.js';

export async function startLinks(
  core: Core,
  onBody: (link: number, body: Uint8Array) => Promise<void>,
): Promise<() => void> {
  const offBody = core.transport.onBody((link, body) => {
    // File chunks (§6.2) skip the serial queue: each transfer has its own, so chat is never behind them.
    if (body[0] === BODY_VERSION && body[1] === BodyType.CHUNK && core.files) {
      try {
        const b = decodeBody(body);
        if (b.type === 'CHUNK') core.files.onChunk(link, b.fileId, b.index, b.ciphertext);
      } catch (e) {
        core.protocolError(e);
      }
      return;
    }
    void core.serial.run(() => onBody(link, body));
  });
  const offLink = core.transport.onLink((e) => {
    void core.serial.run(() => linkChanged(core, e)).catch((err: unknown) => core.protocolError(err));
  });
  const now = core.now();
  for (const c of await core.storage.listContacts()) {
    if (c.state === 'declined' && now - c.updatedAt >= DECLINE_MEMORY_MS) await forgetContact(core, c.id);
    else if (c.online) await core.saveContact({ ...c, online: false }); // links are learnt afresh
  }
  const onions = new Set<string>();
  for (const c of await core.storage.listContacts()) if (c.state === 'friend') onions.add(c.contactOnion);
  for (const id of await outboxContacts(core)) {
    const peer = await core.getPeer(id);
    if (peer) onions.add(peer.onion);
  }
  for (const onion of onions) await core.ensureDial(onion);
  const timer = setInterval(() => {
    void core.serial.run(() => retry(core)).catch((err: unknown) => core.protocolError(err));
  }, core.retryMs);
  return () => {
    offBody();
    offLink();
    clearInterval(timer);
  };
}

async function outboxContacts(core: Core): Promise<Set<Id>> {
  return new Set((await core.storage.listOutbox()).map((i) => i.contactId));
}

async function retry(core: Core): Promise<void> {
  for (const id of await outboxContacts(core)) await core.flush(id);
}

async function linkChanged(core: Core, e: { link: number; open: boolean; onion?: string }): Promise<void> {
  const prev = core.links.get(e.link);
  // An opening without an onion (an accepted link, or one replayed while open) keeps the onion only while
  // the number stays open: a closed number can come back as another link (a restarted gateway, §2.2).
  const onion = e.onion ?? (!e.open || prev?.open ? prev?.onion : undefined);
  const reopened = e.open && !prev?.open;
  const epoch = reopened ? ++core.linkEpochs : (prev?.epoch ?? 0);
  const openedAt = reopened ? core.now() : prev?.openedAt;
  core.links.set(e.link, {
    open: e.open,
    epoch,
    ...(onion ? { onion } : {}),
    ...(openedAt !== undefined ? { openedAt } : {}),
  });
  // A closed dialed link is asked for again: the gateway answers with the same link while it keeps
  // redialing it, and with a new one after it restarted (when it has forgotten every link). So is every
  // onion still dialed on a number that now opens as another link (to another onion, or accepted): a
  // restarted gateway reuses numbers (§2.2), and a body for that onion must never go out on it.
  const redial = core.releaseDialed(e.link, e.open ? onion : undefined);
  if (onion && e.open) core.dialed.set(onion, e.link);
  const affected = new Set<Id>();
  for (const [id, l] of core.replyLinks) {
    if (l !== e.link) continue;
    affected.add(id);
    if (!e.open) core.replyLinks.delete(id);
  }
  const friends = new Set<string>();
  const ask: Id[] = []; // friends reached for the first time since start: asked to resend (§4.5)
  if (onion || redial.length > 0) {
    for (const c of await core.storage.listContacts()) {
      if (c.contactOnion !== onion && !redial.includes(c.contactOnion)) continue;
      affected.add(c.id);
      if (c.state !== 'friend') continue;
      friends.add(c.contactOnion);
      if (e.open && c.contactOnion === onion && !core.resendAsked.has(c.id)) ask.push(c.id);
    }
    for (const id of await outboxContacts(core)) {
      const o = (await core.getPeer(id))?.onion;
      if (o !== undefined && (o === onion || redial.includes(o))) affected.add(id);
    }
  }
  if (!onion && !e.open) core.links.delete(e.link);
  for (const o of redial) if (friends.has(o)) await core.ensureDial(o);
  for (const id of ask) {
    core.resendAsked.add(id);
    await core.sendTo(id, { t: 'resend' });
  }
  for (const id of affected) {
    await core.refreshOnline(id);
    if (e.open) await core.flush(id);
    if (e.open) await core.files?.linkOpened(id);
    if (e.open) await core.social?.linkOpened(id, `${e.link}:${epoch}`);
  }
}
