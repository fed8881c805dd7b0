// Implements docs/zk.md §4 (group tree): a LeanIMT of identity commitments hashed with Poseidon(2), and
// the circuit's BinaryMerkleRoot mirrored in TypeScript so tests can predict the circuit's outputs.
import { LeanIMT, type LeanIMTMerkleProof } from '@zk-kit/lean-imt';
import { poseidon2 } from 'poseidon-lite/poseidon2';
import { ChattorError } from '../util/errors.js';
import { assertFieldElement } from './field.js';

/** The circuit's MAX_DEPTH (circuits/membership.circom): groups of at most 2^14 = 16,384 members. */
export const MAX_DEPTH = 14;
export const MAX_GROUP_SIZE = 2 ** MAX_DEPTH;

export type GroupTree = LeanIMT<bigint>;

const hashPair = (a: bigint, b: bigint): bigint => poseidon2([a, b]);

export function createGroupTree(commitments: readonly bigint[] = []): GroupTree {
  if (commitments.length > MAX_GROUP_SIZE)
    throw new ChattorError('E_BAD_INPUT', `a group holds at most ${MAX_GROUP_SIZE} members`);
  const seen = new Set<bigint>();
  commitments.forEach((c, i) => {
    assertFieldElement(c, `commitments[${i}]`);
    // A zero leaf would be indistinguishable from padding; a duplicate would give one identity two leaves.
    if (c === 0n) throw new ChattorError('E_BAD_INPUT', `commitments[${i}] is zero`);
    if (seen.has(c)) throw new ChattorError('E_BAD_INPUT', `commitments[${i}] is a duplicate`);
    seen.add(c);
  });
  return new LeanIMT(hashPair, [...commitments]);
}

/** The circuit's private Merkle inputs, siblings padded with zeros to MAX_DEPTH. */
export interface MerkleProofInputs {
  merkleProofLength: number;
  merkleProofIndex: number;
  merkleProofSiblings: bigint[];
}

export function merkleProofInputs(tree: GroupTree, commitment: bigint): MerkleProofInputs & { root: bigint } {
  const leafIndex = tree.indexOf(commitment);
  if (leafIndex < 0) throw new ChattorError('E_BAD_INPUT', 'commitment is not a member of the group');
  if (tree.depth > MAX_DEPTH) throw new ChattorError('E_BAD_INPUT', `group deeper than ${MAX_DEPTH}`);
  return fromLeanProof(tree.generateProof(leafIndex));
}

export function fromLeanProof(proof: LeanIMTMerkleProof<bigint>): MerkleProofInputs & { root: bigint } {
  if (proof.siblings.length > MAX_DEPTH)
    throw new ChattorError('E_BAD_INPUT', `proof longer than ${MAX_DEPTH}`);
  // Copy: never pad the caller's array in place.
  const siblings = [...proof.siblings];
  while (siblings.length < MAX_DEPTH) siblings.push(0n);
  return {
    root: proof.root,
    merkleProofLength: proof.siblings.length,
    merkleProofIndex: proof.index,
    merkleProofSiblings: siblings,
  };
}

/**
 * What BinaryMerkleRoot(MAX_DEPTH) outputs: hash MAX_DEPTH levels, bit i of the index choosing the
 * order at level i, and return the node at level `length`. Inputs the circuit cannot satisfy throw.
 */
export function binaryMerkleRoot(leaf: bigint, inputs: MerkleProofInputs): bigint {
  const { merkleProofLength: length, merkleProofIndex: index, merkleProofSiblings: siblings } = inputs;
  if (!Number.isInteger(length) || length < 0 || length > MAX_DEPTH)
    throw new ChattorError('E_BAD_INPUT', `merkleProofLength must be 0..${MAX_DEPTH}`);
  if (!Number.isInteger(index) || index < 0 || index >= MAX_GROUP_SIZE)
    throw new ChattorError('E_BAD_INPUT', `merkleProofIndex must be below 2^${MAX_DEPTH}`);
  if (siblings.length !== MAX_DEPTH)
    throw new ChattorError('E_BAD_INPUT', `merkleProofSiblings must have ${MAX_DEPTH} entries`);
  let node = assertFieldElement(leaf, 'leaf');
  let root = length === 0 ? node : 0n;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const sibling = assertFieldElement(siblings[i], `merkleProofSiblings[${i}]`);
    node = (index >> i) & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
    if (i + 1 === length) root = node;
  }
  return root;
}
