// The one place where error codes become words a user reads (STYLE.md #5).
import type { ErrorCode } from '../../../shared/util/errors';

const TEXT: Record<ErrorCode, string> = {
  E_BAD_INPUT: 'The gateway sent something this app did not understand.',
  E_FRAME_TOO_LARGE: 'A message was too large to send.',
  E_FRAME_MALFORMED: 'A damaged message arrived and was ignored.',
  E_FRAME_VERSION: 'A peer speaks a newer version of Chattor.',
  E_RATE_LIMITED: 'Too many requests; slowing down.',
  E_NO_CLIENT: 'No app is connected to the gateway.',
  E_UNKNOWN_LINK: 'That connection is already closed.',
  E_DIAL_FAILED: 'Could not reach that node over Tor.',
  E_DIAL_TIMEOUT: 'That node did not answer in time.',
  E_TOR_CONTROL: 'The gateway lost contact with Tor.',
  E_TOR_PROCESS: 'Tor stopped unexpectedly.',
  E_TOR_UNAVAILABLE: 'Tor is not ready yet.',
  E_UNAUTHORIZED: 'This browser is not paired with the gateway.',
  E_FORBIDDEN: 'The gateway refused the request.',
  E_DECRYPT: 'A message could not be decrypted.',
  E_SIGNATURE: 'A signature did not check out.',
  E_REPLAY: 'A repeated message was ignored.',
  E_STATE: 'The connection to the gateway was interrupted.',
  E_LOCKED: 'Chattor is locked.',
  E_WRONG_PASSWORD: 'That password is not right.',
  E_UNSUPPORTED: 'This gateway and app versions do not match.',
  E_INTERNAL: 'Something went wrong inside Chattor.',
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(TEXT, code);
}

export function userText(code: string): string {
  return isErrorCode(code) ? TEXT[code] : 'Something went wrong.';
}
