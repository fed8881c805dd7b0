// Implements docs/zk.md §2 (field elements and hashing to the field).
import { sha256 } from '@noble/hashes/sha2.js';
import { ChattorError } from '../util/errors.js';
import { concatBytes, toHex, utf8 } from '../util/bytes.js';

/** The BN254 scalar field: every circuit signal is an integer modulo this prime. */
export const SNARK_SCALAR_FIELD =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Domain tags; each ends in a NUL so no tag is a prefix of another tag followed by data. */
export const DOMAIN = {
  identity: 'chattor/zk/identity/v1\0',
  scope: 'chattor/zk/scope/v1\0',
  message: 'chattor/zk/message/v1\0',
} as const;
export type Domain = keyof typeof DOMAIN;

/**
 * hashToField(domain, data) = sha256(DOMAIN[domain] || data) >> 8, read big-endian.
 * Dropping the low byte leaves 248 uniform bits, always below the 254-bit field (no modular bias, the
 * same construction as Semaphore's keccak256 >> 8).
 */
export function hashToField(domain: Domain, data: Uint8Array): bigint {
  if (!(data instanceof Uint8Array)) throw new ChattorError('E_BAD_INPUT', 'data must be a Uint8Array');
  const digest = sha256(concatBytes(utf8.encode(DOMAIN[domain]), data));
  return BigInt(`0x${toHex(digest)}`) >> 8n;
}

/** The `scope` public input: the context in which a nullifier is unique (a poll, a room, a day). */
export function scopeHash(scope: Uint8Array | string): bigint {
  return hashToField('scope', typeof scope === 'string' ? utf8.encode(scope) : scope);
}

/** The `message` public input: binds the proof to exactly these bytes. */
export function messageHash(message: Uint8Array | string): bigint {
  return hashToField('message', typeof message === 'string' ? utf8.encode(message) : message);
}

export function isFieldElement(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value < SNARK_SCALAR_FIELD;
}

export function assertFieldElement(value: unknown, field: string): bigint {
  if (!isFieldElement(value)) throw new ChattorError('E_BAD_INPUT', `${field} must be a field element`);
  return value;
}

/** Canonical decimal (what snarkjs emits): no sign, no leading zeros, below the field. */
export function parseFieldDecimal(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,76})$/.test(value))
    throw new ChattorError('E_BAD_INPUT', `${field} is not a canonical decimal`);
  return assertFieldElement(BigInt(value), field);
}

/** 32-byte big-endian encoding of a value below 2^256. */
export function toBytes32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

export function fromBytes32(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}
