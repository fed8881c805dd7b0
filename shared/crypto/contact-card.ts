// Implements docs/protocol.md §3.3 (contact card: canonical encoding, signatures, text form, freshness).
import { ChattorError } from '../util/errors.js';
import { abytes, concatBytes, equalBytes, fromBase64Url, toBase64Url, utf8 } from '../util/bytes.js';
import { domain, label, Reader, u32be, Writer } from './codec.js';
import { verifyDeviceCert, verifyDhCert, type Identity } from './identity.js';
import { KEM_PUBLIC_KEY_BYTES } from './mlkem.js';
import { isValidOnion } from './onion.js';
import { sign, verify } from './primitives.js';

export const CARD_VERSION = 1;
export const CARD_LABEL = 'chattor/v1/contact-card';
export const SIGNED_PREKEY_LABEL = 'chattor/v1/signed-prekey';
export const KEM_PREKEY_LABEL = 'chattor/v1/kem-prekey';
export const MAX_DISPLAY_NAME_CHARS = 64;
export const MAX_CARD_ONE_TIME_PREKEYS = 8;
export const MAX_CARD_BYTES = 2259;
export const MAX_DISPLAY_NAME_BYTES = 255;
export const MAX_CARD_TEXT = 3100;
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
export const CARD_LINK_PREFIX = 'chattor:card/';

export interface SignedPrekeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}
export interface OneTimePrekeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
}
export interface ContactCard {
  readonly v: 1;
  readonly displayName: string;
  readonly signingPublic: Uint8Array;
  readonly dhPublic: Uint8Array;
  readonly dhCert: Uint8Array;
  readonly devicePublic: Uint8Array;
  readonly deviceCert: Uint8Array;
  readonly contactOnion: string;
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly signedPrekey: SignedPrekeyPublic;
  /** ML-KEM-768 prekey; present → initiators use PQ mode (§3.4). */
  readonly kemPrekey?: SignedPrekeyPublic;
  readonly oneTimePrekeys: readonly OneTimePrekeyPublic[];
  readonly signature: Uint8Array;
}
export type ContactCardFields = Pick<
  ContactCard,
  'displayName' | 'contactOnion' | 'createdAt' | 'expiresAt' | 'signedPrekey' | 'kemPrekey'
> & { readonly oneTimePrekeys?: readonly OneTimePrekeyPublic[] };

const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/u;
const CONTROL = /\p{Cc}/u;

export function isValidDisplayName(name: string): boolean {
  if (typeof name !== 'string' || name.normalize('NFC') !== name) return false;
  const n = [...name].length;
  if (utf8.encode(name).length > MAX_DISPLAY_NAME_BYTES) return false;
  return n >= 1 && n <= MAX_DISPLAY_NAME_CHARS && !CONTROL.test(name) && !BIDI_CONTROLS.test(name);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new ChattorError('E_BAD_INPUT', `contact card: ${what}`);
}

function checkId(id: number, field: string): void {
  check(Number.isInteger(id) && id >= 0 && id <= 0xffffffff, `${field} must be a u32`);
}

function validate(c: Omit<ContactCard, 'signature'>): void {
  check(c.v === CARD_VERSION, 'unknown version');
  check(isValidDisplayName(c.displayName), 'invalid displayName');
  check(isValidOnion(c.contactOnion), 'invalid contactOnion');
  check(Number.isSafeInteger(c.createdAt) && c.createdAt >= 0, 'invalid createdAt');
  if (c.expiresAt !== undefined)
    check(Number.isSafeInteger(c.expiresAt) && c.expiresAt > c.createdAt, 'expiresAt must follow createdAt');
  checkId(c.signedPrekey.id, 'signedPrekey.id');
  if (c.kemPrekey) checkId(c.kemPrekey.id, 'kemPrekey.id');
  check(c.oneTimePrekeys.length <= MAX_CARD_ONE_TIME_PREKEYS, 'too many oneTimePrekeys');
  const ids = new Set([c.signedPrekey.id]);
  for (const k of c.oneTimePrekeys) {
    checkId(k.id, 'oneTimePrekeys.id');
    check(!ids.has(k.id), 'duplicate prekey id');
    ids.add(k.id);
  }
}

