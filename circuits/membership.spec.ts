// circuits/membership.circom at the witness level (docs/zk.md §5, §7). Expected outputs come from the
// TypeScript implementation in shared/zk, so circuit and app cannot drift apart. "Fails" means what a
// cheating prover would need: a witness that satisfies every constraint of the r1cs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MAX_DEPTH,
  SNARK_SCALAR_FIELD,
  createGroupTree,
  expectedPublicSignals,
  identityCommitment,
  identitySecretFromSeed,
  membershipCircuitInput,
  merkleProofInputs,
  messageHash,
  scopeHash,
  type MerkleProofInputs,
} from '../shared/zk/index.js';
import { ensureCompiled, type BuildPaths } from './scripts/compile.mjs';
import { calculateWitness, patchWitness, satisfiesConstraints, witnessValues } from './test/witness.js';

// Witness layout: [1, merkleRoot, nullifier, scope, message, ...private].
const W = { merkleRoot: 1, nullifier: 2, scope: 3, message: 4 } as const;

const secrets = Array.from({ length: 7 }, (_, i) => identitySecretFromSeed(new Uint8Array(32).fill(i + 1)));
const commitments = secrets.map(identityCommitment);
const tree = createGroupTree(commitments);
const scope = scopeHash('friends-of:alice');
const message = messageHash('I was at the concert');

let membership: BuildPaths;
let flawed: BuildPaths;

beforeAll(async () => {
  membership = await ensureCompiled('membership');
  flawed = await ensureCompiled('test/unconstrained-merkle');
}, 60_000);

