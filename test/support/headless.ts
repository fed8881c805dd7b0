// Helpers for tests that drive headless nodes (headless/node.ts) on the private Tor network.
import type { ChatMessage, Contact } from '../../shared/protocol/api.js';
import type { HeadlessNode } from '../../headless/node.js';

/** Polls `fn` every 250 ms until it returns something other than undefined. */
export async function until<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 180_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `from` sends `to` a friend request, `to` accepts; resolves with each side's contact of the other. */
export async function befriend(from: HeadlessNode, to: HeadlessNode, note = ''): Promise<[Contact, Contact]> {
  const req = await from.engine.sendFriendRequest(await to.contactLink(), note);
  const incoming = await until(
    async () => (await to.storage.listContacts()).find((c) => c.state === 'incoming-request'),
    'friend request',
  );
  await to.engine.acceptFriendRequest(incoming.id);
  await until(
    async () => ((await from.storage.getContact(req.id))?.state === 'friend' ? true : undefined),
    'accept',
  );
  return [req, incoming];
}

/** Waits until `node` has `n` incoming messages from `contactId`, asking its mailboxes again meanwhile. */
export function untilFetched(
  node: HeadlessNode,
  contactId: string,
  n: number,
  what: string,
): Promise<ChatMessage[]> {
  return until(async () => {
    const ms = (await node.storage.listMessages(contactId)).filter((m) => m.direction === 'in');
    if (ms.length < n) {
      await node.engine.fetchMail();
      return undefined;
    }
    return ms;
  }, what);
}
