// Ed25519 v3 onion service keys: seed → expanded secret, public key, address (rend-spec-v3 §6, §A.2).
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { abytes, concatBytes, equalBytes, fromBase64Url, toBase64Url } from '../../shared/util/bytes.js';
import { ChattorError } from '../../shared/util/errors.js';

export interface OnionKey {
  /** The 32-byte ed25519 seed (RFC 8032 private key). The only part that is stored. */
  seed: Uint8Array;
  /** SHA-512(seed) with the scalar clamped: what `ADD_ONION ED25519-V3:<base64>` takes. */
  expandedSecret: Uint8Array;
  publicKey: Uint8Array;
  /** The 56-character v3 address, lowercase, without `.onion`. */
  address: string;
}

const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum');
const VERSION = 0x03;
/** RFC 4648 base32 alphabet, lower case (onion addresses; tor reads client keys in either case). */
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const FILE_HEADER = 'chattor-onion-seed-v1:';

export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(s: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s) {
    const v = B32.indexOf(c);
    if (v < 0) throw new ChattorError('E_BAD_INPUT', 'onion address is not base32');
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

function checksum(publicKey: Uint8Array): Uint8Array {
  const h = createHash('sha3-256').update(concatBytes(CHECKSUM_PREFIX, publicKey, Uint8Array.of(VERSION)));
  return new Uint8Array(h.digest()).subarray(0, 2);
}

/** base32(pubkey ‖ SHA3-256(".onion checksum" ‖ pubkey ‖ 0x03)[:2] ‖ 0x03), lowercase (rend-spec-v3 §6). */
export function onionAddressFromPublicKey(publicKey: Uint8Array): string {
  abytes(publicKey, 32, 'publicKey');
  return base32(concatBytes(publicKey, checksum(publicKey), Uint8Array.of(VERSION)));
}

/** Returns the public key of a v3 address (with or without `.onion`); throws E_BAD_INPUT if invalid. */
export function publicKeyFromOnionAddress(address: string): Uint8Array {
  const id = address.toLowerCase().replace(/\.onion$/, '');
  if (!/^[a-z2-7]{56}$/.test(id)) throw new ChattorError('E_BAD_INPUT', 'not a v3 onion address');
  const raw = unbase32(id);
  const pub = raw.subarray(0, 32);
  if (raw[34] !== VERSION || !equalBytes(raw.subarray(32, 34), checksum(pub)))
    throw new ChattorError('E_BAD_INPUT', 'onion address checksum or version is wrong');
  return pub;
}

export function isValidOnionAddress(address: string): boolean {
  try {
    publicKeyFromOnionAddress(address);
    return true;
  } catch {
    return false;
  }
}

export function onionKeyFromSeed(seed: Uint8Array): OnionKey {
  abytes(seed, 32, 'seed');
  const h = new Uint8Array(createHash('sha512').update(seed).digest());
  // Clamp the scalar half exactly like ed25519 key expansion (RFC 8032 §5.1.5); tor stores this form.
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  const priv = createPrivateKey({
    key: Buffer.from(concatBytes(PKCS8_ED25519_PREFIX, seed)),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = new Uint8Array(createPublicKey(priv).export({ format: 'der', type: 'spki' }));
  const publicKey = spki.slice(spki.length - 32);
  return {
    seed: Uint8Array.from(seed),
    expandedSecret: h,
    publicKey,
    address: onionAddressFromPublicKey(publicKey),
  };
}

export function generateOnionKey(): OnionKey {
  return onionKeyFromSeed(new Uint8Array(randomBytes(32)));
}

/**
 * Loads the seed at `path`, or creates one (file 0600, directory 0700). Refuses a key file that group or
 * others can read or write: a leaked seed lets anyone impersonate the onion.
 */
export async function loadOrCreateOnionKey(path: string): Promise<OnionKey> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (st) {
    if ((st.mode & 0o077) !== 0)
      throw new ChattorError(
        'E_FORBIDDEN',
        `onion key file ${path} has mode ${(st.mode & 0o777).toString(8)}; it must not be accessible to group or others (chmod 600)`,
      );
    const text = await readFile(path, 'utf8');
    const m = new RegExp(`^${FILE_HEADER}([A-Za-z0-9_-]{43})\\n?$`).exec(text);
    if (!m) throw new ChattorError('E_BAD_INPUT', `onion key file ${path} is not a Chattor onion seed`);
    return onionKeyFromSeed(fromBase64Url(m[1]!, 'onion seed'));
  }
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = generateOnionKey();
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${FILE_HEADER}${toBase64Url(key.seed)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, 0o600); // in case a umask-less filesystem widened it
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return key;
}
