// Identity flows (docs/protocol.md §3.6, §4.3): create an identity and save a backup of it, export a
// backup later, restore one. The engine opens the identity secrets from the key vault for a backup
// (exportIdentitySecrets); this module seals them into the file and wipes them.
import {
  MAX_BACKUP_TEXT,
  createIdentityBackup,
  generateRecoveryCode,
  openIdentityBackup,
  parseBackup,
  type BackupSecret,
} from '../../../../shared/crypto/backup';
import { isValidDisplayName } from '../../../../shared/crypto/contact-card';
import { wipeIdentitySecrets } from '../../../../shared/crypto/identity';
import type { ChatEngineApi } from '../../../../shared/protocol/api';
import { AppError } from '$lib/errors/app-error';

export const MIN_PASSWORD_CHARS = 10;
export { MAX_BACKUP_TEXT };

/** How the backup file is locked: nothing (no backup now), a password, or a generated recovery code. */
export type Protection =
  { kind: 'none' } | { kind: 'password'; password: string; confirm: string } | { kind: 'recovery' };
export type BackupProtection = Exclude<Protection, { kind: 'none' }>;

/** The protection the form fields describe. */
export function protectionOf(kind: Protection['kind'], password: string, confirm: string): Protection {
  return kind === 'password' ? { kind, password, confirm } : { kind };
}

export interface Backup {
  /** The backup file's text. */
  text: string;
  /** The generated recovery code, to show once. */
  recoveryCode?: string;
}

export function cleanDisplayName(name: string): string {
  const clean = name.trim().normalize('NFC');
  if (!isValidDisplayName(clean)) throw new AppError('E_NAME_INVALID', 'invalid display name');
  return clean;
}

export function checkPassword(password: string, confirm: string): void {
  if ([...password].length < MIN_PASSWORD_CHARS) throw new AppError('E_PASSWORD_SHORT', 'password too short');
  if (password !== confirm) throw new AppError('E_PASSWORD_MISMATCH', 'passwords differ');
}

/** The vault passphrase (Settings): at least MIN_PASSWORD_CHARS, typed twice. */
export function checkPassphrase(passphrase: string, confirm: string): void {
  if ([...passphrase].length < MIN_PASSWORD_CHARS) throw new AppError('E_PASSPHRASE_SHORT', 'too short');
  if (passphrase !== confirm) throw new AppError('E_PASSWORD_MISMATCH', 'passphrases differ');
}

/** Checks the protection before any work is done (so a typo does not cost an Argon2 run). */
export function secretFor(protection: BackupProtection): { secret: BackupSecret; recoveryCode?: string } {
  if (protection.kind === 'password') {
    checkPassword(protection.password, protection.confirm);
    return { secret: { password: protection.password } };
  }
  const recoveryCode = generateRecoveryCode();
  return { secret: { recoveryCode }, recoveryCode };
}

/** Seals this device's identity into a new backup file. */
export async function exportBackup(engine: ChatEngineApi, protection: BackupProtection): Promise<Backup> {
  const { secret, recoveryCode } = secretFor(protection);
  if (!(await engine.hasIdentity())) throw new AppError('E_NO_IDENTITY', 'no identity in storage');
  const secrets = await engine.exportIdentitySecrets();
  try {
    const text = await createIdentityBackup(secrets, secret);
    return recoveryCode === undefined ? { text } : { text, recoveryCode };
  } finally {
    wipeIdentitySecrets(secrets);
  }
}

/** Creates the identity and, unless the user chose not to, its first backup. */
export async function createIdentity(
  engine: ChatEngineApi,
  name: string,
  protection: Protection,
): Promise<Backup | null> {
  const displayName = cleanDisplayName(name);
  if (protection.kind !== 'none') secretFor(protection); // fail on a bad password before creating
  await engine.createIdentity(displayName);
  return protection.kind === 'none' ? null : exportBackup(engine, protection);
}

/** Which kind of secret a backup file expects (read from its header, before any key is derived). */
export function backupSecretKind(text: string): 'password' | 'recovery-code' {
  try {
    return parseBackup(text).secret;
  } catch (cause) {
    throw new AppError('E_BACKUP_FILE', 'not a backup file', { cause });
  }
}

/** Restores the identity (not friends or messages: a backup holds only the identity). */
export async function restoreIdentity(
  engine: ChatEngineApi,
  text: string,
  secretInput: string,
  name: string,
): Promise<void> {
  const displayName = cleanDisplayName(name);
  const kind = backupSecretKind(text);
  const secret: BackupSecret =
    kind === 'recovery-code' ? { recoveryCode: secretInput } : { password: secretInput };
  const secrets = await openIdentityBackup(text, secret);
  try {
    await engine.restoreIdentity(secrets, displayName);
  } finally {
    wipeIdentitySecrets(secrets);
  }
}
