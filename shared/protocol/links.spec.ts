// Tests docs/protocol.md §4.5 link bookkeeping with a scripted transport: after a gateway restart (§2.2)
// the same link numbers come back as other links, and a body meant for one friend must never go out on a
// number that now reaches another.
import { describe, expect, it } from 'vitest';
import { onionFromPublicKey } from '../crypto/onion.js';
import type { Contact, EngineTransport } from './api.js';
import { Core } from './core.js';
import { startLinks } from './links.js';
import { MemoryStorage } from './memory.js';

type LinkEvent = { link: number; open: boolean; onion?: string };

/** A transport whose dial answers and link events the test decides. */
function scripted() {
  let onLink: ((e: LinkEvent) => void) | undefined;
  const answers = new Map<string, number>();
  const t: EngineTransport = {
    dial: async (onion) => {
      const link = answers.get(onion);
      if (link === undefined) throw new Error('no answer scripted');
      return link;
    },
    close: async () => undefined,
    send: () => undefined,
    onBody: () => () => undefined,
    onLink: (h) => {
      onLink = h;
      return () => undefined;
    },
    contactOnion: () => undefined,
  };
  return { t, answers, fire: (e: LinkEvent) => onLink?.(e) };
}

const onion = () => onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
const friend = (id: string, contactOnion: string) =>
  ({ id, state: 'friend', contactOnion, online: false, updatedAt: 0 }) as unknown as Contact;

describe('link bookkeeping (§4.5)', () => {
  it('a number that comes back as another link is never used for the onion it reached before', async () => {
    const [A, C] = [onion(), onion()];
    const s = scripted();
    const storage = new MemoryStorage();
    await storage.putContact(friend('alice', A));
    await storage.putContact(friend('carol', C));
    const core = new Core({ storage, transport: s.t, retryMs: 60_000 });
    s.answers.set(A, 2);
    s.answers.set(C, 1);
    const stop = await startLinks(core, async () => undefined);
    expect(core.dialed).toEqual(
      new Map([
        [A, 2],
        [C, 1],
      ]),
    );
    // The gateway restarted; the new instance dials carol as link 2, and that link opens.
    s.answers.set(A, 5);
    s.fire({ link: 1, open: false });
    await core.serial.run(async () => undefined);
    s.answers.set(C, 2);
    s.fire({ link: 2, open: true, onion: C });
    await core.serial.run(async () => undefined);
    await core.serial.run(async () => undefined);
    expect(core.linkFor({ contactId: 'carol', onion: C })).toBe(2);
    expect(core.linkFor({ contactId: 'alice', onion: A })).toBeUndefined();
    // alice is dialed again, and her new number is the one kept.
    expect(core.dialed.get(A)).toBe(5);
    // An accepted link on a number alice's dial had: hers no more either.
    s.answers.set(A, 7);
    s.fire({ link: 5, open: true });
    await core.serial.run(async () => undefined);
    await core.serial.run(async () => undefined);
    expect(core.dialed.get(A)).toBe(7);
    stop();
  });
});