function encodeBody(c: Omit<ContactCard, 'signature'>): Uint8Array {
  validate(c);
  const name = utf8.encode(c.displayName);
  const w = new Writer()
    .u8(CARD_VERSION)
    .u8((c.expiresAt !== undefined ? 1 : 0) | (c.kemPrekey ? 2 : 0))
    .u8(name.length)
    .bytes(name)
    .bytes(abytes(c.signingPublic, 32, 'signingPublic'))
    .bytes(abytes(c.dhPublic, 32, 'dhPublic'))
    .bytes(abytes(c.dhCert, 64, 'dhCert'))
    .bytes(abytes(c.devicePublic, 32, 'devicePublic'))
    .bytes(abytes(c.deviceCert, 64, 'deviceCert'))
    .bytes(label(c.contactOnion))
    .u64(c.createdAt);
  if (c.expiresAt !== undefined) w.u64(c.expiresAt);
  w.u32(c.signedPrekey.id)
    .bytes(abytes(c.signedPrekey.publicKey, 32, 'signedPrekey.publicKey'))
    .bytes(abytes(c.signedPrekey.signature, 64, 'signedPrekey.signature'));
  if (c.kemPrekey)
    w.u32(c.kemPrekey.id)
      .bytes(abytes(c.kemPrekey.publicKey, KEM_PUBLIC_KEY_BYTES, 'kemPrekey.publicKey'))
      .bytes(abytes(c.kemPrekey.signature, 64, 'kemPrekey.signature'));
  w.u8(c.oneTimePrekeys.length);
  for (const k of c.oneTimePrekeys) w.u32(k.id).bytes(abytes(k.publicKey, 32, 'oneTimePrekeys.publicKey'));
  return w.finish();
}

export function encodeContactCard(card: ContactCard): Uint8Array {
  return concatBytes(encodeBody(card), abytes(card.signature, 64, 'signature'));
}

export function decodeContactCard(bytes: Uint8Array): ContactCard {
  abytes(bytes, undefined, 'contactCard');
  if (bytes.length > MAX_CARD_BYTES) throw new ChattorError('E_BAD_INPUT', 'contact card too large');
  const r = new Reader(bytes, 'contact card');
  const v = r.u8('v');
  if (v !== CARD_VERSION) throw r.fail('unknown version');
  const flags = r.u8('flags');
  if (flags & ~3) throw r.fail('reserved flags set');
  const nameLength = r.u8('nameLength');
  let displayName: string;
  try {
    displayName = utf8.decode(r.bytes(nameLength, 'displayName'));
  } catch (e) {
    throw e instanceof ChattorError ? e : r.fail('displayName is not UTF-8');
  }
  const signingPublic = r.bytes(32, 'signingPublic');
  const dhPublic = r.bytes(32, 'dhPublic');
  const dhCert = r.bytes(64, 'dhCert');
  const devicePublic = r.bytes(32, 'devicePublic');
  const deviceCert = r.bytes(64, 'deviceCert');
  const onionBytes = r.bytes(56, 'contactOnion');
  const contactOnion = String.fromCharCode(...onionBytes);
  const createdAt = r.u64('createdAt');
  const expiresAt = flags & 1 ? r.u64('expiresAt') : undefined;
  const signedPrekey = {
    id: r.u32('signedPrekey.id'),
    publicKey: r.bytes(32, 'signedPrekey.publicKey'),
    signature: r.bytes(64, 'signedPrekey.signature'),
  };
  const kemPrekey =
    flags & 2
      ? {
          id: r.u32('kemPrekey.id'),
          publicKey: r.bytes(KEM_PUBLIC_KEY_BYTES, 'kemPrekey.publicKey'),
          signature: r.bytes(64, 'kemPrekey.signature'),
        }
      : undefined;
  const count = r.u8('oneTimePrekeyCount');
  if (count > MAX_CARD_ONE_TIME_PREKEYS) throw r.fail('too many oneTimePrekeys');
  const oneTimePrekeys: OneTimePrekeyPublic[] = [];
  for (let i = 0; i < count; i++)
    oneTimePrekeys.push({
      id: r.u32('oneTimePrekeys.id'),
      publicKey: r.bytes(32, 'oneTimePrekeys.publicKey'),
    });
  const signature = r.bytes(64, 'signature');
  r.end();
  const card: ContactCard = {
    v: CARD_VERSION,
    displayName,
    signingPublic,
    dhPublic,
    dhCert,
    devicePublic,
    deviceCert,
    contactOnion,
    createdAt,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    signedPrekey,
    ...(kemPrekey ? { kemPrekey } : {}),
    oneTimePrekeys,
    signature,
  };
  validate(card);
  return card;
}

