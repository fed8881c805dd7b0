import type { Metafile } from 'esbuild';
export function findViolations(
  metafile: Metafile,
  entries?: string[],
): { entry: string; file: string; chain: string[] }[];
