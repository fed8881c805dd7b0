// Implements docs/protocol.md §5.3: sealed envelopes for mailboxes. HPKE (RFC 9180) base mode with
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM (@hpke/core, WebCrypto underneath), to the
// recipient's mailbox key; the mailbox id is the AAD; the plaintext is padded to a size bucket.
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { x25519 } from '@noble/curves/ed25519.js';
import { abytes, concatBytes, utf8 } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import { defaultRng, type Rng } from './primitives.js';

export const ENVELOPE_VERSION = 0x01;
export const ENVELOPE_ID_BYTES = 16;
/** Whole-envelope sizes (enc + ciphertext + tag), docs/protocol.md §5.3. */
export const ENVELOPE_BUCKETS = [1024, 4096, 16384, 65536, 131072] as const;
const ENC_BYTES = 32;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + ENVELOPE_ID_BYTES + 4;
const OVERHEAD = ENC_BYTES + TAG_BYTES + HEADER_BYTES;
/** The largest body an envelope can carry. */
export const MAX_ENVELOPE_BODY = 131072 - OVERHEAD;
const INFO = utf8.encode('chattor/v1/envelope');

let suite: CipherSuite | undefined;
const hpke = (): CipherSuite =>
  (suite ??= new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes256Gcm(),
  }));

export interface MailboxKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export function generateMailboxKey(rng: Rng = defaultRng): MailboxKeyPair {
  const privateKey = abytes(rng(32), 32, 'rng output');
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

function bucketFor(bodyLength: number): number {
  const need = bodyLength + OVERHEAD;
  const b = ENVELOPE_BUCKETS.find((s) => s >= need);
  if (b === undefined) throw new ChattorError('E_BAD_INPUT', 'envelope body too large');
  return b;
}

const toBuf = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

/** Seals `body` (a §4.1 DATA body) to `recipientPublic` under mailbox id `mid`. */
export async function sealEnvelope(
  recipientPublic: Uint8Array,
  mid: Uint8Array,
  body: Uint8Array,
  rng: Rng = defaultRng,
): Promise<{ envelope: Uint8Array; envelopeId: Uint8Array }> {
  abytes(recipientPublic, 32, 'recipient mailbox key');
  abytes(mid, 16, 'mailbox id');
  const size = bucketFor(body.length);
  const envelopeId = abytes(rng(ENVELOPE_ID_BYTES), ENVELOPE_ID_BYTES, 'rng output');
  const plaintext = new Uint8Array(size - ENC_BYTES - TAG_BYTES);
  plaintext[0] = ENVELOPE_VERSION;
  plaintext.set(envelopeId, 1);
  new DataView(plaintext.buffer).setUint32(1 + ENVELOPE_ID_BYTES, body.length);
  plaintext.set(body, HEADER_BYTES);
  const s = hpke();
  const recipientPublicKey = await s.kem.deserializePublicKey(toBuf(recipientPublic));
  const sealed = await s.seal({ recipientPublicKey, info: toBuf(INFO) }, toBuf(plaintext), toBuf(mid));
  const envelope = concatBytes(new Uint8Array(sealed.enc), new Uint8Array(sealed.ct));
  return { envelope, envelopeId };
}

/**
 * Opens an envelope with any of `keys` (newest first). Throws E_DECRYPT when none opens it and
 * E_BAD_INPUT when the opened plaintext is not strictly well formed (§5.3).
 */
export async function openEnvelope(
  keys: readonly Uint8Array[],
  mid: Uint8Array,
  envelope: Uint8Array,
): Promise<{ envelopeId: Uint8Array; body: Uint8Array }> {
  abytes(mid, 16, 'mailbox id');
  if (!(ENVELOPE_BUCKETS as readonly number[]).includes(envelope.length))
    throw new ChattorError('E_BAD_INPUT', 'envelope: not a bucket size');
  const s = hpke();
  const enc = toBuf(envelope.subarray(0, ENC_BYTES));
  const ct = toBuf(envelope.subarray(ENC_BYTES));
  let plaintext: Uint8Array | undefined;
  for (const key of keys) {
    try {
      const recipientKey = await s.kem.deserializePrivateKey(toBuf(abytes(key, 32, 'mailbox key')));
      plaintext = new Uint8Array(await s.open({ recipientKey, enc, info: toBuf(INFO) }, ct, toBuf(mid)));
      break;
    } catch {
      // try the next key
    }
  }
  if (!plaintext) throw new ChattorError('E_DECRYPT', 'envelope could not be opened');
  if (plaintext[0] !== ENVELOPE_VERSION) throw new ChattorError('E_BAD_INPUT', 'envelope: unknown version');
  const length = new DataView(plaintext.buffer, plaintext.byteOffset).getUint32(1 + ENVELOPE_ID_BYTES);
  if (length > plaintext.length - HEADER_BYTES) throw new ChattorError('E_BAD_INPUT', 'envelope: bad length');
  if (plaintext.subarray(HEADER_BYTES + length).some((b) => b !== 0))
    throw new ChattorError('E_BAD_INPUT', 'envelope: bad padding');
  return {
    envelopeId: plaintext.slice(1, 1 + ENVELOPE_ID_BYTES),
    body: plaintext.slice(HEADER_BYTES, HEADER_BYTES + length),
  };
}
