// docs/zk.md §2–6 without snarkjs: fast and runtime-neutral (no node: imports), so it can run in
// Chromium too. Proofs and witnesses are tested in circuits/*.spec.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChattorError } from '../util/errors.js';
import {
  DOMAIN,
  MAX_DEPTH,
  MEMBERSHIP_PROOF_BYTES,
  SNARK_SCALAR_FIELD,
  binaryMerkleRoot,
  consumeNullifier,
  createGroupTree,
  decodeMembershipProof,
  encodeMembershipProof,
  expectedPublicSignals,
  hashToField,
  identityCommitment,
  identitySecretFromSeed,
  memoryNullifierStore,
  merkleProofInputs,
  messageHash,
  nullifierOf,
  parsePublicSignals,
  publicSignalsToStrings,
  scopeHash,
  type Groth16Proof,
  type MembershipPublicSignals,
} from './index.js';

const seed = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i + n) & 0xff);
const secrets = Array.from({ length: 9 }, (_, i) => identitySecretFromSeed(seed(i)));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isChattorError(e) ? e.code : 'not a ChattorError';
  }
  return undefined;
}

describe('hashing to the field', () => {
  it('matches independent vectors (Python hashlib: sha256(tag || data) >> 8)', () => {
    expect(scopeHash('room:42')).toBe(
      58715500834702881340631399412418150654719980093535574168589328785316164138n,
    );
    expect(messageHash('hello')).toBe(
      180535336820977522187610078194293634697273186546797527024506129613850992289n,
    );
    expect(identitySecretFromSeed(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(
      215674608531829255401352889749633170217994975807134259675245020605981041785n,
    );
  });

  it('separates domains and stays below 2^248', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const s = hashToField('scope', data);
        const m = hashToField('message', data);
        expect(s).not.toBe(m);
        expect(s < 2n ** 248n && m < 2n ** 248n).toBe(true);
      }),
      { numRuns: 50 },
    );
    for (const tag of Object.values(DOMAIN)) expect(tag.endsWith('\0')).toBe(true);
  });
});

