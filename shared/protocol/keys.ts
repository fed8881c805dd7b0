// Implements docs/protocol.md §4.3 (the client's keys in storage meta: identity — raw or sealed by the
// embedder's SecretBox —, prekeys, storage key, own card).
import {
  compareContactCards,
  decodeContactCard,
  encodeContactCard,
  isValidDisplayName,
  signContactCard,
  type ContactCard,
} from '../crypto/contact-card.js';
import {
  decodeIdentitySecrets,
  encodeIdentitySecrets,
  generateIdentity,
  loadIdentity,
  wipeIdentitySecrets,
  type Identity,
  type IdentitySecrets,
} from '../crypto/identity.js';
import { generatePrekeys, prekeyLookup, type PrekeyBundle, type PrekeySecrets } from '../crypto/prekeys.js';
import { importStorageKey, type Rng, type SymmetricKey } from '../crypto/primitives.js';
import type { PrekeyLookup } from '../crypto/x3dh.js';
import { ChattorError } from '../util/errors.js';
import type { EngineStorage, Id, SecretBox } from './api.js';
import { contactIdOf } from './body.js';

export const META = {
  identity: 'identity',
  prekeys: 'prekeys',
  storageKey: 'storageKey',
  profile: 'profile',
  card: 'card',
} as const;

interface StoredPrekeys {
  secrets: PrekeySecrets;
  bundle: PrekeyBundle;
}

export interface Keys {
  readonly identity: Identity;
  readonly selfId: Id;
  readonly prekeys: PrekeyLookup;
  readonly bundle: PrekeyBundle;
  readonly storageKey: SymmetricKey;
  readonly displayName: string;
}

export interface KeyOptions {
  readonly rng: Rng;
  readonly kem: boolean;
  readonly ownStorageKey: boolean;
  readonly box: SecretBox | undefined;
}

export async function createKeys(
  storage: EngineStorage,
  displayName: string,
  opts: KeyOptions,
): Promise<void> {
  const { secrets } = await generateIdentity({ rng: opts.rng, nonExtractable: false });
  try {
    await storeKeys(storage, secrets, displayName, opts);
  } finally {
    wipeIdentitySecrets(secrets);
  }
}

/**
 * Stores `secrets` (a new identity, or one from a backup) with fresh prekeys and, unless the embedder
 * owns it, a fresh storage key (§4.3). The caller wipes `secrets`.
 */
export async function storeKeys(
  storage: EngineStorage,
  secrets: IdentitySecrets,
  displayName: string,
  opts: KeyOptions,
): Promise<void> {
  if (!isValidDisplayName(displayName))
    throw new ChattorError('E_BAD_INPUT', 'displayName: 1..64 characters, NFC, no control characters');
  if (await storage.getMeta(META.identity))
    throw new ChattorError('E_STATE', 'an identity already exists in this storage');
  const identity = await loadIdentity(secrets, { nonExtractable: false });
  const prekeys = await generatePrekeys(identity, { kem: opts.kem, oneTime: 0, rng: opts.rng });
  const encoded = encodeIdentitySecrets(secrets);
  const stored = opts.box ? await opts.box.seal(encoded) : encoded;
  if (opts.box) encoded.fill(0);
  await storage.transaction(async () => {
    await storage.putMeta(META.identity, stored);
    await storage.putMeta<StoredPrekeys>(META.prekeys, { secrets: prekeys.secrets, bundle: prekeys.bundle });
    if (!opts.ownStorageKey) await storage.putMeta(META.storageKey, opts.rng(32));
    await storage.putMeta(META.profile, { displayName });
  });
}

/** The stored identity secrets, opened through `box` if they are sealed. The caller wipes them. */
export async function readIdentitySecrets(
  storage: EngineStorage,
  box: SecretBox | undefined,
): Promise<IdentitySecrets> {
  const stored = await storage.getMeta<Uint8Array>(META.identity);
  if (!(stored instanceof Uint8Array)) throw new ChattorError('E_STATE', 'no identity: call createIdentity');
  const encoded = box ? await box.open(stored) : stored;
  try {
    return decodeIdentitySecrets(encoded);
  } finally {
    if (box) encoded.fill(0);
  }
}

export async function loadKeys(
  storage: EngineStorage,
  storageKeyHook: (() => Promise<SymmetricKey>) | undefined,
  box: SecretBox | undefined,
): Promise<Keys> {
  const stored = await storage.getMeta<StoredPrekeys>(META.prekeys);
  const profile = await storage.getMeta<{ displayName: string }>(META.profile);
  if (!stored || !profile) throw new ChattorError('E_STATE', 'no identity: call createIdentity');
  const secrets = await readIdentitySecrets(storage, box);
  let identity: Identity;
  try {
    identity = await loadIdentity(secrets);
  } finally {
    wipeIdentitySecrets(secrets);
  }
  let storageKey: SymmetricKey;
  if (storageKeyHook) storageKey = await storageKeyHook();
  else {
    const raw = await storage.getMeta<Uint8Array>(META.storageKey);
    if (!raw) throw new ChattorError('E_STATE', 'storage key missing');
    storageKey = await importStorageKey(raw);
  }
  return {
    identity,
    selfId: await contactIdOf(identity.signing.publicKey),
    prekeys: prekeyLookup(stored.secrets),
    bundle: stored.bundle,
    storageKey,
    displayName: profile.displayName,
  };
}

/**
 * The own card for `onion`: the stored one if its onion and name still match, else a newly signed one
 * (createdAt strictly after the previous card's, §3.3 freshness rule). `changed` is true when a card
 * replaced an earlier one (friends should get a card-update).
 */
export async function ownCard(
  storage: EngineStorage,
  keys: Keys,
  onion: string,
  now: number,
): Promise<{ card: ContactCard; bytes: Uint8Array; changed: boolean }> {
  const prevBytes = await storage.getMeta<Uint8Array>(META.card);
  const prev = prevBytes ? decodeContactCard(prevBytes) : undefined;
  if (prev && prevBytes && prev.contactOnion === onion && prev.displayName === keys.displayName)
    return { card: prev, bytes: prevBytes, changed: false };
  const card = await signContactCard(keys.identity, {
    displayName: keys.displayName,
    contactOnion: onion,
    createdAt: prev ? Math.max(now, prev.createdAt + 1) : now,
    ...keys.bundle,
  });
  if (prev && compareContactCards(prev, card) !== 'newer') throw new ChattorError('E_INTERNAL', 'card order');
  const bytes = encodeContactCard(card);
  await storage.putMeta(META.card, bytes);
  return { card, bytes, changed: prev !== undefined };
}
