// Redial backoff, docs/protocol.md §1.5: 1 s doubling to 60 s with ±20 % jitter.
export function backoffDelay(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number; random?: () => number } = {},
) {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 60_000;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt));
  const jitter = 1 + ((opts.random ?? Math.random)() * 0.4 - 0.2);
  return Math.round(raw * jitter);
}
