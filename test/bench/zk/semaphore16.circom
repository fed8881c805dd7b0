// Benchmark only (test/bench/zk.ts): the Semaphore v4 circuit from @semaphore-protocol/circuits at depth
// 16, Chattor's depth, so both proofs are made for the same group size. Public: message, scope; outputs
// merkleRoot, nullifier. Private: secret, merkleProofLength, merkleProofIndex, merkleProofSiblings[16].
pragma circom 2.1.5;

include "@semaphore-protocol/circuits/src/semaphore.circom";

component main {public [message, scope]} = Semaphore(16);
