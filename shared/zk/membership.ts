// Implements docs/zk.md §5 (membership statement): the circuit's inputs and public signals, its outputs
// computed in TypeScript, and the binary proof encoding.
import { ChattorError } from '../util/errors.js';
import { concatBytes } from '../util/bytes.js';
import { assertFieldElement, fromBytes32, parseFieldDecimal, toBytes32 } from './field.js';
import { identityCommitment, nullifierOf } from './identity.js';
import { binaryMerkleRoot, merkleProofInputs, type GroupTree, type MerkleProofInputs } from './tree.js';

/** snarkjs's Groth16 proof object (affine coordinates as decimal strings, z = 1). */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The public signals in circuit order: outputs (merkleRoot, nullifier), then inputs (scope, message). */
export interface MembershipPublicSignals {
  merkleRoot: bigint;
  nullifier: bigint;
  scope: bigint;
  messageHash: bigint;
}
export const PUBLIC_SIGNAL_COUNT = 4;

/** The witness input object for circuits/membership.circom (names are the circuit's signal names). */
// A type, not an interface, so it is assignable to snarkjs's Record<string, unknown>.
export type MembershipCircuitInput = {
  secret: string;
  merkleProofLength: string;
  merkleProofIndex: string;
  merkleProofSiblings: string[];
  scope: string;
  message: string;
};

export function membershipCircuitInput(args: {
  secret: bigint;
  merkle: MerkleProofInputs;
  scope: bigint;
  messageHash: bigint;
}): MembershipCircuitInput {
  return {
    secret: args.secret.toString(),
    merkleProofLength: args.merkle.merkleProofLength.toString(),
    merkleProofIndex: args.merkle.merkleProofIndex.toString(),
    merkleProofSiblings: args.merkle.merkleProofSiblings.map((s) => s.toString()),
    scope: assertFieldElement(args.scope, 'scope').toString(),
    message: assertFieldElement(args.messageHash, 'messageHash').toString(),
  };
}

/** The input to prove membership of `secret`'s commitment in `tree`; throws if it is not a member. */
export function membershipInputFromTree(args: {
  secret: bigint;
  tree: GroupTree;
  scope: bigint;
  messageHash: bigint;
}): MembershipCircuitInput {
  const merkle = merkleProofInputs(args.tree, identityCommitment(args.secret));
  return membershipCircuitInput({ ...args, merkle });
}

/** What the circuit computes for an input, so tests and callers never re-derive it by hand. */
export function expectedPublicSignals(args: {
  secret: bigint;
  merkle: MerkleProofInputs;
  scope: bigint;
  messageHash: bigint;
}): MembershipPublicSignals {
  return {
    merkleRoot: binaryMerkleRoot(identityCommitment(args.secret), args.merkle),
    nullifier: nullifierOf(args.scope, args.secret),
    scope: args.scope,
    messageHash: args.messageHash,
  };
}

export function publicSignalsToStrings(s: MembershipPublicSignals): string[] {
  return [s.merkleRoot, s.nullifier, s.scope, s.messageHash].map((v, i) =>
    assertFieldElement(v, `publicSignals[${i}]`).toString(),
  );
}

export function parsePublicSignals(signals: unknown): MembershipPublicSignals {
  if (!Array.isArray(signals) || signals.length !== PUBLIC_SIGNAL_COUNT)
    throw new ChattorError('E_BAD_INPUT', `publicSignals must have ${PUBLIC_SIGNAL_COUNT} entries`);
  const [merkleRoot, nullifier, scope, messageHash] = signals.map((v, i) =>
    parseFieldDecimal(v, `publicSignals[${i}]`),
  ) as [bigint, bigint, bigint, bigint];
  return { merkleRoot, nullifier, scope, messageHash };
}

// ---- binary encoding ---------------------------------------------------------------------------------

/** The BN254 base field: proof coordinates live here (public signals live in the scalar field). */
export const BN254_BASE_FIELD =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;
export const MEMBERSHIP_PROOF_VERSION = 1;
/** v (1) || pi_a.x, pi_a.y || pi_b.x.c0, x.c1, y.c0, y.c1 || pi_c.x, pi_c.y || 4 public signals; 32 bytes each. */
export const MEMBERSHIP_PROOF_BYTES = 1 + 32 * 8 + 32 * PUBLIC_SIGNAL_COUNT;

