// ZkProver (shared/protocol/api.ts) for the PWA: a module Web Worker that loads the artifacts once and
// runs snarkjs (prove.ts), so a ~1 s proof never blocks the page. Started on first use.
import type { Groth16ProofJson, ProveStage, ZkProver } from '../../../shared/protocol/api';
import { ChattorError, type ErrorCode } from '../../../shared/util/errors';

export type ZkRequest =
  | { id: number; op: 'prove'; input: Record<string, unknown> }
  | {
      id: number;
      op: 'verify';
      proof: Groth16ProofJson;
      publicSignals: string[];
      expected: { root: bigint; scope: bigint; messageHash: bigint };
    };

export type ZkReply =
  | { id: number; stage: ProveStage }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: string; message: string };

interface Waiting {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onProgress?: (stage: ProveStage) => void;
}

export class WorkerProver implements ZkProver {
  #worker: Worker | null = null;
  #next = 1;
  readonly #waiting = new Map<number, Waiting>();

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('./zk.worker.ts', import.meta.url), { type: 'module', name: 'chattor-zk' });
    w.addEventListener('message', (e: MessageEvent<ZkReply>) => this.#reply(e.data));
    w.addEventListener('error', () => this.#fail(new ChattorError('E_INTERNAL', 'the zk worker failed')));
    this.#worker = w;
    return w;
  }

  #reply(r: ZkReply): void {
    const w = this.#waiting.get(r.id);
    if (!w) return;
    if ('stage' in r) return w.onProgress?.(r.stage);
    this.#waiting.delete(r.id);
    if (r.ok) w.resolve(r.value);
    else w.reject(new ChattorError(r.code as ErrorCode, r.message));
  }

  #fail(e: unknown): void {
    for (const w of this.#waiting.values()) w.reject(e);
    this.#waiting.clear();
    this.#worker?.terminate();
    this.#worker = null;
  }

  #call<T>(
    req: ZkRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never,
    onProgress?: (stage: ProveStage) => void,
  ): Promise<T> {
    const id = this.#next++;
    const worker = this.#start();
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        ...(onProgress ? { onProgress } : {}),
      });
      worker.postMessage({ ...req, id });
    });
  }

  prove(
    input: Record<string, unknown>,
    onProgress?: (stage: ProveStage) => void,
  ): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }> {
    return this.#call({ op: 'prove', input }, onProgress);
  }

  verify(
    proof: Groth16ProofJson,
    publicSignals: string[],
    expected: { root: bigint; scope: bigint; messageHash: bigint },
  ): Promise<boolean> {
    // A bad proof gives false (verifyMembershipProof never throws); only a worker that cannot run rejects.
    return this.#call<boolean>({ op: 'verify', proof, publicSignals, expected });
  }

  dispose(): void {
    this.#fail(new ChattorError('E_STATE', 'the zk worker was stopped'));
  }
}
