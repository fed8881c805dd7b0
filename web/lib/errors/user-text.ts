// The one place where error codes become words a user reads (STYLE.md #5).
import type { ErrorCode } from '../../../shared/util/errors';
import type { AppErrorCode } from './app-error';

const TEXT: Record<ErrorCode | AppErrorCode, string> = {
  E_BAD_INPUT: 'Chattor received something it did not understand.',
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
  E_LOCKED: 'Chattor is locked: unlock it with your passphrase first.',
  E_WRONG_PASSWORD: 'That password or recovery code does not open this backup (or the file is damaged).',
  E_UNSUPPORTED: 'This gateway and app versions do not match.',
  E_MAILBOX: 'A friend’s node could not hold or hand over offline mail.',
  E_LEASE_HELD: 'Chattor is open in another browser (for example Tor Browser) on this node.',
  E_LEASE_LOST: 'Chattor was opened in another browser on this node, so it stopped here.',
  E_TOO_LARGE: 'That is too large for the gateway to keep.',
  E_ZK_ROOT: 'The proof was made against an unknown or expired version of the friends group.',
  E_ZK_PROOF: 'The proof does not show membership of the friends group for this message.',
  E_ZK_NULLIFIER: 'Already used: one vote per member per poll, and no replayed messages.',
  E_INTERNAL: 'Something went wrong inside Chattor.',
  // Raised by the web app itself (app-error.ts).
  E_LINK_INVALID: 'That is not a Chattor contact link. Paste the whole link, starting with chattor:card/.',
  E_LINK_FORGED: 'That contact link failed its signature check: it was altered or forged.',
  E_LINK_EXPIRED: 'That contact link has expired. Ask your friend for a fresh one.',
  E_LINK_OWN: 'That is your own contact link. Paste a friend’s link instead.',
  E_LINK_KNOWN: 'You already know this person: look under requests or friends.',
  E_NOTE_TOO_LONG: 'The note can be at most 280 characters.',
  E_NAME_INVALID: 'Choose a name of 1 to 64 characters, without control characters.',
  E_MESSAGE_TOO_LONG: 'A message can be at most 8,000 characters.',
  E_ENGINE_MISSING: 'Chat is not available in this build of Chattor yet.',
  E_NO_IDENTITY: 'Create your identity first.',
  E_NO_CONTACT_ONION: 'Your contact onion is not published yet; try again in a moment.',
  E_BACKUP_UNSUPPORTED: 'This version of Chattor cannot make or restore identity backups yet.',
  E_BACKUP_FILE: 'That file is not a Chattor backup.',
  E_PASSWORD_MISMATCH: 'The two passwords do not match.',
  E_PASSWORD_SHORT: 'Use a password of at least 10 characters, or a recovery code.',
  E_PASSPHRASE_SHORT: 'Use a passphrase of at least 10 characters.',
  E_WRONG_PASSPHRASE: 'That passphrase does not unlock this vault. Nothing was changed: try again.',
  E_NO_PASSPHRASE: 'Set a passphrase first: without one, there is nothing to unlock with.',
  E_NOTIFICATIONS_DENIED: 'Notifications are blocked for this site in your browser settings.',
  E_POST_EMPTY: 'Write something or add a picture.',
  E_POST_TOO_LONG: 'A post can be at most 5,000 characters.',
  E_PICTURE_UNSUPPORTED: 'That file is not a picture Chattor can post (JPEG, PNG, WebP or GIF).',
  E_PICTURE_TOO_LARGE: 'That picture is too large to post, even scaled down.',
  E_PICTURES_TOO_MANY: 'A post can have at most 4 pictures.',
  E_COMMENT_TOO_LONG: 'A comment can be at most 2,000 characters.',
  E_CIRCLE_NAME: 'Give the circle a name of 1 to 64 characters.',
  E_NO_HOME_VAULT: 'Your gateway keeps no vault for Tor Browser yet: create one in Settings › Tor Browser.',
  E_HOME_VAULT_FILE: 'The vault your gateway keeps is damaged or from another version of Chattor.',
};

export function isErrorCode(code: string): code is ErrorCode | AppErrorCode {
  return Object.hasOwn(TEXT, code);
}

export function userText(code: string): string {
  return isErrorCode(code) ? TEXT[code] : 'Something went wrong.';
}
