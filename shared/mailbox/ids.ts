// Mailbox ids, docs/protocol.md §5.3: epochs, fetch keys, mailbox ids and envelope hashes. Synchronous
// (@noble/hashes) so the holder's gateway, the browser and the headless node compute the same bytes.
// Holds no key of the user's: a fetch key only names a mailbox, it opens nothing.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, concatBytes, utf8 } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import { ENVELOPE_HASH_BYTES, FETCH_KEY_BYTES, MID_BYTES } from '../wire/mailbox.js';

/** `EPOCH` = 24 h: depositors use the mid of the current epoch, fetchers those of the last TTL + 1. */
export const EPOCH_MS = 24 * 60 * 60 * 1000;
export const MAIL_SECRET_BYTES = 32;

const FETCH_LABEL = utf8.encode('chattor/v1/mbx-fetch');
const ID_LABEL = utf8.encode('chattor/v1/mbx-id');
const ONION_RE = /^([a-z2-7]{56})(\.onion)?$/;

/** `e = floor(t / EPOCH)` for a time in milliseconds since the Unix epoch. */
export function epochOf(t: number): number {
  if (!Number.isSafeInteger(t) || t < 0)
    throw new ChattorError('E_BAD_INPUT', 'time must be a non-negative integer of milliseconds');
  return Math.floor(t / EPOCH_MS);
}

function u64(v: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(v / 2 ** 32));
  view.setUint32(4, v >>> 0);
  return out;
}

/**
 * `fetchKey(secret, e, onion) = HMAC-SHA-256(secret, "chattor/v1/mbx-fetch" || u64(e) || onion)`, where
 * `onion` is the holder's 56-character contact onion in ASCII (a `.onion` suffix is dropped first).
 */
export function fetchKey(secret: Uint8Array, epoch: number, onion: string): Uint8Array {
  abytes(secret, MAIL_SECRET_BYTES, 'secret');
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new ChattorError('E_BAD_INPUT', 'epoch must be a non-negative integer');
  const m = typeof onion === 'string' ? ONION_RE.exec(onion) : null;
  if (!m) throw new ChattorError('E_BAD_INPUT', 'onion must be a lower-case v3 onion address');
  return hmac(sha256, secret, concatBytes(FETCH_LABEL, u64(epoch), utf8.encode(m[1]!)));
}

/** `mid = SHA-256("chattor/v1/mbx-id" || fetchKey)[0..16)`. */
export function mailboxId(key: Uint8Array): Uint8Array {
  abytes(key, FETCH_KEY_BYTES, 'fetchKey');
  return sha256(concatBytes(ID_LABEL, key)).slice(0, MID_BYTES);
}

/** `envelopeHash = SHA-256(envelope)[0..16)` (§5.5), how DELETE names an envelope. */
export function envelopeHash(envelope: Uint8Array): Uint8Array {
  abytes(envelope, undefined, 'envelope');
  return sha256(envelope).slice(0, ENVELOPE_HASH_BYTES);
}
