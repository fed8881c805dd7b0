// Tests docs/protocol.md §3.2–3.3: card encoding, signatures, forgery, freshness, text form.
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import {
  compareContactCards,
  contactCardFromLink,
  contactCardToLink,
  decodeContactCard,
  encodeContactCard,
  isValidDisplayName,
  MAX_CARD_BYTES,
  MAX_CARD_TEXT,
  MAX_CLOCK_SKEW_MS,
  signContactCard,
  verifyContactCard,
  type ContactCard,
} from './contact-card.js';
import { generateIdentity, loadIdentity, type Identity } from './identity.js';
import { isValidOnion, onionFromPublicKey } from './onion.js';
import { generatePrekeys } from './prekeys.js';
import { describeBackends } from './testing.js';

const NOW = 1_767_225_600_000;
const onion = onionFromPublicKey(new Uint8Array(32).fill(5));

describeBackends('contact card', () => {
  let identity: Identity;
  let card: ContactCard;
  let bytes: Uint8Array;

  beforeAll(async () => {
    identity = (await generateIdentity()).identity;
    const { bundle } = await generatePrekeys(identity, { kem: true, oneTime: 2 });
    card = await signContactCard(identity, {
      displayName: 'Alice',
      contactOnion: onion,
      createdAt: NOW,
      ...bundle,
    });
    bytes = encodeContactCard(card);
  });

  it('verifies, and round-trips through bytes and the link form', async () => {
    expect(await verifyContactCard(card, { now: NOW })).toBe(true);
    expect(await verifyContactCard(bytes, { now: NOW })).toBe(true);
    expect(encodeContactCard(decodeContactCard(bytes))).toEqual(bytes);
    const link = contactCardToLink(card);
    expect(link.startsWith('chattor:card/')).toBe(true);
    expect(encodeContactCard(contactCardFromLink(`  ${link}\n`))).toEqual(bytes);
    expect(() => contactCardFromLink(link.replace('chattor:card/', 'chattor:kard/'))).toThrow();
    expect(() => contactCardFromLink(link + 'A')).toThrow();
  });

  it('any changed byte fails verification', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const forged = bytes.slice();
        forged[i] = forged[i]! ^ x;
        expect(await verifyContactCard(forged, { now: NOW })).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('truncated, extended, or re-keyed cards fail', async () => {
    expect(await verifyContactCard(bytes.subarray(0, bytes.length - 1), { now: NOW })).toBe(false);
    expect(await verifyContactCard(new Uint8Array([...bytes, 0]), { now: NOW })).toBe(false);
    expect(await verifyContactCard({ ...card, displayName: 'Mallory' }, { now: NOW })).toBe(false);
    const other = (await generateIdentity()).identity;
    // Mallory re-signs Alice's prekeys under her own key: the prekey signatures no longer match.
    const mallory = await signContactCard(other, { ...card });
    expect(await verifyContactCard(mallory, { now: NOW })).toBe(false);
  });

  it('rejects cards from the future and expired cards', async () => {
    expect(await verifyContactCard(card, { now: NOW - MAX_CLOCK_SKEW_MS - 1 })).toBe(false);
    const expiring = await signContactCard(identity, { ...card, createdAt: NOW, expiresAt: NOW + 1000 });
    expect(await verifyContactCard(expiring, { now: NOW + 999 })).toBe(true);
    expect(await verifyContactCard(expiring, { now: NOW + 1000 })).toBe(false);
  });

  it('orders cards by createdAt (replay of an older card is detected)', async () => {
    const newer = await signContactCard(identity, { ...card, createdAt: NOW + 1 });
    const renamed = await signContactCard(identity, { ...card, displayName: 'Alice 2' });
    expect(compareContactCards(card, newer)).toBe('newer');
    expect(compareContactCards(newer, card)).toBe('older');
    expect(compareContactCards(card, decodeContactCard(bytes))).toBe('same');
    expect(compareContactCards(card, renamed)).toBe('conflict');
  });

  it('loading the same secrets gives the same certificates', async () => {
    const { identity: a, secrets } = await generateIdentity({ nonExtractable: false });
    const b = await loadIdentity(secrets);
    expect(b.dhCert).toEqual(a.dhCert);
    expect(b.signing.publicKey).toEqual(a.signing.publicKey);
  });
});

it('display names: 1..64 code points, NFC, no controls or bidi overrides', () => {
  expect(isValidDisplayName('Zoë 🙂')).toBe(true);
  expect(isValidDisplayName('é'.repeat(64))).toBe(true);
  expect(isValidDisplayName('🙂'.repeat(64))).toBe(false); // 256 bytes
  expect(isValidDisplayName('a'.repeat(65))).toBe(false);
  expect(isValidDisplayName('')).toBe(false);
  expect(isValidDisplayName('a\nb')).toBe(false);
  expect(isValidDisplayName('evil\u202egnp.exe')).toBe(false);
  expect(isValidDisplayName('Zoe\u0308')).toBe(false); // not NFC
});

it('onion ids: version 3 with a correct checksum', () => {
  expect(isValidOnion(onion)).toBe(true);
  expect(onion).toHaveLength(56);
  expect(isValidOnion(onion.slice(0, 54) + (onion[54] === 'a' ? 'b' : 'a') + 'd')).toBe(false);
  expect(isValidOnion(onion.toUpperCase())).toBe(false);
  expect(isValidOnion(onion + '.onion')).toBe(false);
});

it('the largest card fits MAX_CARD_BYTES and MAX_CARD_TEXT; one more prekey does not encode', async () => {
  const { identity } = await generateIdentity();
  const { bundle } = await generatePrekeys(identity, { kem: true, oneTime: 9 });
  const fields = {
    displayName: '𝔸'.repeat(63) + '€',
    contactOnion: onion,
    createdAt: NOW,
    expiresAt: NOW + 1,
    ...bundle,
  };
  await expect(signContactCard(identity, fields)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
  const card = await signContactCard(identity, {
    ...fields,
    oneTimePrekeys: bundle.oneTimePrekeys?.slice(0, 8),
  });
  expect(encodeContactCard(card).length).toBe(MAX_CARD_BYTES);
  expect(contactCardToLink(card).length).toBeLessThanOrEqual(MAX_CARD_TEXT);
  expect(await verifyContactCard(card, { now: NOW })).toBe(true);
});
