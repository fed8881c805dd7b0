// Implements docs/protocol.md §3.5 "Ratchet state encoding" and "Sealed state".
import { ChattorError } from '../util/errors.js';
import { abytes, concatBytes, equalBytes, toHex } from '../util/bytes.js';
import { label, Reader, Writer } from './codec.js';
import { aesGcmDecrypt, aesGcmEncrypt, defaultRng, type Rng, type SymmetricKey } from './primitives.js';
import { decryptError, MAX_SKIPPED_TOTAL, type RatchetState, type SkippedKey } from './ratchet.js';

export const STATE_VERSION = 1;
export const MAX_AD_BYTES = 200;
export const SEALED_STATE_LABEL = 'chattor/v1/ratchet-state';

export function encodeRatchetState(s: RatchetState): Uint8Array {
  if (!(s.dhs.privateKey instanceof Uint8Array))
    throw new ChattorError(
      'E_STATE',
      'ratchet state holds a prekey CryptoKey: decrypt the first message first',
    );
  if (s.skipped.length > MAX_SKIPPED_TOTAL) throw new ChattorError('E_BAD_INPUT', 'too many skipped keys');
  if (abytes(s.ad, undefined, 'ad').length > MAX_AD_BYTES)
    throw new ChattorError('E_BAD_INPUT', 'ad too long');
  const w = new Writer()
    .u8(STATE_VERSION)
    .u8((s.dhr ? 1 : 0) | (s.cks ? 2 : 0) | (s.ckr ? 4 : 0))
    .u8(s.ad.length)
    .bytes(s.ad)
    .bytes(abytes(s.rk, 32, 'rk'))
    .bytes(abytes(s.dhs.publicKey, 32, 'dhs.publicKey'))
    .bytes(abytes(s.dhs.privateKey, 32, 'dhs.privateKey'));
  if (s.dhr) w.bytes(abytes(s.dhr, 32, 'dhr'));
  if (s.cks) w.bytes(abytes(s.cks, 32, 'cks'));
  if (s.ckr) w.bytes(abytes(s.ckr, 32, 'ckr'));
  w.u32(s.ns).u32(s.nr).u32(s.pn).u16(s.skipped.length);
  for (const k of s.skipped)
    w.bytes(abytes(k.dh, 32, 'skipped.dh'))
      .u32(k.n)
      .u64(k.storedAt)
      .bytes(abytes(k.messageKey, 32, 'skipped.mk'));
  return w.finish();
}

export function decodeRatchetState(bytes: Uint8Array): RatchetState {
  const r = new Reader(abytes(bytes, undefined, 'ratchetState'), 'ratchet state');
  if (r.u8('v') !== STATE_VERSION) throw r.fail('unknown version');
  const flags = r.u8('flags');
  if (flags & ~7) throw r.fail('reserved flags set');
  const adLength = r.u8('adLength');
  if (adLength > MAX_AD_BYTES) throw r.fail('ad too long');
  const ad = r.bytes(adLength, 'ad');
  const rk = r.bytes(32, 'rk');
  const dhs = { publicKey: r.bytes(32, 'dhs.publicKey'), privateKey: r.bytes(32, 'dhs.privateKey') };
  const dhr = flags & 1 ? r.bytes(32, 'dhr') : null;
  const cks = flags & 2 ? r.bytes(32, 'cks') : null;
  const ckr = flags & 4 ? r.bytes(32, 'ckr') : null;
  const ns = r.u32('ns');
  const nr = r.u32('nr');
  const pn = r.u32('pn');
  const count = r.u16('skippedCount');
  if (count > MAX_SKIPPED_TOTAL) throw r.fail('too many skipped keys');
  const skipped: SkippedKey[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const k = { dh: r.bytes(32, 'skipped.dh'), n: r.u32('skipped.n'), storedAt: r.u64('skipped.storedAt') };
    const id = `${toHex(k.dh)}:${k.n}`;
    if (seen.has(id)) throw r.fail('duplicate skipped key');
    seen.add(id);
    skipped.push({ ...k, messageKey: r.bytes(32, 'skipped.messageKey') });
  }
  r.end();
  // A receiving chain exists only together with the key it belongs to.
  if (ckr && !dhr) throw r.fail('ckr without dhr');
  return { v: 1, ad, rk, dhs, dhr, cks, ckr, ns, nr, pn, skipped };
}

export function ratchetStatesEqual(a: RatchetState, b: RatchetState): boolean {
  return equalBytes(encodeRatchetState(a), encodeRatchetState(b));
}

function sealedAad(context: Uint8Array): Uint8Array {
  return concatBytes(label(SEALED_STATE_LABEL), abytes(context, undefined, 'context'));
}

/** `0x01 || nonce || AEAD(storageKey, nonce, encodeRatchetState(state), label || context)`. */
export async function sealState(
  storageKey: SymmetricKey,
  state: RatchetState,
  context: Uint8Array = new Uint8Array(0),
  rng: Rng = defaultRng,
): Promise<Uint8Array> {
  const nonce = abytes(rng(12), 12, 'rng output');
  const ct = await aesGcmEncrypt(storageKey, nonce, encodeRatchetState(state), sealedAad(context));
  return concatBytes(Uint8Array.of(1), nonce, ct);
}

export async function openState(
  storageKey: SymmetricKey,
  sealed: Uint8Array,
  context: Uint8Array = new Uint8Array(0),
): Promise<RatchetState> {
  if (!(sealed instanceof Uint8Array) || sealed.length < 1 + 12 + 16 || sealed[0] !== 1) throw decryptError();
  const pt = await aesGcmDecrypt(
    storageKey,
    sealed.subarray(1, 13),
    sealed.subarray(13),
    sealedAad(context),
  ).catch(() => {
    throw decryptError();
  });
  try {
    return decodeRatchetState(pt);
  } catch {
    throw decryptError();
  }
}
