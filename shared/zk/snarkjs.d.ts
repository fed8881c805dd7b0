// The part of snarkjs 0.7.6 that Chattor uses (the package ships no types). Ambient, so Node scripts,
// specs and the web app share one declaration.
declare module 'snarkjs' {
  type Signals = Record<string, unknown>;
  type Logger = Partial<Record<'debug' | 'info' | 'warn' | 'error', (msg: string) => void>>;
  // Structurally the same as Groth16Proof in membership.ts (an ambient module cannot import it).
  interface Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  interface ZkFile {
    type: 'mem';
    data?: Uint8Array;
  }
  export const groth16: {
    fullProve(
      input: Signals,
      wasm: string | Uint8Array | ZkFile,
      zkey: string | Uint8Array | ZkFile,
      logger?: Logger,
    ): Promise<{ proof: Proof; publicSignals: string[] }>;
    prove(
      zkey: string | Uint8Array | ZkFile,
      witness: string | Uint8Array | ZkFile,
      logger?: Logger,
    ): Promise<{ proof: Proof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: unknown, proof: unknown, logger?: Logger): Promise<boolean>;
  };
  export const wtns: {
    calculate(
      input: Signals,
      wasm: string | Uint8Array | ZkFile,
      wtns: string | ZkFile,
      options?: unknown,
    ): Promise<void>;
    exportJson(wtns: string | ZkFile): Promise<bigint[]>;
    check(r1cs: string, wtns: string, logger?: Logger): Promise<boolean>;
  };
  export const zKey: {
    exportVerificationKey(zkey: string | Uint8Array | ZkFile, logger?: Logger): Promise<VerificationKey>;
    /** Groth16 phase-2 start from an r1cs and a prepared powers of tau (scripts and benchmarks only). */
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
  };
  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    IC: string[][];
    [key: string]: unknown;
  }
}
