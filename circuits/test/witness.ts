// Witness helpers for circuit specs: snarkjs's witness calculator on the compiled wasm, the witness
// read back as field elements, and a constraint check against the r1cs (snarkjs wtns check).
import * as snarkjs from 'snarkjs';

interface MemFile {
  type: 'mem';
  data?: Uint8Array;
}

/** Runs the circuit's witness calculator; throws when an input breaks an assertion (e.g. Num2Bits). */
export async function calculateWitness(input: Record<string, unknown>, wasm: string): Promise<Uint8Array> {
  const out: MemFile = { type: 'mem' };
  await snarkjs.wtns.calculate(input, wasm, out);
  if (!out.data) throw new Error('snarkjs wrote no witness');
  return out.data;
}

/** Witness values: [1, ...outputs, ...public inputs, ...private inputs, ...internal signals]. */
export function witnessValues(wtns: Uint8Array): bigint[] {
  const { n8, offset, count } = witnessSection(wtns);
  return Array.from({ length: count }, (_, i) => readLE(wtns, offset + i * n8, n8));
}

/** A copy of the witness with signal `index` replaced: a prover who ignores the witness calculator. */
export function patchWitness(wtns: Uint8Array, index: number, value: bigint): Uint8Array {
  const { n8, offset } = witnessSection(wtns);
  const out = wtns.slice();
  let v = value;
  for (let i = 0; i < n8; i++, v >>= 8n) out[offset + index * n8 + i] = Number(v & 0xffn);
  return out;
}

/** Whether the witness satisfies every constraint of the r1cs (what a Groth16 proof attests). */
export async function satisfiesConstraints(r1cs: string, wtns: Uint8Array): Promise<boolean> {
  // snarkjs 0.7.6 dereferences the logger when a constraint fails: pass a silent one.
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  return snarkjs.wtns.check(r1cs, { type: 'mem', data: wtns } as unknown as string, silent);
}

// wtns format: "wtns" u32 version u32 nSections, then sections (u32 type, u64 size, data);
// section 1 = u32 n8, prime (n8 bytes), u32 count; section 2 = count little-endian values of n8 bytes.
function witnessSection(wtns: Uint8Array): { n8: number; offset: number; count: number } {
  const view = new DataView(wtns.buffer, wtns.byteOffset, wtns.byteLength);
  let pos = 12;
  let n8 = 0;
  let count = 0;
  while (pos < wtns.length) {
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    const data = pos + 12;
    if (type === 1) {
      n8 = view.getUint32(data, true);
      count = view.getUint32(data + 4 + n8, true);
    } else if (type === 2) return { n8, offset: data, count };
    pos = data + size;
  }
  throw new Error('no witness section');
}

function readLE(bytes: Uint8Array, offset: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}
