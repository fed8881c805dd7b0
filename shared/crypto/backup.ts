// Implements docs/protocol.md §3.6 (identity backup file: Argon2id / PBKDF2, AES-256-GCM, recovery code).
import { argon2id } from 'hash-wasm';
import { ChattorError, isChattorError } from '../util/errors.js';
import { abytes, fromBase64Url, toBase64Url, utf8 } from '../util/bytes.js';
import { label, toBase32 } from './codec.js';
import { decodeIdentitySecrets, encodeIdentitySecrets, type IdentitySecrets } from './identity.js';
import { aesGcmDecrypt, aesGcmEncrypt, defaultRng, pbkdf2Sha256, type Rng } from './primitives.js';

export const BACKUP_VERSION = 1;
export const BACKUP_TYPE = 'chattor-backup';
export const MAX_BACKUP_TEXT = 64 * 1024;
export const MAX_BACKUP_PLAINTEXT = 1024 * 1024;
export const ARGON2_DEFAULT = { m: 65536, t: 3, p: 1 } as const;
export const ARGON2_RECOVERY = { m: 8192, t: 1, p: 1 } as const;
export const PBKDF2_DEFAULT_ITERATIONS = 600_000;
export const PBKDF2_RECOVERY_ITERATIONS = 100_000;
export const LIMITS = {
  argon2: { m: [8192, 1_048_576], t: [1, 16], p: [1, 4] },
  pbkdf2: [100_000, 10_000_000],
  salt: [16, 64],
} as const;

export type BackupSecret = { readonly password: string } | { readonly recoveryCode: string };
export type KdfParams =
  | {
      readonly name: 'argon2id';
      readonly m: number;
      readonly t: number;
      readonly p: number;
      readonly salt: string;
    }
  | { readonly name: 'pbkdf2-sha256'; readonly iterations: number; readonly salt: string };
export interface BackupFile {
  readonly v: 1;
  readonly type: typeof BACKUP_TYPE;
  readonly secret: 'password' | 'recovery-code';
  readonly kdf: KdfParams;
  readonly nonce: string;
  readonly ciphertext: string;
}
export interface BackupOptions {
  /** Default: argon2id where WebAssembly exists, else pbkdf2-sha256. */
  readonly kdf?: 'argon2id' | 'pbkdf2-sha256';
  readonly argon2?: { readonly m: number; readonly t: number; readonly p: number };
  readonly iterations?: number;
  readonly rng?: Rng;
}

const bad = (what: string): ChattorError => new ChattorError('E_BAD_INPUT', `backup: ${what}`);
const hasWasm = (): boolean =>
  typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function';

/** 120 random bits as 24 base32 characters in six groups of four. */
export function generateRecoveryCode(rng: Rng = defaultRng): string {
  const s = toBase32(abytes(rng(15), 15, 'rng output')).toUpperCase();
  return s.match(/.{4}/g)!.join('-');
}

export function normalizeRecoveryCode(code: string): string {
  if (typeof code !== 'string' || code.length > 100) throw bad('invalid recovery code');
  const s = code.replace(/[\s-]/g, '').toUpperCase().replace(/0/g, 'O').replace(/1/g, 'I');
  if (!/^[A-Z2-7]{24}$/.test(s)) throw bad('invalid recovery code');
  return s;
}

function secretBytes(secret: BackupSecret): { kind: BackupFile['secret']; bytes: Uint8Array } {
  if ('recoveryCode' in secret)
    return { kind: 'recovery-code', bytes: utf8.encode(normalizeRecoveryCode(secret.recoveryCode)) };
  if (typeof secret.password !== 'string' || secret.password.length === 0) throw bad('empty password');
  return { kind: 'password', bytes: utf8.encode(secret.password.normalize('NFC')) };
}

function inRange(x: unknown, [lo, hi]: readonly [number, number]): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
}

function checkKdf(kdf: KdfParams): Uint8Array {
  const salt = fromBase64Url(kdf.salt, 'kdf.salt');
  if (!inRange(salt.length, LIMITS.salt)) throw bad('salt length out of range');
  if (kdf.name === 'argon2id') {
    const { m, t, p } = LIMITS.argon2;
    if (!inRange(kdf.m, m) || !inRange(kdf.t, t) || !inRange(kdf.p, p) || kdf.m < 8 * kdf.p)
      throw bad('argon2id parameters out of range');
  } else if (kdf.name === 'pbkdf2-sha256') {
    if (!inRange(kdf.iterations, LIMITS.pbkdf2)) throw bad('pbkdf2 iterations out of range');
  } else throw bad('unknown kdf');
  return salt;
}

function kdfString(kdf: KdfParams): string {
  return kdf.name === 'argon2id'
    ? `argon2id;m=${kdf.m};t=${kdf.t};p=${kdf.p};salt=${kdf.salt}`
    : `pbkdf2-sha256;i=${kdf.iterations};salt=${kdf.salt}`;
}

async function deriveKey(kdf: KdfParams, secret: Uint8Array): Promise<Uint8Array> {
  const salt = checkKdf(kdf);
  if (kdf.name === 'pbkdf2-sha256') return pbkdf2Sha256(secret, salt, kdf.iterations, 32);
  if (!hasWasm()) throw new ChattorError('E_UNSUPPORTED', 'this backup needs WebAssembly (Argon2id)');
  return argon2id({
    password: secret,
    salt,
    parallelism: kdf.p,
    iterations: kdf.t,
    memorySize: kdf.m,
    hashLength: 32,
    outputType: 'binary',
  });
}

