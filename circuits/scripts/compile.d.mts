// Types for compile.mjs, so specs in TypeScript can import it.
export const ROOT: string;
export const CIRCUITS: string;
export const BUILD: string;
export interface BuildPaths {
  source: string;
  r1cs: string;
  sym: string;
  wasm: string;
}
export function buildPaths(source?: string): BuildPaths;
export function sha256File(path: string): Promise<string>;
export function compile(
  source?: string,
  options?: { quiet?: boolean },
): Promise<BuildPaths & { constraints: number; output: string }>;
export function ensureCompiled(source?: string): Promise<BuildPaths>;