afterAll(async () => {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

/** The witness calculator refuses the input; returns what it printed (circom names the failing template). */
async function refused(input: Record<string, unknown>, wasm: string): Promise<string> {
  const printed: string[] = [];
  const spy = vi
    .spyOn(console, 'error')
    .mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  try {
    await expect(calculateWitness(input, wasm)).rejects.toThrow();
  } finally {
    spy.mockRestore();
  }
  return printed.join('\n');
}

function inputFor(member: number, merkle?: MerkleProofInputs) {
  return membershipCircuitInput({
    secret: secrets[member]!,
    merkle: merkle ?? merkleProofInputs(tree, commitments[member]!),
    scope,
    messageHash: message,
  });
}

describe('membership.circom', () => {
  it('a member: constraints hold and the outputs equal the TypeScript implementation', async () => {
    // 7 leaves: LeanIMT paths of length 3 and, for the last leaf (no sibling at level 0), length 2.
    for (const member of [0, 3, 6]) {
      const merkle = merkleProofInputs(tree, commitments[member]!);
      const wtns = await calculateWitness(inputFor(member, merkle), membership.wasm);
      const w = witnessValues(wtns);
      const expected = expectedPublicSignals({
        secret: secrets[member]!,
        merkle,
        scope,
        messageHash: message,
      });
      expect(w[W.merkleRoot]).toBe(tree.root);
      expect(w[W.merkleRoot]).toBe(expected.merkleRoot);
      expect(w[W.nullifier]).toBe(expected.nullifier);
      expect([w[W.scope], w[W.message]]).toEqual([scope, message]);
      expect(await satisfiesConstraints(membership.r1cs, wtns)).toBe(true);
    }
    expect(merkleProofInputs(tree, commitments[6]!).merkleProofLength).toBe(2);
  });

  it('a one-member group (path length 0) proves against root = commitment', async () => {
    const single = createGroupTree([commitments[0]!]);
    const w = witnessValues(
      await calculateWitness(inputFor(0, merkleProofInputs(single, commitments[0]!)), membership.wasm),
    );
    expect(w[W.merkleRoot]).toBe(commitments[0]);
  });

  it('a wrong path does not reach the root, and claiming the root anyway breaks the constraints', async () => {
    const merkle = merkleProofInputs(tree, commitments[2]!);
    const siblings = [...merkle.merkleProofSiblings];
    siblings[1] = siblings[1]! + 1n;
    const wrong = { ...merkle, merkleProofSiblings: siblings };
    const wtns = await calculateWitness(inputFor(2, wrong), membership.wasm);
    expect(witnessValues(wtns)[W.merkleRoot]).not.toBe(tree.root);
    expect(witnessValues(wtns)[W.merkleRoot]).toBe(
      expectedPublicSignals({ secret: secrets[2]!, merkle: wrong, scope, messageHash: message }).merkleRoot,
    );
    expect(await satisfiesConstraints(membership.r1cs, patchWitness(wtns, W.merkleRoot, tree.root))).toBe(
      false,
    );
    const flipped = await calculateWitness(
      inputFor(2, { ...merkle, merkleProofIndex: merkle.merkleProofIndex ^ 1 }),
      membership.wasm,
    );
    expect(witnessValues(flipped)[W.merkleRoot]).not.toBe(tree.root);
  });

  it('a non-member (its secret with a member path) does not reach the root', async () => {
    const outsider = identitySecretFromSeed(new Uint8Array(32).fill(99));
    const input = membershipCircuitInput({
      secret: outsider,
      merkle: merkleProofInputs(tree, commitments[0]!),
      scope,
      messageHash: message,
    });
    expect(witnessValues(await calculateWitness(input, membership.wasm))[W.merkleRoot]).not.toBe(tree.root);
  });

  it('a wrong root, nullifier or message in the public signals breaks the constraints', async () => {
    const wtns = await calculateWitness(inputFor(1), membership.wasm);
    for (const index of [W.merkleRoot, W.nullifier, W.message, W.scope]) {
      const value = witnessValues(wtns)[index]!;
      expect(await satisfiesConstraints(membership.r1cs, patchWitness(wtns, index, value + 1n))).toBe(false);
    }
  });

  it('refuses a path length above MAX_DEPTH (14) or a "negative" one (it would make the root 0)', async () => {
    const merkle = merkleProofInputs(tree, commitments[1]!);
    for (const length of [15n, 17n, 31n, SNARK_SCALAR_FIELD - 1n]) {
      const input = { ...inputFor(1, merkle), merkleProofLength: length.toString() };
      expect(await refused(input, membership.wasm)).toMatch(/Membership/);
    }
  });
});

describe('why not @zk-kit/circuits 0.4.0: unconstrained path selectors (circuits/test/unconstrained-merkle.circom)', () => {
  const p = SNARK_SCALAR_FIELD;
  const mod = (x: bigint) => ((x % p) + p) % p;
  const inv = (x: bigint) => {
    let [result, base, e] = [1n, mod(x), p - 2n];
    for (; e > 0n; e >>= 1n, base = (base * base) % p) if (e & 1n) result = (result * base) % p;
    return result;
  };

  it('lets a non-member reach the real root; membership.circom refuses the same selector', async () => {
    const four = createGroupTree(commitments.slice(0, 4));
    const [m0, m1] = [commitments[0]!, commitments[1]!];
    const level1Sibling = merkleProofInputs(four, m0).merkleProofSiblings[1]!; // Poseidon(m2, m3)
    const outsider = identitySecretFromSeed(new Uint8Array(32).fill(77));
    const leaf = identityCommitment(outsider);
    // MultiMux1 with selector s hashes (leaf + s(sib - leaf), sib + s(leaf - sib)): choose sib and s so
    // that this is the members' pair (m0, m1).
    const sib = mod(m0 + m1 - leaf);
    const s = mod((m0 - leaf) * inv(sib - leaf));
    const forged = {
      leaf: leaf.toString(),
      depth: '2',
      indices: [s, 0n, 0n, 0n].map(String),
      siblings: [sib, level1Sibling, 0n, 0n].map(String),
    };
    const wtns = await calculateWitness(forged, flawed.wasm);
    expect(witnessValues(wtns)[1]).toBe(four.root);
    expect(await satisfiesConstraints(flawed.r1cs, wtns)).toBe(true);

    // In membership.circom the index goes through Num2Bits: no bit can take the value s.
    const input = membershipCircuitInput({
      secret: outsider,
      merkle: {
        merkleProofLength: 2,
        merkleProofIndex: 0,
        merkleProofSiblings: [sib, level1Sibling, ...Array<bigint>(MAX_DEPTH - 2).fill(0n)],
      },
      scope,
      messageHash: message,
    });
    expect(await refused({ ...input, merkleProofIndex: s.toString() }, membership.wasm)).toMatch(
      /Num2Bits[\s\S]*BinaryMerkleRoot/,
    );
  });
});
