export const EXIT: Readonly<{ pass: 0; advisories: 1; unavailable: 3 }>;
export const NPM_AUDIT_ARGS: readonly string[];
export function redact(text: string): string;
export function decideAudit(run: { status: number | null; stdout: string; stderr?: string; error?: Error }): {
  outcome: 'pass' | 'advisories' | 'unavailable';
  exitCode: 0 | 1 | 3;
  lines: string[];
};
