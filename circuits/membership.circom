// Membership: "I hold the secret behind one leaf of the group tree with this root" (docs/zk.md).
//
// Public signals, in the order snarkjs lists them (outputs first, then public inputs):
//   0 merkleRoot  (output) LeanIMT root of the group's identity commitments
//   1 nullifier   (output) Poseidon(scope, secret): one per identity per scope, unlinkable across scopes
//   2 scope       (input)  the context a nullifier is unique in (hashToField, shared/zk/field.ts)
//   3 message     (input)  hash of the message the proof is bound to (hashToField)
// Private signals:
//   secret                       the identity secret; identity commitment = Poseidon(secret)
//   merkleProofLength            number of siblings on the LeanIMT path, 0..MAX_DEPTH
//   merkleProofIndex             path bits, bit i = 1 when the node at level i is a right child
//   merkleProofSiblings[MAX_DEPTH] the siblings, zero-padded past merkleProofLength
//
// MAX_DEPTH = 14: groups of up to 16,384 members, one circuit for every group size (LeanIMT keeps the
// path length variable). Depth 14 is the deepest tree whose circuit (3,911 constraints) still fits a
// 2^12 evaluation domain: Groth16's FFTs and its H multi-exponentiation run over the domain, so depth
// 15 or 16 (4,403 constraints, a 2^13 domain) costs ~1.3-1.4x the proving time for group sizes a friend
// list never reaches (docs/zk.md §5, measured against Semaphore v4 by `npm run bench -- --only zk`).
pragma circom 2.1.5;

include "poseidon.circom";
include "bitify.circom";
include "comparators.circom";
// The zk-kit template constrains every path bit to be boolean (Num2Bits). The older one in
// @zk-kit/circuits 0.4.0 does not, and a non-member can then reach the real root: see
// circuits/test/unconstrained-merkle.circom and circuits/membership.spec.ts.
include "@zk-kit/binary-merkle-root.circom/src/binary-merkle-root.circom";

template Membership(MAX_DEPTH) {
    signal input secret;
    signal input merkleProofLength;
    signal input merkleProofIndex;
    signal input merkleProofSiblings[MAX_DEPTH];
    signal input scope;
    signal input message;

    signal output merkleRoot;
    signal output nullifier;

    // BinaryMerkleRoot returns 0 for a length above MAX_DEPTH; a range check alone (LessEqThan) would
    // accept "negative" field elements such as p - 1, so the length is first decomposed into 5 bits.
    signal lengthBits[5] <== Num2Bits(5)(merkleProofLength);
    signal lengthOk <== LessEqThan(5)([merkleProofLength, MAX_DEPTH]);
    lengthOk === 1;

    signal identityCommitment <== Poseidon(1)([secret]);

    merkleRoot <== BinaryMerkleRoot(MAX_DEPTH)(identityCommitment, merkleProofLength, merkleProofIndex, merkleProofSiblings);
    nullifier <== Poseidon(2)([scope, secret]);

    // Anti-malleability: a public input that appears in no constraint has a zero column, so its
    // verification-key point is the identity and any value would verify. Squaring binds it.
    signal messageSquare <== message * message;
}

component main {public [scope, message]} = Membership(14);
