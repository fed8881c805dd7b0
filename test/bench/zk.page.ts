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

export interface ZkFigures {
  /** The first proof in this page, ms. */
  cold: number;
  /** The following proofs, ms each. */
  warm: number[];
  /** Groth16 verification of each proof, ms. */
  verify: number[];
  /** Every proof verified. */
  ok: boolean;
}

export interface ZkRun {
  members: number;
  /** Semaphore only: the depth its artifacts were compiled for. */
  depth?: number;
  proofs: number;
  /** Where the artifacts are, relative to the page. */
  wasm: string;
  zkey: string;
  vkey: unknown;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

function fieldOf(i: number): bigint {
  return BigInt(i) * 7919n + 11n;
}

/** Chattor: Poseidon(secret) commitments in a LeanIMT, circuits/membership.circom. */
export async function ours(run: ZkRun): Promise<ZkFigures> {
  const secrets = Array.from({ length: run.members }, (_, i) =>
    identitySecretFromSeed(toBytes32(fieldOf(i))),
  );
  const tree = createGroupTree(secrets.map(identityCommitment));
  const me = secrets[Math.floor(run.members / 2)]!;
  const times: number[] = [];
  const verify: number[] = [];
  let ok = true;
  for (let i = 0; i < run.proofs; i++) {
    const scope = scopeHash(`bench/${i}`);
    const msg = messageHash(`message ${i}`);
    const [{ proof, publicSignals }, ms] = await timed(() =>
      snarkjs.groth16.fullProve(
        membershipInputFromTree({ secret: me, tree, scope, messageHash: msg }),
        run.wasm,
        run.zkey,
      ),
    );
    times.push(ms);
    const [valid, vms] = await timed(() =>
      verifyMembershipProof(run.vkey, proof, publicSignals, { root: tree.root, scope, messageHash: msg }),
    );
    verify.push(vms);
    ok &&= valid;
  }
  return { cold: times[0]!, warm: times.slice(1), verify, ok };
}

/** Semaphore's `hash`: keccak256 of the 32-byte big-endian value, shifted into the field. */
function semaphoreHash(v: bigint): string {
  return (BigInt(`0x${toHex(keccak_256(toBytes32(v)))}`) >> 8n).toString();
}

/** Semaphore v4: @semaphore-protocol/identity, group and proof (generateProof with local artifacts). */
export async function semaphore(run: ZkRun): Promise<ZkFigures> {
  const ids = Array.from({ length: run.members }, (_, i) => new Identity(`bench-member-${i}`));
  const group = new Group(ids.map((x) => x.commitment));
  const me = ids[Math.floor(run.members / 2)]!;
  const times: number[] = [];
  const verify: number[] = [];
  let ok = true;
  for (let i = 0; i < run.proofs; i++) {
    const message = BigInt(i + 1);
    const scope = BigInt(1000 + i);
    const [p, ms] = await timed(() =>
      generateProof(me, group, message, scope, run.depth ?? 16, { wasm: run.wasm, zkey: run.zkey }),
    );
    times.push(ms);
    const signals = [p.merkleTreeRoot, p.nullifier, semaphoreHash(message), semaphoreHash(scope)];
    const [valid, vms] = await timed(() =>
      snarkjs.groth16.verify(run.vkey as object, signals, unpackGroth16Proof(p.points)),
    );
    verify.push(vms);
    ok &&= valid;
  }
  return { cold: times[0]!, warm: times.slice(1), verify, ok };
}

(globalThis as { chattorZkBench?: unknown }).chattorZkBench = { ours, semaphore };
