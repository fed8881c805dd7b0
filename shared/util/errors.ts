// Typed errors shared by every part of Chattor (docs/architecture.md §Errors).
// Codes are stable strings; user-facing text is chosen from the code in one place in web/.

export type ErrorCode =
  | 'E_BAD_INPUT'
  | 'E_FRAME_TOO_LARGE'
  | 'E_FRAME_MALFORMED'
  | 'E_FRAME_VERSION'
  | 'E_RATE_LIMITED'
  | 'E_NO_CLIENT'
  | 'E_UNKNOWN_LINK'
  | 'E_DIAL_FAILED'
  | 'E_DIAL_TIMEOUT'
  | 'E_TOR_CONTROL'
  | 'E_TOR_PROCESS'
  | 'E_TOR_UNAVAILABLE'
  | 'E_UNAUTHORIZED'
  | 'E_FORBIDDEN'
  | 'E_DECRYPT'
  | 'E_SIGNATURE'
  | 'E_REPLAY'
  | 'E_STATE'
  | 'E_LOCKED'
  | 'E_WRONG_PASSWORD'
  | 'E_UNSUPPORTED'
  | 'E_MAILBOX'
  | 'E_LEASE_HELD'
  | 'E_LEASE_LOST'
  | 'E_TOO_LARGE'
  | 'E_ZK_ROOT'
  | 'E_ZK_PROOF'
  | 'E_ZK_NULLIFIER'
  | 'E_INTERNAL';

export class ChattorError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChattorError';
    this.code = code;
  }
}

export function isChattorError(e: unknown, code?: ErrorCode): e is ChattorError {
  return e instanceof ChattorError && (code === undefined || e.code === code);
}

/** Put at the end of every switch over a closed set of kinds: the compiler proves it unreachable. */
export function missingCaseError(x: never): Error {
  return new ChattorError('E_INTERNAL', `unhandled case: ${String(x)}`);
}