export async function signPrekey(
  identity: Identity,
  kind: 'x25519' | 'ml-kem-768',
  id: number,
  publicKey: Uint8Array,
): Promise<SignedPrekeyPublic> {
  checkId(id, 'prekey id');
  const lbl = kind === 'x25519' ? SIGNED_PREKEY_LABEL : KEM_PREKEY_LABEL;
  abytes(publicKey, kind === 'x25519' ? 32 : KEM_PUBLIC_KEY_BYTES, 'publicKey');
  return {
    id,
    publicKey,
    signature: await sign(identity.signing.privateKey, domain(lbl, u32be(id), publicKey)),
  };
}

export async function signContactCard(identity: Identity, fields: ContactCardFields): Promise<ContactCard> {
  const unsigned = {
    v: CARD_VERSION,
    ...fields,
    oneTimePrekeys: fields.oneTimePrekeys ?? [],
    signingPublic: identity.signing.publicKey,
    dhPublic: identity.dh.publicKey,
    dhCert: identity.dhCert,
    devicePublic: identity.device.publicKey,
    deviceCert: identity.deviceCert,
  } as const;
  const signature = await sign(identity.signing.privateKey, domain(CARD_LABEL, encodeBody(unsigned)));
  return { ...unsigned, signature };
}

/** True only for a strictly valid, correctly signed, current card (§3.3). Never throws. */
export async function verifyContactCard(
  input: ContactCard | Uint8Array,
  opts: { readonly now?: number } = {},
): Promise<boolean> {
  try {
    const bytes = input instanceof Uint8Array ? input : encodeContactCard(input);
    const c = decodeContactCard(bytes);
    if (!equalBytes(encodeContactCard(c), bytes)) return false;
    const now = opts.now ?? Date.now();
    if (c.createdAt > now + MAX_CLOCK_SKEW_MS) return false;
    if (c.expiresAt !== undefined && c.expiresAt <= now) return false;
    const body = bytes.subarray(0, bytes.length - 64);
    const checks = [
      verify(c.signingPublic, domain(CARD_LABEL, body), c.signature),
      verifyDhCert(c.signingPublic, c.dhPublic, c.dhCert),
      verifyDeviceCert(c.signingPublic, c.devicePublic, c.deviceCert),
      verifyPrekey(c.signingPublic, SIGNED_PREKEY_LABEL, c.signedPrekey),
    ];
    if (c.kemPrekey) checks.push(verifyPrekey(c.signingPublic, KEM_PREKEY_LABEL, c.kemPrekey));
    return (await Promise.all(checks)).every(Boolean);
  } catch {
    return false;
  }
}

export async function verifyPrekey(
  signingPublic: Uint8Array,
  lbl: string,
  k: SignedPrekeyPublic,
): Promise<boolean> {
  return verify(signingPublic, domain(lbl, u32be(k.id), k.publicKey), k.signature);
}

/** Freshness rule of §3.3, for two cards of the same signingPublic. */
export function compareContactCards(
  stored: ContactCard,
  incoming: ContactCard,
): 'newer' | 'same' | 'older' | 'conflict' {
  if (!equalBytes(stored.signingPublic, incoming.signingPublic))
    throw new ChattorError('E_BAD_INPUT', 'cards of different identities are not comparable');
  if (incoming.createdAt > stored.createdAt) return 'newer';
  if (incoming.createdAt < stored.createdAt) return 'older';
  return equalBytes(encodeContactCard(stored), encodeContactCard(incoming)) ? 'same' : 'conflict';
}

export function contactCardToLink(card: ContactCard): string {
  return CARD_LINK_PREFIX + toBase64Url(encodeContactCard(card));
}

/** Parses (does not verify) a `chattor:card/…` link or bare base64url. */
export function contactCardFromLink(text: string): ContactCard {
  if (typeof text !== 'string' || text.length > MAX_CARD_TEXT + 64)
    throw new ChattorError('E_BAD_INPUT', 'contact link too long');
  let s = text.trim();
  if (s.startsWith(CARD_LINK_PREFIX)) s = s.slice(CARD_LINK_PREFIX.length);
  if (s.length > MAX_CARD_TEXT) throw new ChattorError('E_BAD_INPUT', 'contact link too long');
  const bytes = fromBase64Url(s, 'contact link');
  if (toBase64Url(bytes) !== s) throw new ChattorError('E_BAD_INPUT', 'contact link is not canonical');
  return decodeContactCard(bytes);
}
