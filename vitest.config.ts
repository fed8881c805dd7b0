// Test tiers by file name (docs/architecture.md §Tests): *.spec.ts unit, *.tor.spec.ts private Tor
// network, *.slow.spec.ts long fuzz/property runs. Playwright runs *.e2e.ts separately.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const lib = fileURLToPath(new URL('./web/lib', import.meta.url));

export default defineConfig({
  resolve: { alias: { $lib: lib } },
  test: {
    projects: [
      {
        resolve: { alias: { $lib: lib } },
        test: {
          name: 'unit',
          include: ['{shared,gateway,web,circuits,scripts,headless}/**/*.spec.ts', 'test/unit/**/*.spec.ts'],
          exclude: ['**/*.tor.spec.ts', '**/*.slow.spec.ts', '**/node_modules/**'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'tor',
          include: ['test/tor/**/*.tor.spec.ts'],
          globalSetup: ['test/tor/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        resolve: { alias: { $lib: lib } },
        test: {
          name: 'slow',
          include: ['**/*.slow.spec.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 600_000,
        },
      },
    ],
  },
});
