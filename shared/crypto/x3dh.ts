// Implements docs/protocol.md §3.4 (X3DH / PQXDH handshake and the initial message).
import { ChattorError } from '../util/errors.js';
import { abytes, concatBytes } from '../util/bytes.js';
import { label, Reader, Writer } from './codec.js';
import { verifyContactCard, type ContactCard } from './contact-card.js';
import { encodeIdentityKey, verifyDhCert, type Identity } from './identity.js';
import { KEM_CIPHERTEXT_BYTES, kemDecapsulate, kemEncapsulate, type KemKeyPair } from './mlkem.js';
import { defaultRng, dh, generateDhKey, hkdfSha256, type KeyPair, type Rng } from './primitives.js';
import {
  decryptError,
  HEADER_BYTES,
  initRatchetAlice,
  initRatchetBob,
  MAX_RATCHET_MESSAGE,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from './ratchet.js';

export const X3DH_INFO = 'chattor/v1/x3dh/X25519/SHA-256';
export const PQXDH_INFO = 'chattor/v1/pqxdh/X25519/ML-KEM-768/SHA-256';
export const INITIAL_MESSAGE_VERSION = 1;

export interface InitialMessage {
  readonly v: 1;
  readonly signingPublic: Uint8Array;
  readonly dhPublic: Uint8Array;
  readonly dhCert: Uint8Array;
  readonly ephemeralPublic: Uint8Array;
  readonly signedPrekeyId: number;
  readonly oneTimePrekeyId?: number;
  readonly kemPrekeyId?: number;
  readonly kemCiphertext?: Uint8Array;
  /** The first Double Ratchet message (§3.5). */
  readonly message: Uint8Array;
}

/** Bob's private prekeys by id; undefined for an unknown (or already used) id. */
export interface PrekeyLookup {
  signedPrekey(id: number): Promise<KeyPair | undefined> | KeyPair | undefined;
  oneTimePrekey?(id: number): Promise<KeyPair | undefined> | KeyPair | undefined;
  kemPrekey?(id: number): Promise<KemKeyPair | undefined> | KemKeyPair | undefined;
}

export function encodeInitialMessage(m: InitialMessage): Uint8Array {
  const hasOpk = m.oneTimePrekeyId !== undefined;
  const hasKem = m.kemPrekeyId !== undefined;
  if (hasKem !== (m.kemCiphertext !== undefined))
    throw new ChattorError('E_BAD_INPUT', 'kemPrekeyId and kemCiphertext go together');
  const w = new Writer()
    .u8(INITIAL_MESSAGE_VERSION)
    .u8((hasOpk ? 1 : 0) | (hasKem ? 2 : 0))
    .bytes(abytes(m.signingPublic, 32, 'signingPublic'))
    .bytes(abytes(m.dhPublic, 32, 'dhPublic'))
    .bytes(abytes(m.dhCert, 64, 'dhCert'))
    .bytes(abytes(m.ephemeralPublic, 32, 'ephemeralPublic'))
    .u32(m.signedPrekeyId);
  if (hasOpk) w.u32(m.oneTimePrekeyId);
  if (hasKem) w.u32(m.kemPrekeyId).bytes(abytes(m.kemCiphertext, KEM_CIPHERTEXT_BYTES, 'kemCiphertext'));
  abytes(m.message, undefined, 'message');
  if (m.message.length < HEADER_BYTES + 16 || m.message.length > MAX_RATCHET_MESSAGE)
    throw new ChattorError('E_BAD_INPUT', 'message length out of range');
  return w.u32(m.message.length).bytes(m.message).finish();
}

export function decodeInitialMessage(bytes: Uint8Array): InitialMessage {
  const r = new Reader(abytes(bytes, undefined, 'initialMessage'), 'initial message');
  if (r.u8('v') !== INITIAL_MESSAGE_VERSION) throw r.fail('unknown version');
  const flags = r.u8('flags');
  if (flags & ~3) throw r.fail('reserved flags set');
  const fixed = {
    signingPublic: r.bytes(32, 'signingPublic'),
    dhPublic: r.bytes(32, 'dhPublic'),
    dhCert: r.bytes(64, 'dhCert'),
    ephemeralPublic: r.bytes(32, 'ephemeralPublic'),
    signedPrekeyId: r.u32('signedPrekeyId'),
  };
  const oneTimePrekeyId = flags & 1 ? r.u32('oneTimePrekeyId') : undefined;
  const kemPrekeyId = flags & 2 ? r.u32('kemPrekeyId') : undefined;
  const kemCiphertext = flags & 2 ? r.bytes(KEM_CIPHERTEXT_BYTES, 'kemCiphertext') : undefined;
  const length = r.u32('messageLength');
  if (length < HEADER_BYTES + 16 || length > MAX_RATCHET_MESSAGE) throw r.fail('messageLength out of range');
  const message = r.bytes(length, 'message');
  r.end();
  return {
    v: 1,
    ...fixed,
    ...(oneTimePrekeyId !== undefined ? { oneTimePrekeyId } : {}),
    ...(kemPrekeyId !== undefined ? { kemPrekeyId, kemCiphertext } : {}),
    message,
  };
}

/** `SK = HKDF(Z32, 0xFF×32 || DH1 || DH2 || DH3 [|| DH4] [|| SS], info, 32)` (§3.4 step 3). */
export async function x3dhKdf(dhOutputs: readonly Uint8Array[], ss: Uint8Array | null): Promise<Uint8Array> {
  const ikm = concatBytes(new Uint8Array(32).fill(0xff), ...dhOutputs, ...(ss ? [ss] : []));
  return hkdfSha256(new Uint8Array(32), ikm, label(ss ? PQXDH_INFO : X3DH_INFO), 32);
}

export function associatedData(
  initiator: { signingPublic: Uint8Array; dhPublic: Uint8Array },
  responder: { signingPublic: Uint8Array; dhPublic: Uint8Array },
): Uint8Array {
  return concatBytes(
    encodeIdentityKey(initiator.signingPublic, initiator.dhPublic),
    encodeIdentityKey(responder.signingPublic, responder.dhPublic),
  );
}

export interface InitiateParams {
  readonly identity: Identity;
  /** Bob's card; verified here again (§3.3). */
  readonly theirCard: ContactCard;
  /** The first message's plaintext. */
  readonly plaintext: Uint8Array;
  /** Which one-time prekey to use: default the card's first; null for none. */
  readonly oneTimePrekeyId?: number | null;
  readonly rng?: Rng;
  readonly now?: number;
}

export async function x3dhInitiate(
  p: InitiateParams,
): Promise<{ state: RatchetState; initialMessage: Uint8Array; ad: Uint8Array }> {
  const card = p.theirCard;
  if (!(await verifyContactCard(card, p.now !== undefined ? { now: p.now } : {})))
    throw new ChattorError('E_SIGNATURE', 'contact card does not verify');
  const opk =
    p.oneTimePrekeyId === null
      ? undefined
      : p.oneTimePrekeyId === undefined
        ? card.oneTimePrekeys[0]
        : card.oneTimePrekeys.find((k) => k.id === p.oneTimePrekeyId);
  if (p.oneTimePrekeyId != null && !opk) throw new ChattorError('E_BAD_INPUT', 'unknown oneTimePrekeyId');
  const rng = p.rng ?? defaultRng;
  const ek = await generateDhKey(rng);
  const spk = card.signedPrekey.publicKey;
  try {
    const dhs = [
      await dh(p.identity.dh.privateKey, spk),
      await dh(ek.privateKey, card.dhPublic),
      await dh(ek.privateKey, spk),
      ...(opk ? [await dh(ek.privateKey, opk.publicKey)] : []),
    ];
    const kem = card.kemPrekey ? await kemEncapsulate(card.kemPrekey.publicKey, p.rng) : null;
    const sk = await x3dhKdf(dhs, kem?.sharedSecret ?? null);
    const ad = associatedData(
      { signingPublic: p.identity.signing.publicKey, dhPublic: p.identity.dh.publicKey },
      card,
    );
    const initial = await initRatchetAlice({ sk, ad, theirRatchetKey: spk, rng });
    const { state, message } = await ratchetEncrypt(initial, p.plaintext);
    const initialMessage = encodeInitialMessage({
      v: 1,
      signingPublic: p.identity.signing.publicKey,
      dhPublic: p.identity.dh.publicKey,
      dhCert: p.identity.dhCert,
      ephemeralPublic: ek.publicKey,
      signedPrekeyId: card.signedPrekey.id,
      ...(opk ? { oneTimePrekeyId: opk.id } : {}),
      ...(kem && card.kemPrekey ? { kemPrekeyId: card.kemPrekey.id, kemCiphertext: kem.ciphertext } : {}),
      message,
    });
    return { state, initialMessage, ad };
  } catch (cause) {
    if (cause instanceof ChattorError && cause.code !== 'E_BAD_INPUT') throw cause;
    throw new ChattorError('E_BAD_INPUT', "the contact's keys are unusable", { cause });
  }
}

export interface RespondResult {
  readonly state: RatchetState;
  readonly plaintext: Uint8Array;
  readonly message: InitialMessage;
  readonly ad: Uint8Array;
}

/**
 * Bob's side. Every failure is the same E_DECRYPT. The caller deletes the one-time prekey
 * (`message.oneTimePrekeyId`) after success and persists `state`.
 */
export async function x3dhRespond(p: {
  readonly identity: Identity;
  readonly initialMessage: Uint8Array;
  readonly prekeys: PrekeyLookup;
  readonly rng?: Rng;
  readonly now?: () => number;
}): Promise<RespondResult> {
  try {
    const m = decodeInitialMessage(p.initialMessage);
    if (!(await verifyDhCert(m.signingPublic, m.dhPublic, m.dhCert))) throw decryptError();
    const spk = await p.prekeys.signedPrekey(m.signedPrekeyId);
    const opk =
      m.oneTimePrekeyId !== undefined ? await p.prekeys.oneTimePrekey?.(m.oneTimePrekeyId) : undefined;
    const kem = m.kemPrekeyId !== undefined ? await p.prekeys.kemPrekey?.(m.kemPrekeyId) : undefined;
    if (!spk || (m.oneTimePrekeyId !== undefined && !opk) || (m.kemPrekeyId !== undefined && !kem))
      throw decryptError();
    const dhs = [
      await dh(spk.privateKey, m.dhPublic),
      await dh(p.identity.dh.privateKey, m.ephemeralPublic),
      await dh(spk.privateKey, m.ephemeralPublic),
      ...(opk ? [await dh(opk.privateKey, m.ephemeralPublic)] : []),
    ];
    const ss = kem && m.kemCiphertext ? await kemDecapsulate(kem.seed, m.kemCiphertext) : null;
    const sk = await x3dhKdf(dhs, ss);
    const ad = associatedData(m, {
      signingPublic: p.identity.signing.publicKey,
      dhPublic: p.identity.dh.publicKey,
    });
    const initial = initRatchetBob({ sk, ad, ownRatchetKey: spk });
    const opts = { ...(p.rng ? { rng: p.rng } : {}), ...(p.now ? { now: p.now } : {}) };
    const { state, plaintext } = await ratchetDecrypt(initial, m.message, opts);
    return { state, plaintext, message: m, ad };
  } catch {
    throw decryptError();
  }
}
