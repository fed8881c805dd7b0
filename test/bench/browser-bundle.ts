// Bundles benchmark code for a Chromium page with esbuild: either a page module on its own, or a page
// module plus PWA classes from web/ handed to its `install` (the Node tsconfig project of test/ must
// not import web/, so that entry is written here, not as a file).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type BundleInput =
  | { entry: string }
  /** `parts`: class name → repo path of the module exporting it; `page`: repo path of the page module. */
  | { page: string; parts: Record<string, string> };

export async function bundleForBrowser(input: BundleInput, format: 'iife' | 'esm' = 'iife'): Promise<string> {
  const at = (p: string) => JSON.stringify(join(REPO_ROOT, p));
  const source =
    'entry' in input
      ? { entryPoints: [join(REPO_ROOT, input.entry)] }
      : {
          stdin: {
            contents: [
              ...Object.entries(input.parts).map(([name, path]) => `import { ${name} } from ${at(path)};`),
              `import { install } from ${at(input.page)};`,
              `install({ ${Object.keys(input.parts).join(', ')} });`,
            ].join('\n'),
            resolveDir: REPO_ROOT,
            sourcefile: 'bench.entry.ts',
            loader: 'ts' as const,
          },
        };
  const out = await build({
    ...source,
    bundle: true,
    format,
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}
