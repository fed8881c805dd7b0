// Implements docs/zk.md §6 (accepting a proof). Runtime-neutral: snarkjs resolves to its browser build
// in Chromium and to its Node build in the gateway and tests.
import { groth16 } from 'snarkjs';
import { isFieldElement } from './field.js';
import { PUBLIC_SIGNAL_COUNT, parsePublicSignals, type Groth16Proof } from './membership.js';

/** What the verifier computed itself: never take these from the proof. */
export interface MembershipExpectation {
  /** The group's current (or a recently signed) root. */
  root: bigint;
  /** scopeHash() of the context the verifier is in. */
  scope: bigint;
  /** messageHash() of the message exactly as received. */
  messageHash: bigint;
}

/**
 * False on any mismatch or malformed input, never throws: wrong vkey shape, public signals that are not
 * canonical or not exactly 4 (snarkjs would verify a shorter list against fewer IC points), a root,
 * scope or message other than expected, root 0, or a failed pairing check. Reuse of the nullifier is
 * the caller's check (consumeNullifier) after this returns true.
 */
export async function verifyMembershipProof(
  vkey: unknown,
  proof: Groth16Proof,
  publicSignals: readonly string[],
  expected: MembershipExpectation,
): Promise<boolean> {
  try {
    if (!isMembershipVkey(vkey)) return false;
    const { root, scope, messageHash } = expected;
    if (!isFieldElement(root) || root === 0n || !isFieldElement(scope) || !isFieldElement(messageHash))
      return false;
    const signals = parsePublicSignals(publicSignals);
    if (signals.merkleRoot !== root || signals.scope !== scope || signals.messageHash !== messageHash)
      return false;
    if (!isProofShape(proof)) return false;
    return await groth16.verify(vkey, [...publicSignals], proof);
  } catch {
    return false;
  }
}

function isMembershipVkey(vkey: unknown): vkey is Record<string, unknown> {
  if (typeof vkey !== 'object' || vkey === null) return false;
  const v = vkey as Record<string, unknown>;
  return (
    v.protocol === 'groth16' &&
    v.curve === 'bn128' &&
    v.nPublic === PUBLIC_SIGNAL_COUNT &&
    Array.isArray(v.IC) &&
    v.IC.length === PUBLIC_SIGNAL_COUNT + 1
  );
}

function isProofShape(proof: unknown): proof is Groth16Proof {
  if (typeof proof !== 'object' || proof === null) return false;
  const p = proof as Record<string, unknown>;
  const strings = (x: unknown, n: number) =>
    Array.isArray(x) && x.length === n && x.every((s) => typeof s === 'string');
  return (
    p.protocol === 'groth16' &&
    p.curve === 'bn128' &&
    strings(p.pi_a, 3) &&
    strings(p.pi_c, 3) &&
    Array.isArray(p.pi_b) &&
    p.pi_b.length === 3 &&
    p.pi_b.every((c) => strings(c, 2))
  );
}
