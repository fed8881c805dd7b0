// Implements docs/zk.md §3 (identity secret, identity commitment, nullifier).
import { poseidon1 } from 'poseidon-lite/poseidon1';
import { poseidon2 } from 'poseidon-lite/poseidon2';
import { ChattorError } from '../util/errors.js';
import { abytes } from '../util/bytes.js';
import { assertFieldElement, hashToField } from './field.js';

/**
 * The identity secret from a 32-byte seed (random, or derived from the user's identity keys by the
 * caller). Knowing the secret is what membership proves; it never leaves the device.
 */
export function identitySecretFromSeed(seed: Uint8Array): bigint {
  abytes(seed, 32, 'seed');
  const secret = hashToField('identity', seed);
  // Probability 2^-248; checked so a zero secret can never be used.
  if (secret === 0n) throw new ChattorError('E_BAD_INPUT', 'seed gives a zero secret');
  return secret;
}

function assertSecret(secret: bigint): bigint {
  assertFieldElement(secret, 'secret');
  if (secret === 0n) throw new ChattorError('E_BAD_INPUT', 'secret must not be zero');
  return secret;
}

/**
 * identityCommitment = Poseidon(secret): the group tree's leaf. One input, unlike Semaphore v4's
 * Poseidon(BabyJub public key): Chattor signs with its own keys, so the identity needs no EdDSA key.
 */
export function identityCommitment(secret: bigint): bigint {
  return poseidon1([assertSecret(secret)]);
}

/** nullifier = Poseidon(scope, secret): equal for two proofs of one identity in one scope, else unlinkable. */
export function nullifierOf(scope: bigint, secret: bigint): bigint {
  return poseidon2([assertFieldElement(scope, 'scope'), assertSecret(secret)]);
}
