// Membership proofs in the browser (docs/zk.md §5–6): the one function that proves, used by the zk
// worker and callable as is by a benchmark page (bundle this file; it needs fetch, caches and the
// gateway's /zk/ paths). snarkjs is imported here only, so it stays out of the app's main bundle.
import { groth16 } from 'snarkjs';
import vkey from '../../../circuits/keys/membership.vkey.json';
import type { Groth16ProofJson, ProveStage } from '../../../shared/protocol/api';
import { verifyMembershipProof, type MembershipExpectation } from '../../../shared/zk/verify';
import { loadArtifact, ZK_ARTIFACTS } from './artifacts';

let loaded: Promise<{ wasm: Uint8Array; zkey: Uint8Array }> | null = null;

/** Fetches (or reads from the cache) and checks both artifacts, once per worker. */
export function loadMembershipArtifacts(): Promise<{ wasm: Uint8Array; zkey: Uint8Array }> {
  loaded ??= Promise.all([loadArtifact(ZK_ARTIFACTS.wasm), loadArtifact(ZK_ARTIFACTS.zkey)])
    .then(([wasm, zkey]) => ({ wasm, zkey }))
    .catch((e: unknown) => {
      loaded = null;
      throw e;
    });
  return loaded;
}

/**
 * One Groth16 proof for a membershipCircuitInput (shared/zk/membership.ts). `artifacts`: bytes already
 * at hand (a benchmark page); default: the gateway's, fetched once, cached and hash-checked.
 */
export async function proveMembership(
  input: Record<string, unknown>,
  onProgress?: (stage: ProveStage) => void,
  artifacts?: { wasm: Uint8Array; zkey: Uint8Array },
): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }> {
  onProgress?.('loading');
  const { wasm, zkey } = artifacts ?? (await loadMembershipArtifacts());
  onProgress?.('proving');
  return groth16.fullProve(input, wasm, zkey);
}

export function verifyMembership(
  proof: Groth16ProofJson,
  publicSignals: string[],
  expected: MembershipExpectation,
): Promise<boolean> {
  return verifyMembershipProof(vkey, proof, publicSignals, expected);
}
