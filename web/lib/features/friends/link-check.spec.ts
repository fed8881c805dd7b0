import { describe, expect, it } from 'vitest';
import { makeNode, newNetwork } from '../../../../shared/protocol/testing';
import { checkContactLink, checkNote, MAX_NOTE_CHARS } from './link-check';

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

describe('checkContactLink', () => {
  it('accepts a friend’s link and derives the engine’s contact id; refuses own, altered and junk links', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const own = await alice.engine.myContactLink();
    const theirs = await bob.engine.myContactLink();

    const checked = await checkContactLink(`  ${theirs}\n`, { ownLink: own });
    expect(checked.card.displayName).toBe('Bob');
    // The id matches the one the engine gives the contact.
    await bob.engine.sendFriendRequest(own, '');
    const atBob = await bob.storage.listContacts();
    expect(atBob.map((c) => c.id)).toEqual([(await checkContactLink(own)).contactId]);

    expect(await codeOf(checkContactLink(own, { ownLink: own }))).toBe('E_LINK_OWN');
    expect(await codeOf(checkContactLink('hello'))).toBe('E_LINK_INVALID');
    expect(await codeOf(checkContactLink(`chattor:card/${'A'.repeat(500)}`))).toBe('E_LINK_INVALID');
    // Flip one character in the display name region: still decodes, no longer verifies.
    const i = 'chattor:card/'.length + 8;
    const flipped = theirs.slice(0, i) + (theirs[i] === 'A' ? 'B' : 'A') + theirs.slice(i + 1);
    expect(['E_LINK_FORGED', 'E_LINK_INVALID']).toContain(await codeOf(checkContactLink(flipped)));
  });
});

describe('checkNote', () => {
  it('trims and allows up to 280 characters (code points)', () => {
    expect(checkNote('  hi  ')).toBe('hi');
    expect(checkNote('😀'.repeat(MAX_NOTE_CHARS))).toHaveLength(MAX_NOTE_CHARS * 2);
    expect(() => checkNote('x'.repeat(MAX_NOTE_CHARS + 1))).toThrow(
      expect.objectContaining({ code: 'E_NOTE_TOO_LONG' }),
    );
  });
});
