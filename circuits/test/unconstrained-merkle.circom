// NEGATIVE EXAMPLE, for circuits/membership.spec.ts only: never include it in a real circuit.
//
// The Merkle root pattern of @zk-kit/circuits 0.4.0 (docs/zk.md §7): the path selectors `indices` are
// inputs that nothing constrains to 0 or 1. MultiMux1 computes c0 + s * (c1 - c0), so with a
// non-boolean s a prover can make the pair hashed at level 0 equal to ANY pair (L, R) with
// L + R = leaf + sibling, i.e. the real pair on a member's path, and reach the real root without
// being a member.
//
// Public signals: out (the root).  Private signals: leaf, depth, indices[MAX_DEPTH], siblings[MAX_DEPTH].
pragma circom 2.1.5;

include "poseidon.circom";
include "mux1.circom";
include "comparators.circom";

template UnconstrainedMerkleRoot(MAX_DEPTH) {
    signal input leaf, depth, indices[MAX_DEPTH], siblings[MAX_DEPTH];
    signal output out;

    signal nodes[MAX_DEPTH + 1];
    nodes[0] <== leaf;
    signal roots[MAX_DEPTH];
    var root = 0;

    for (var i = 0; i < MAX_DEPTH; i++) {
        var isDepth = IsEqual()([depth, i]);
        roots[i] <== isDepth * nodes[i];
        root += roots[i];
        var c[2][2] = [ [nodes[i], siblings[i]], [siblings[i], nodes[i]] ];
        var childNodes[2] = MultiMux1(2)(c, indices[i]);   // indices[i] is never checked to be a bit
        nodes[i + 1] <== Poseidon(2)(childNodes);
    }

    var isDepth = IsEqual()([depth, MAX_DEPTH]);
    out <== root + isDepth * nodes[MAX_DEPTH];
}

component main = UnconstrainedMerkleRoot(4);