describe('identity', () => {
  it('uses circomlib Poseidon (its published vectors)', () => {
    expect(identityCommitment(1n)).toBe(
      18586133768512220936620570745912940619677854269274689475585506675881198879027n,
    );
    expect(nullifierOf(1n, 2n)).toBe(
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
  });

  it('rejects a zero or out-of-field secret and a short seed', () => {
    expect(code(() => identityCommitment(0n))).toBe('E_BAD_INPUT');
    expect(code(() => identityCommitment(SNARK_SCALAR_FIELD))).toBe('E_BAD_INPUT');
    expect(code(() => nullifierOf(-1n, 5n))).toBe('E_BAD_INPUT');
    expect(code(() => identitySecretFromSeed(new Uint8Array(31)))).toBe('E_BAD_INPUT');
  });

  it('gives one nullifier per scope', () => {
    const [a, b] = [secrets[0]!, secrets[1]!];
    expect(nullifierOf(scopeHash('x'), a)).toBe(nullifierOf(scopeHash('x'), a));
    expect(nullifierOf(scopeHash('x'), a)).not.toBe(nullifierOf(scopeHash('y'), a));
    expect(nullifierOf(scopeHash('x'), a)).not.toBe(nullifierOf(scopeHash('x'), b));
  });
});

describe('group tree', () => {
  it('the circuit mirror reaches the LeanIMT root for every member of every small group', () => {
    for (let size = 1; size <= secrets.length; size++) {
      const commitments = secrets.slice(0, size).map(identityCommitment);
      const tree = createGroupTree(commitments);
      for (const c of commitments) {
        const inputs = merkleProofInputs(tree, c);
        expect(inputs.merkleProofSiblings).toHaveLength(MAX_DEPTH);
        expect(inputs.merkleProofLength).toBeLessThanOrEqual(tree.depth);
        expect(binaryMerkleRoot(c, inputs)).toBe(tree.root);
      }
    }
  });

  it('a one-member group has the member as its root (path length 0)', () => {
    const c = identityCommitment(secrets[0]!);
    const tree = createGroupTree([c]);
    expect(tree.root).toBe(c);
    expect(merkleProofInputs(tree, c).merkleProofLength).toBe(0);
  });

  it('rejects non-members, zero and duplicate leaves, and paths the circuit cannot take', () => {
    const commitments = secrets.slice(0, 3).map(identityCommitment);
    const tree = createGroupTree(commitments);
    expect(code(() => merkleProofInputs(tree, identityCommitment(secrets[5]!)))).toBe('E_BAD_INPUT');
    expect(code(() => createGroupTree([1n, 0n]))).toBe('E_BAD_INPUT');
    expect(code(() => createGroupTree([1n, 1n]))).toBe('E_BAD_INPUT');
    const inputs = merkleProofInputs(tree, commitments[0]!);
    expect(code(() => binaryMerkleRoot(commitments[0]!, { ...inputs, merkleProofLength: 17 }))).toBe(
      'E_BAD_INPUT',
    );
    expect(
      code(() => binaryMerkleRoot(commitments[0]!, { ...inputs, merkleProofIndex: 2 ** MAX_DEPTH })),
    ).toBe('E_BAD_INPUT');
  });

  it('a changed sibling or index changes the root', () => {
    const commitments = secrets.slice(0, 5).map(identityCommitment);
    const tree = createGroupTree(commitments);
    const inputs = merkleProofInputs(tree, commitments[2]!);
    const siblings = [...inputs.merkleProofSiblings];
    siblings[0] = siblings[0]! + 1n;
    expect(binaryMerkleRoot(commitments[2]!, { ...inputs, merkleProofSiblings: siblings })).not.toBe(
      tree.root,
    );
    expect(
      binaryMerkleRoot(commitments[2]!, { ...inputs, merkleProofIndex: inputs.merkleProofIndex ^ 1 }),
    ).not.toBe(tree.root);
  });
});

describe('public signals and the binary proof encoding', () => {
  const field = fc.bigInt({ min: 0n, max: SNARK_SCALAR_FIELD - 1n });
  const baseField = fc.bigInt({ min: 0n, max: 2n ** 253n });
  const signalsArb = fc.record({ merkleRoot: field, nullifier: field, scope: field, messageHash: field });
  const proofArb = fc.array(baseField, { minLength: 8, maxLength: 8 }).map((c): Groth16Proof => ({
    pi_a: [`${c[0]}`, `${c[1]}`, '1'],
    pi_b: [
      [`${c[2]}`, `${c[3]}`],
      [`${c[4]}`, `${c[5]}`],
      ['1', '0'],
    ],
    pi_c: [`${c[6]}`, `${c[7]}`, '1'],
    protocol: 'groth16',
    curve: 'bn128',
  }));

  it('decode(encode(x)) = x, in 385 bytes', () => {
    fc.assert(
      fc.property(proofArb, signalsArb, (proof, signals: MembershipPublicSignals) => {
        const bytes = encodeMembershipProof(proof, signals);
        expect(bytes.length).toBe(MEMBERSHIP_PROOF_BYTES);
        expect(decodeMembershipProof(bytes)).toEqual({ proof, publicSignals: signals });
        expect(parsePublicSignals(publicSignalsToStrings(signals))).toEqual(signals);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects another version, another length and out-of-range values', () => {
    const signals = { merkleRoot: 1n, nullifier: 2n, scope: 3n, messageHash: 4n };
    const bytes = encodeMembershipProof(fc.sample(proofArb, 1)[0]!, signals);
    expect(code(() => decodeMembershipProof(bytes.subarray(1)))).toBe('E_BAD_INPUT');
    expect(code(() => decodeMembershipProof(Uint8Array.of(...bytes, 0)))).toBe('E_BAD_INPUT');
    expect(code(() => decodeMembershipProof(Uint8Array.of(2, ...bytes.subarray(1))))).toBe('E_UNSUPPORTED');
    const big = bytes.slice();
    big.fill(0xff, 1, 33); // pi_a.x >= q
    expect(code(() => decodeMembershipProof(big))).toBe('E_BAD_INPUT');
    const bigSignal = bytes.slice();
    bigSignal.fill(0xff, MEMBERSHIP_PROOF_BYTES - 32); // message >= r
    expect(code(() => decodeMembershipProof(bigSignal))).toBe('E_BAD_INPUT');
  });

  it('accepts only canonical decimal public signals, exactly four', () => {
    const ok = ['1', '2', '3', '4'];
    expect(parsePublicSignals(ok).messageHash).toBe(4n);
    for (const bad of [
      ['1', '2', '3'],
      ['1', '2', '3', '4', '5'],
      ['01', '2', '3', '4'],
      ['-1', '2', '3', '4'],
      ['1', '2', '3', `${SNARK_SCALAR_FIELD}`],
      ['1', '2', '3', 4],
      ['0x1', '2', '3', '4'],
    ])
      expect(code(() => parsePublicSignals(bad))).toBe('E_BAD_INPUT');
  });

  it('expectedPublicSignals is what a member would prove', () => {
    const commitments = secrets.slice(0, 4).map(identityCommitment);
    const tree = createGroupTree(commitments);
    const merkle = merkleProofInputs(tree, commitments[1]!);
    const s = expectedPublicSignals({ secret: secrets[1]!, merkle, scope: 7n, messageHash: 9n });
    expect(s).toEqual({
      merkleRoot: tree.root,
      nullifier: nullifierOf(7n, secrets[1]!),
      scope: 7n,
      messageHash: 9n,
    });
  });
});

describe('nullifiers', () => {
  it('a (scope, nullifier) is accepted once', async () => {
    const store = memoryNullifierStore();
    expect(await consumeNullifier(store, 1n, 2n)).toBe(true);
    expect(await consumeNullifier(store, 1n, 2n)).toBe(false);
    expect(await consumeNullifier(store, 3n, 2n)).toBe(true);
    expect(store.size).toBe(2);
  });
});
