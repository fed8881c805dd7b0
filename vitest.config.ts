// Test tiers by file name (docs/architecture.md §Tests): *.spec.ts unit, *.tor.spec.ts private Tor
// network, *.slow.spec.ts long fuzz/property runs. Playwright runs *.e2e.ts separately.
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/support/chromium';

const lib = fileURLToPath(new URL('./web/lib', import.meta.url));

// STYLE.md #9: the same crypto, wire and protocol specs run in Node (unit) and in Chromium (browser).
const runtimeNeutral = [
  'shared/crypto/**/*.spec.ts',
  'shared/wire/**/*.spec.ts',
  'shared/mailbox/**/*.spec.ts',
  'shared/protocol/**/*.spec.ts',
  'shared/zk/**/*.spec.ts',
];

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
      {
        // Debian's Chromium (never `playwright install`), one headless instance, files one after another:
        // a 2-core CI machine runs the vite server, the browser and the tests at once.
        test: {
          name: 'browser',
          include: runtimeNeutral,
          exclude: ['**/*.tor.spec.ts', '**/*.slow.spec.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // Lets primitives.spec.ts check it really runs in Chromium, where ML-KEM is WebCrypto's.
          provide: { runtime: 'chromium' },
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
            api: { host: '127.0.0.1', strictPort: false },
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
