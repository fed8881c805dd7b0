// Implements docs/protocol.md §3.3 `contactOnion`: Tor v3 onion ids (rend-spec-v3 §6).
import { sha3_256 } from '@noble/hashes/sha3.js';
import { abytes, concatBytes } from '../util/bytes.js';
import { fromBase32, label, toBase32 } from './codec.js';

function checksum(pub: Uint8Array): Uint8Array {
  return sha3_256(concatBytes(label('.onion checksum'), pub, Uint8Array.of(3))).subarray(0, 2);
}

/** base32(pubkey || checksum || 0x03), 56 lower-case characters, without `.onion`. */
export function onionFromPublicKey(publicKey: Uint8Array): string {
  const pub = abytes(publicKey, 32, 'publicKey');
  return toBase32(concatBytes(pub, checksum(pub), Uint8Array.of(3)));
}

export function isValidOnion(onion: string): boolean {
  if (typeof onion !== 'string' || !/^[a-z2-7]{55}d$/.test(onion)) return false;
  try {
    const raw = fromBase32(onion, 'contactOnion');
    const sum = checksum(raw.subarray(0, 32));
    return raw[34] === 3 && raw[32] === sum[0] && raw[33] === sum[1];
  } catch {
    return false;
  }
}
