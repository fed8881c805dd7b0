// Groth16 proofs in Node with the committed keys (docs/zk.md §6): a round trip, and every way a
// verifier must say no. About 1 s per proof on the 2-core CI machine.
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consumeNullifier,
  createGroupTree,
  decodeMembershipProof,
  encodeMembershipProof,
  identityCommitment,
  identitySecretFromSeed,
  membershipInputFromTree,
  memoryNullifierStore,
  messageHash,
  parsePublicSignals,
  scopeHash,
  type Groth16Proof,
} from '../shared/zk/index.js';
import { verifyMembershipProof } from '../shared/zk/verify.js';
import { ensureCompiled } from './scripts/compile.mjs';

const zkey = new URL('./keys/membership.zkey', import.meta.url).pathname;
const vkey: unknown = JSON.parse(
  readFileSync(new URL('./keys/membership.vkey.json', import.meta.url), 'utf8'),
);

const secrets = Array.from({ length: 5 }, (_, i) =>
  identitySecretFromSeed(new Uint8Array(32).fill(0x40 + i)),
);
const tree = createGroupTree(secrets.map(identityCommitment));
const scope = scopeHash('friends-of:alice/poll-7');
const msg = messageHash('yes');
const expected = { root: tree.root, scope, messageHash: msg };

let proof: Groth16Proof;
let publicSignals: string[];

beforeAll(async () => {
  const { wasm } = await ensureCompiled('membership');
  ({ proof, publicSignals } = await snarkjs.groth16.fullProve(
    membershipInputFromTree({ secret: secrets[3]!, tree, scope, messageHash: msg }),
    wasm,
    zkey,
  ));
}, 60_000);

afterAll(async () => {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

const replace = (signals: string[], index: number, value: bigint) =>
  signals.map((s, i) => (i === index ? value.toString() : s));

describe('membership proof (Groth16, committed development keys)', () => {
  it('verifies, also after the 385-byte encoding', async () => {
    expect(await verifyMembershipProof(vkey, proof, publicSignals, expected)).toBe(true);
    const decoded = decodeMembershipProof(encodeMembershipProof(proof, parsePublicSignals(publicSignals)));
    expect(await verifyMembershipProof(vkey, decoded.proof, publicSignals, expected)).toBe(true);
  });

  it('is refused for another message, scope or root (unknown or stale group)', async () => {
    expect(
      await verifyMembershipProof(vkey, proof, publicSignals, {
        ...expected,
        messageHash: messageHash('no'),
      }),
    ).toBe(false);
    expect(
      await verifyMembershipProof(vkey, proof, publicSignals, { ...expected, scope: scopeHash('other') }),
    ).toBe(false);
    const bigger = createGroupTree([...secrets.map(identityCommitment), 12345n]);
    expect(await verifyMembershipProof(vkey, proof, publicSignals, { ...expected, root: bigger.root })).toBe(
      false,
    );
    expect(
      await verifyMembershipProof(vkey, proof, replace(publicSignals, 0, 0n), { ...expected, root: 0n }),
    ).toBe(false);
  });

  it('a tampered public signal fails the pairing check, even when the verifier expects it', async () => {
    // Anti-malleability: message is bound (squared in the circuit), so its vkey point is not the identity.
    const tamperedMsg = messageHash('no');
    expect(
      await verifyMembershipProof(vkey, proof, replace(publicSignals, 3, tamperedMsg), {
        ...expected,
        messageHash: tamperedMsg,
      }),
    ).toBe(false);
    expect(await snarkjs.groth16.verify(vkey, replace(publicSignals, 1, 42n), proof)).toBe(false);
    const ic = (vkey as { IC: string[][] }).IC;
    for (const point of ic.slice(1)) expect(point).not.toEqual(['0', '1', '0']);
  });

  it('rejects malformed input without throwing', async () => {
    expect(await verifyMembershipProof(vkey, proof, publicSignals.slice(0, 3), expected)).toBe(false);
    expect(await verifyMembershipProof(vkey, proof, [...publicSignals, '0'], expected)).toBe(false);
    expect(
      await verifyMembershipProof({ ...(vkey as object), nPublic: 3 }, proof, publicSignals, expected),
    ).toBe(false);
    expect(await verifyMembershipProof(null, proof, publicSignals, expected)).toBe(false);
    const badPoint = { ...proof, pi_a: ['1', '3', '1'] };
    expect(await verifyMembershipProof(vkey, badPoint, publicSignals, expected)).toBe(false);
    expect(await verifyMembershipProof(vkey, { ...proof, pi_b: [] }, publicSignals, expected)).toBe(false);
  });

  it('a non-member cannot build a witness from the group', () => {
    const outsider = identitySecretFromSeed(new Uint8Array(32).fill(0x7f));
    expect(() => membershipInputFromTree({ secret: outsider, tree, scope, messageHash: msg })).toThrow(
      /not a member/,
    );
  });

  it('the nullifier helper accepts one proof per scope', async () => {
    const { nullifier } = parsePublicSignals(publicSignals);
    const store = memoryNullifierStore();
    expect(await consumeNullifier(store, scope, nullifier)).toBe(true);
    expect(await consumeNullifier(store, scope, nullifier)).toBe(false);
  });
});
