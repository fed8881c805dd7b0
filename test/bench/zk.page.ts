// The in-page half of zk.ts (issue: anonymous handles, Benchmarks): Chattor's membership proof and the
// Semaphore v4 packages' proof, each for one member of the same group size, with artifacts fetched from
// the page's origin (served by zk.ts from disk). One library per page, so each "cold" figure is a fresh
// page's first proof: fetching the artifacts, compiling the witness wasm, starting snarkjs's workers.
import { Group } from '@semaphore-protocol/group';
import { Identity } from '@semaphore-protocol/identity';
import { generateProof, unpackGroth16Proof } from '@semaphore-protocol/proof';
import { keccak_256 } from '@noble/hashes/sha3.js';
import * as snarkjs from 'snarkjs';
import {
  createGroupTree,
  identityCommitment,
  identitySecretFromSeed,
  membershipInputFromTree,
  messageHash,
  scopeHash,
  toBytes32,
} from '../../shared/zk/index.js';
import { verifyMembershipProof } from '../../shared/zk/verify.js';
import { toHex } from '../../shared/util/bytes.js';

export interface ZkRun {
  members: number;
  /** Semaphore only: the depth its artifacts were compiled for. */
  depth?: number;
  /** Where the artifacts are (paths in Node, URLs relative to the page in Chromium). */
  wasm: string;
  zkey: string;
  vkey: unknown;
}

/** One proof and its verification, ms. */
export interface ZkSample {
  prove: number;
  verify: number;
  ok: boolean;
}

export type ProverKind = 'ours' | 'semaphore';

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

function fieldOf(i: number): bigint {
  return BigInt(i) * 7919n + 11n;
}

/** Semaphore's `hash`: keccak256 of the 32-byte big-endian value, shifted into the field. */
function semaphoreHash(v: bigint): string {
  return (BigInt(`0x${toHex(keccak_256(toBytes32(v)))}`) >> 8n).toString();
}

/**
 * A prover for one member of a group of `run.members`: Chattor's (Poseidon(secret) commitments in a
 * LeanIMT, circuits/membership.circom) or Semaphore v4's (@semaphore-protocol/identity, group, and
 * generateProof with local artifacts). Its first proof is the cold one.
 */
export function makeProver(kind: ProverKind, run: ZkRun): (i: number) => Promise<ZkSample> {
  if (kind === 'ours') {
    const secrets = Array.from({ length: run.members }, (_, i) =>
      identitySecretFromSeed(toBytes32(fieldOf(i))),
    );
    const tree = createGroupTree(secrets.map(identityCommitment));
    const me = secrets[Math.floor(run.members / 2)]!;
    return async (i) => {
      const scope = scopeHash(`bench/${i}`);
      const msg = messageHash(`message ${i}`);
      const [{ proof, publicSignals }, prove] = await timed(() =>
        snarkjs.groth16.fullProve(
          membershipInputFromTree({ secret: me, tree, scope, messageHash: msg }),
          run.wasm,
          run.zkey,
        ),
      );
      const [ok, verify] = await timed(() =>
        verifyMembershipProof(run.vkey, proof, publicSignals, { root: tree.root, scope, messageHash: msg }),
      );
      return { prove, verify, ok };
    };
  }
  const ids = Array.from({ length: run.members }, (_, i) => new Identity(`bench-member-${i}`));
  const group = new Group(ids.map((x) => x.commitment));
  const me = ids[Math.floor(run.members / 2)]!;
  return async (i) => {
    const message = BigInt(i + 1);
    const scope = BigInt(1000 + i);
    const [p, prove] = await timed(() =>
      generateProof(me, group, message, scope, run.depth ?? 16, { wasm: run.wasm, zkey: run.zkey }),
    );
    const signals = [p.merkleTreeRoot, p.nullifier, semaphoreHash(message), semaphoreHash(scope)];
    const [ok, verify] = await timed(() =>
      snarkjs.groth16.verify(run.vkey as object, signals, unpackGroth16Proof(p.points)),
    );
    return { prove, verify, ok };
  };
}

/** In a page: one prover, made by `prepare`, driven proof by proof from Node. */
let prover: ((i: number) => Promise<ZkSample>) | undefined;
(globalThis as { chattorZkBench?: unknown }).chattorZkBench = {
  prepare(kind: ProverKind, run: ZkRun): void {
    prover = makeProver(kind, run);
  },
  prove(i: number): Promise<ZkSample> {
    if (!prover) throw new Error('prepare first');
    return prover(i);
  },
};
