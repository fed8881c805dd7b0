// The one error sink at the UI edge: everything that goes wrong ends here, is redacted, and becomes a
// problem entry (and a toast unless quiet). App code never logs to the console.
import { redactText } from '../../../shared/util/redact';
import { problems } from './problems.svelte';
import { userText } from './user-text';

export interface HandleErrorOptions {
  /** Record it for diagnostics without interrupting the user (e.g. a malformed gateway message). */
  quiet?: boolean;
  /** Where it happened, shown in diagnostics: "local link", "pairing", … */
  context?: string;
}

function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'E_INTERNAL';
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'unknown error';
}

export function handleError(error: unknown, options: HandleErrorOptions = {}): void {
  const code = codeOf(error);
  const detail = redactText(`${options.context ? `${options.context}: ` : ''}${messageOf(error)}`).slice(
    0,
    500,
  );
  problems.add({ code, text: userText(code), detail, quiet: options.quiet ?? false });
}
