// Errors the web app raises itself (form checks, missing capabilities). Their codes sit beside the
// shared ErrorCode ones in user-text.ts, so handleError and inline form messages read them the same way.
export type AppErrorCode =
  | 'E_LINK_INVALID'
  | 'E_LINK_FORGED'
  | 'E_LINK_EXPIRED'
  | 'E_LINK_OWN'
  | 'E_LINK_KNOWN'
  | 'E_NOTE_TOO_LONG'
  | 'E_NAME_INVALID'
  | 'E_MESSAGE_TOO_LONG'
  | 'E_ENGINE_MISSING'
  | 'E_NO_IDENTITY'
  | 'E_NO_CONTACT_ONION'
  | 'E_BACKUP_UNSUPPORTED'
  | 'E_BACKUP_FILE'
  | 'E_PASSWORD_MISMATCH'
  | 'E_PASSWORD_SHORT'
  | 'E_PASSPHRASE_SHORT'
  | 'E_WRONG_PASSPHRASE'
  | 'E_NO_PASSPHRASE'
  | 'E_NOTIFICATIONS_DENIED'
  | 'E_POST_EMPTY'
  | 'E_POST_TOO_LONG'
  | 'E_PICTURE_UNSUPPORTED'
  | 'E_PICTURE_TOO_LARGE'
  | 'E_PICTURES_TOO_MANY'
  | 'E_COMMENT_TOO_LONG'
  | 'E_CIRCLE_NAME'
  | 'E_NO_HOME_VAULT'
  | 'E_HOME_VAULT_FILE';

export class AppError extends Error {
  readonly code: AppErrorCode;
  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

/** The code of any error (ChattorError, AppError, GatewayCommandError), or E_INTERNAL. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'E_INTERNAL';
}
