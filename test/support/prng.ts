// A seeded PRNG for tests that pick random inputs or random moments (fuzzing, fault injection): a
// failing run names its seed, and the same seed replays the same choices.

/** xorshift32: returns the next 32-bit unsigned integer of the sequence started by `seed`. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A seed from the environment variable `name` (to replay a run), or a fresh one. */
export function seedFrom(name: string): number {
  const v = process.env[name];
  if (v !== undefined && /^[0-9]+$/.test(v)) return Number(v) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}
