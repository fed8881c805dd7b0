// The trust-boundary build check must catch a decrypting module pulled into the gateway, and name the
// import chain that brought it in.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findViolations } from './check-boundaries.mjs';

describe('boundary check', () => {
  it('finds shared/crypto reached through an innocent-looking module, with the chain', async () => {
    const dir = mkdtempSync(join('gateway', '.boundary-test-'));
    try {
      writeFileSync(join(dir, 'helper.ts'), "export { sha256 } from '../../shared/crypto/primitives.js';\n");
      writeFileSync(
        join(dir, 'entry.ts'),
        "import { sha256 } from './helper.js';\nexport const x = sha256;\n",
      );
      const entry = relative('.', join(dir, 'entry.ts'));
      const r = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        logLevel: 'silent',
      });
      const v = findViolations(r.metafile, [entry]);
      expect(v).toHaveLength(1);
      expect(v[0]!.file).toBe('shared/crypto/primitives.ts');
      expect(v[0]!.chain).toEqual([
        entry,
        relative('.', join(dir, 'helper.ts')),
        'shared/crypto/primitives.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes the real gateway bundle', async () => {
    const r = await build({
      entryPoints: ['gateway/main.ts', 'gateway/cli.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: 'dist-test',
      logLevel: 'silent',
    });
    expect(findViolations(r.metafile, ['gateway/main.ts', 'gateway/cli.ts'])).toEqual([]);
  });
});