function coordinate(value: unknown, field: string): bigint {
  const v = typeof value === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(value) ? BigInt(value) : -1n;
  if (v < 0n || v >= BN254_BASE_FIELD) throw new ChattorError('E_BAD_INPUT', `${field} is not a coordinate`);
  return v;
}

function affine(point: unknown, one: unknown, field: string): unknown[] {
  if (!Array.isArray(point) || point.length !== 3 || JSON.stringify(point[2]) !== JSON.stringify(one))
    throw new ChattorError('E_BAD_INPUT', `${field} is not an affine point`);
  return point;
}

/**
 * 385 bytes: fixed-size, so a message carrying a proof has a fixed overhead. The G2 coordinates keep
 * snarkjs's (c0, c1) order, not the (c1, c0) of Ethereum's precompile.
 */
export function encodeMembershipProof(
  proof: Groth16Proof,
  publicSignals: MembershipPublicSignals,
): Uint8Array {
  if (proof.protocol !== 'groth16' || proof.curve !== 'bn128')
    throw new ChattorError('E_BAD_INPUT', 'proof must be groth16 on bn128');
  const a = affine(proof.pi_a, '1', 'pi_a');
  const b = affine(proof.pi_b, ['1', '0'], 'pi_b');
  const c = affine(proof.pi_c, '1', 'pi_c');
  const [bx, by] = [b[0], b[1]].map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2)
      throw new ChattorError('E_BAD_INPUT', `pi_b[${i}] is not in Fq2`);
    return p as unknown[];
  }) as [unknown[], unknown[]];
  const coords = [
    coordinate(a[0], 'pi_a.x'),
    coordinate(a[1], 'pi_a.y'),
    coordinate(bx[0], 'pi_b.x.c0'),
    coordinate(bx[1], 'pi_b.x.c1'),
    coordinate(by[0], 'pi_b.y.c0'),
    coordinate(by[1], 'pi_b.y.c1'),
    coordinate(c[0], 'pi_c.x'),
    coordinate(c[1], 'pi_c.y'),
  ];
  const signals = publicSignalsToStrings(publicSignals).map((s) => BigInt(s));
  return concatBytes(Uint8Array.of(MEMBERSHIP_PROOF_VERSION), ...[...coords, ...signals].map(toBytes32));
}

/** Strict: exact length, known version, every value canonical (below its field). */
export function decodeMembershipProof(bytes: Uint8Array): {
  proof: Groth16Proof;
  publicSignals: MembershipPublicSignals;
} {
  if (!(bytes instanceof Uint8Array) || bytes.length !== MEMBERSHIP_PROOF_BYTES)
    throw new ChattorError('E_BAD_INPUT', `membership proof must be ${MEMBERSHIP_PROOF_BYTES} bytes`);
  if (bytes[0] !== MEMBERSHIP_PROOF_VERSION)
    throw new ChattorError('E_UNSUPPORTED', `membership proof version ${bytes[0]}`);
  const word = (i: number) => fromBytes32(bytes.subarray(1 + 32 * i, 33 + 32 * i));
  const coords = Array.from({ length: 8 }, (_, i) => {
    const v = word(i);
    if (v >= BN254_BASE_FIELD) throw new ChattorError('E_BAD_INPUT', `proof coordinate ${i} out of range`);
    return v.toString();
  }) as [string, string, string, string, string, string, string, string];
  const publicSignals = parsePublicSignals(
    Array.from({ length: PUBLIC_SIGNAL_COUNT }, (_, i) => `${word(8 + i)}`),
  );
  return {
    proof: {
      pi_a: [coords[0], coords[1], '1'],
      pi_b: [
        [coords[2], coords[3]],
        [coords[4], coords[5]],
        ['1', '0'],
      ],
      pi_c: [coords[6], coords[7], '1'],
      protocol: 'groth16',
      curve: 'bn128',
    },
    publicSignals,
  };
}
