// A ZkProver (shared/protocol/api.ts) for Node tests: snarkjs with the compiled wasm and the committed
// development keys (docs/zk.md §8.1). Call `terminateProver()` in afterAll (snarkjs's worker threads
// keep Node alive otherwise).
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import type { ZkProver } from '../../shared/protocol/api.js';
import type { Groth16Proof } from '../../shared/zk/membership.js';
import { verifyMembershipProof } from '../../shared/zk/verify.js';
import { ensureCompiled } from '../scripts/compile.mjs';

const zkey = new URL('../keys/membership.zkey', import.meta.url).pathname;
export const membershipVkey: unknown = JSON.parse(
  readFileSync(new URL('../keys/membership.vkey.json', import.meta.url), 'utf8'),
);

export async function nodeProver(): Promise<ZkProver & { proofs: number }> {
  const { wasm } = await ensureCompiled('membership');
  const prover = {
    proofs: 0,
    async prove(input: Record<string, unknown>) {
      prover.proofs += 1;
      const r = await snarkjs.groth16.fullProve(input, wasm, zkey);
      return { proof: r.proof, publicSignals: r.publicSignals };
    },
    verify: (proof: Groth16Proof, publicSignals: string[], expected: Parameters<ZkProver['verify']>[2]) =>
      verifyMembershipProof(membershipVkey, proof, publicSignals, expected),
  };
  return prover;
}

export async function terminateProver(): Promise<void> {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
}
