// The zk worker (docs/protocol.md §8): proves and verifies membership off the main thread, one request
// at a time, each answered by its id; progress stages are posted while a proof runs.
import type { ZkReply, ZkRequest } from './prover';
import { proveMembership, verifyMembership } from './prove';

const post = (m: ZkReply) => self.postMessage(m);

self.addEventListener('message', (event: MessageEvent<ZkRequest>) => {
  const r = event.data;
  const work =
    r.op === 'prove'
      ? proveMembership(r.input, (stage) => post({ id: r.id, stage })).then((value) => ({ value }))
      : verifyMembership(r.proof, r.publicSignals, r.expected).then((value) => ({ value }));
  work.then(
    ({ value }) => post({ id: r.id, ok: true, value }),
    (e: unknown) =>
      post({
        id: r.id,
        ok: false,
        code: (e as { code?: string }).code ?? 'E_INTERNAL',
        message: e instanceof Error ? e.message : 'proof failed',
      }),
  );
});
