// The committed keys are the ones circuits/artifacts.json locks (fast: hashes only). The full check,
// recompiling and `snarkjs zkey verify`, is `node circuits/scripts/ceremony.mjs verify` (docs/zk.md §8).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const artifacts = JSON.parse(readFileSync(new URL('circuits/artifacts.json', root), 'utf8')) as {
  ceremony: { kind: string; warning?: string };
  files: Record<string, { sha256: string; bytes: number; committed: boolean }>;
  phase2: { contributions: unknown[]; beacon?: unknown };
};

describe('circuits/artifacts.json', () => {
  const committed = Object.entries(artifacts.files).filter(([, f]) => f.committed);

  it('locks the ptau, zkey and vkey', () => {
    expect(committed.map(([path]) => path).sort()).toEqual([
      'circuits/keys/membership.vkey.json',
      'circuits/keys/membership.zkey',
      'circuits/keys/pot13_final.ptau',
    ]);
  });

  it.each(committed)('%s matches its sha256', (path, locked) => {
    const bytes = readFileSync(new URL(path, root));
    expect(bytes.length).toBe(locked.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(locked.sha256);
  });

  it('says what kind of ceremony made the keys, with a warning for a development one', () => {
    expect(['development', 'multi-party']).toContain(artifacts.ceremony.kind);
    if (artifacts.ceremony.kind === 'development') expect(artifacts.ceremony.warning).toMatch(/DEVELOPMENT/);
    expect(artifacts.phase2.contributions.length).toBeGreaterThanOrEqual(2);
    expect(artifacts.phase2.beacon).toBeDefined();
  });
});
