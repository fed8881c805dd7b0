// The home onion, docs/protocol.md §2.3: an onion service with Tor client authorization that serves this
// gateway's app (the same guard, the same token) to the user's own Tor Browser. Its ed25519 key and the
// client's x25519 key live in the data directory (0600); whether it is on is remembered in home.json.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBase64Url, toBase64Url } from '../shared/util/bytes.js';
import { ChattorError } from '../shared/util/errors.js';
import { base32, loadOrCreateOnionKey } from './tor/onion-key.js';
import type { OnionKey } from './tor/onion-key.js';

const CLIENT_KEY_HEADER = 'chattor-x25519-v1:';
const SETTINGS_FILE = 'home.json';

/** What the local link reports about the home onion (§2.3). */
export interface HomeAccessInfo {
  enabled: boolean;
  /** The home onion's address, without `.onion`, once enabled. */
  onion?: string;
  /** `<onion>:descriptor:x25519:<base32 private key>`, the line Tor Browser imports. */
  clientKey?: string;
}

/** The client authorization key pair: tor gets the public half, the user's Tor Browser the private. */
export interface HomeClientKey {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Writes `text` to `path` with mode 0600 through a temporary file and a rename. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, 0o600);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Refuses a secret file that group or others can read: whoever has it can reach the home onion. */
async function readPrivateFile(path: string): Promise<string | null> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if ((st.mode & 0o077) !== 0)
    throw new ChattorError(
      'E_FORBIDDEN',
      `key file ${path} has mode ${(st.mode & 0o777).toString(8)}; it must not be accessible to group or others (chmod 600)`,
    );
  return readFile(path, 'utf8');
}

/** A new x25519 key pair from node's crypto (the gateway holds no key code of shared/crypto). */
export function generateClientKey(): HomeClientKey {
  const { privateKey } = generateKeyPairSync('x25519');
  return clientKeyFromPrivate(fromBase64Url(privateKey.export({ format: 'jwk' }).d!, 'x25519 private'));
}

export function clientKeyFromPrivate(privateKey: Uint8Array): HomeClientKey {
  if (privateKey.length !== 32) throw new ChattorError('E_BAD_INPUT', 'x25519 private key must be 32 bytes');
  // PKCS#8 for X25519 is a fixed 16-byte prefix and the 32-byte key (RFC 8410).
  const der = new Uint8Array([
    ...[0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20],
    ...privateKey,
  ]);
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(key).export({ format: 'jwk' }).x!;
  return { privateKey, publicKey: fromBase64Url(x, 'x25519 public') };
}

export async function loadOrCreateClientKey(path: string): Promise<HomeClientKey> {
  const text = await readPrivateFile(path);
  if (text !== null) {
    const m = new RegExp(`^${CLIENT_KEY_HEADER}([A-Za-z0-9_-]{43})\\n?$`).exec(text);
    if (!m) throw new ChattorError('E_BAD_INPUT', `key file ${path} is not a Chattor client key`);
    return clientKeyFromPrivate(fromBase64Url(m[1]!, 'client key'));
  }
  const key = generateClientKey();
  await writePrivateFile(path, `${CLIENT_KEY_HEADER}${toBase64Url(key.privateKey)}\n`);
  return key;
}

/** The `.auth_private` line (tor's ClientOnionAuthDir format, which Tor Browser's prompt also takes). */
export function clientKeyLine(onion: string, key: HomeClientKey): string {
  return `${onion}:descriptor:x25519:${base32(key.privateKey).toUpperCase()}`;
}

/** `ClientAuthV3=` takes the public key in base32 (52 characters). */
export function clientAuthPublic(key: HomeClientKey): string {
  return base32(key.publicKey).toUpperCase();
}

export interface HomeKeys {
  onion: OnionKey;
  client: HomeClientKey;
}

/** The home onion's keys and switch. Keys are made on first enable and kept while it is off. */
export class HomeAccess {
  #enabled = false;
  #keys: HomeKeys | null = null;

  private constructor(private readonly dataDir: string) {}

  static async load(dataDir: string): Promise<HomeAccess> {
    const home = new HomeAccess(dataDir);
    const text = await readPrivateFile(join(dataDir, SETTINGS_FILE));
    let enabled = false;
    if (text !== null) {
      try {
        enabled = (JSON.parse(text) as { enabled?: unknown }).enabled === true;
      } catch {
        enabled = false; // a damaged settings file means off: never open an onion by accident
      }
    }
    if (enabled) await home.#loadKeys();
    home.#enabled = enabled;
    return home;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** The keys while enabled (what the onion manager publishes), else null. */
  get keys(): HomeKeys | null {
    return this.#enabled ? this.#keys : null;
  }

  /** `<onion>.onion` while enabled: the extra Host the guard accepts. */
  host(): string | null {
    return this.#enabled && this.#keys ? `${this.#keys.onion.address}.onion` : null;
  }

  info(): HomeAccessInfo {
    const keys = this.keys;
    if (!keys) return { enabled: false };
    return {
      enabled: true,
      onion: keys.onion.address,
      clientKey: clientKeyLine(keys.onion.address, keys.client),
    };
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled) await this.#loadKeys();
    await writePrivateFile(join(this.dataDir, SETTINGS_FILE), JSON.stringify({ enabled }) + '\n');
    this.#enabled = enabled;
  }

  async #loadKeys(): Promise<void> {
    this.#keys ??= {
      onion: await loadOrCreateOnionKey(join(this.dataDir, 'home-onion.key')),
      client: await loadOrCreateClientKey(join(this.dataDir, 'home-client.key')),
    };
  }
}