export async function createBackup(
  plaintext: Uint8Array,
  secret: BackupSecret,
  opts: BackupOptions = {},
): Promise<string> {
  abytes(plaintext, undefined, 'plaintext');
  if (plaintext.length > MAX_BACKUP_PLAINTEXT) throw bad('plaintext too large');
  const rng = opts.rng ?? defaultRng;
  const s = secretBytes(secret);
  const recovery = s.kind === 'recovery-code';
  const salt = toBase64Url(abytes(rng(16), 16, 'rng output'));
  const name = opts.kdf ?? (hasWasm() ? 'argon2id' : 'pbkdf2-sha256');
  const kdf: KdfParams =
    name === 'argon2id'
      ? { name, ...(opts.argon2 ?? (recovery ? ARGON2_RECOVERY : ARGON2_DEFAULT)), salt }
      : {
          name,
          iterations: opts.iterations ?? (recovery ? PBKDF2_RECOVERY_ITERATIONS : PBKDF2_DEFAULT_ITERATIONS),
          salt,
        };
  const key = await deriveKey(kdf, s.bytes);
  const nonce = abytes(rng(12), 12, 'rng output');
  const aad = label(`chattor/v1/backup|${s.kind}|${kdfString(kdf)}`);
  const ct = await aesGcmEncrypt(key, nonce, plaintext, aad);
  key.fill(0);
  const file: BackupFile = {
    v: BACKUP_VERSION,
    type: BACKUP_TYPE,
    secret: s.kind,
    kdf,
    nonce: toBase64Url(nonce),
    ciphertext: toBase64Url(ct),
  };
  return JSON.stringify(file);
}

const FILE_KEYS = ['v', 'type', 'secret', 'kdf', 'nonce', 'ciphertext'];
const KDF_KEYS = {
  argon2id: ['name', 'm', 't', 'p', 'salt'],
  'pbkdf2-sha256': ['name', 'iterations', 'salt'],
};

function sameKeys(o: object, keys: readonly string[]): boolean {
  const k = Object.keys(o);
  return k.length === keys.length && keys.every((x) => k.includes(x));
}

export function parseBackup(text: string): BackupFile {
  if (typeof text !== 'string' || text.length > MAX_BACKUP_TEXT) throw bad('file too large');
  let f: unknown;
  try {
    f = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof f !== 'object' || f === null || Array.isArray(f) || !sameKeys(f, FILE_KEYS))
    throw bad('unexpected fields');
  const file = f as BackupFile;
  if (file.v !== BACKUP_VERSION) throw new ChattorError('E_UNSUPPORTED', 'backup: unknown version');
  if (file.type !== BACKUP_TYPE || (file.secret !== 'password' && file.secret !== 'recovery-code'))
    throw bad('not a Chattor backup');
  const kdf = file.kdf as unknown;
  if (typeof kdf !== 'object' || kdf === null || Array.isArray(kdf)) throw bad('invalid kdf');
  const keys = KDF_KEYS[(kdf as KdfParams).name];
  if (!keys || !sameKeys(kdf, keys) || typeof (kdf as KdfParams).salt !== 'string') throw bad('invalid kdf');
  checkKdf(file.kdf);
  if (typeof file.nonce !== 'string' || typeof file.ciphertext !== 'string')
    throw bad('invalid nonce/ciphertext');
  if (fromBase64Url(file.nonce, 'nonce').length !== 12) throw bad('nonce must be 12 bytes');
  const ctLength = fromBase64Url(file.ciphertext, 'ciphertext').length;
  if (ctLength < 16 || ctLength > MAX_BACKUP_PLAINTEXT + 16) throw bad('ciphertext length out of range');
  return file;
}

/** Wrong password (or a tampered file): E_WRONG_PASSWORD. Malformed: E_BAD_INPUT. */
export async function openBackup(text: string, secret: BackupSecret): Promise<Uint8Array> {
  const file = parseBackup(text);
  const s = secretBytes(secret);
  const key = await deriveKey(file.kdf, s.bytes);
  const aad = label(`chattor/v1/backup|${file.secret}|${kdfString(file.kdf)}`);
  try {
    return await aesGcmDecrypt(key, fromBase64Url(file.nonce), fromBase64Url(file.ciphertext), aad);
  } catch (e) {
    if (isChattorError(e, 'E_DECRYPT'))
      throw new ChattorError('E_WRONG_PASSWORD', 'wrong password or damaged backup');
    throw e;
  } finally {
    key.fill(0);
  }
}

export async function createIdentityBackup(
  secrets: IdentitySecrets,
  secret: BackupSecret,
  opts: BackupOptions = {},
): Promise<string> {
  const pt = encodeIdentitySecrets(secrets);
  try {
    return await createBackup(pt, secret, opts);
  } finally {
    pt.fill(0);
  }
}

export async function openIdentityBackup(text: string, secret: BackupSecret): Promise<IdentitySecrets> {
  return decodeIdentitySecrets(await openBackup(text, secret));
}
