// Unit spec for v3 onion keys: expansion, public key, address checksum, key file permissions.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { mkdtemp, readFile, rm, stat, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/util/bytes.js';
import { isChattorError } from '../../shared/util/errors.js';
import {
  generateOnionKey,
  isValidOnionAddress,
  loadOrCreateOnionKey,
  onionAddressFromPublicKey,
  onionKeyFromSeed,
  publicKeyFromOnionAddress,
} from './onion-key.js';

// RFC 8032 §7.1 TEST 1.
const RFC_SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const RFC_PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
// Confirmed against tor 0.4.9.11: ADD_ONION ED25519-V3:<expanded RFC_SEED> returned this ServiceID
// (test/tor/tor-layer.tor.spec.ts checks the same equality for a random key on every run).
const RFC_ADDRESS = '25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid';

// An independent base32 (RFC 4648, lowercase) via BigInt, for 35-byte inputs (280 bits = 56 chars).
function bigBase32(bytes: Uint8Array): string {
  let n = BigInt('0x' + toHex(bytes));
  let out = '';
  for (let i = 0; i < 56; i++) {
    out = 'abcdefghijklmnopqrstuvwxyz234567'[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}

describe('onion keys', () => {
  it('derives the RFC 8032 public key and a checked address from a seed', () => {
    const k = onionKeyFromSeed(RFC_SEED);
    expect(toHex(k.publicKey)).toBe(RFC_PUB);
    expect(k.address).toBe(RFC_ADDRESS);
    expect(k.expandedSecret).toHaveLength(64);
    expect(k.expandedSecret[0]! & 7).toBe(0);
    expect(k.expandedSecret[31]! & 0xc0).toBe(0x40);
  });

  it('agrees with an independent implementation (noble) for random seeds (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const k = onionKeyFromSeed(seed);
        const pub = ed25519.getPublicKey(seed);
        expect(toHex(k.publicKey)).toBe(toHex(pub));
        const h = sha512(seed);
        expect(toHex(k.expandedSecret.subarray(32))).toBe(toHex(h.subarray(32)));
        const sum = sha3_256(new Uint8Array([...new TextEncoder().encode('.onion checksum'), ...pub, 3]));
        expect(k.address).toBe(bigBase32(new Uint8Array([...pub, sum[0]!, sum[1]!, 3])));
        expect(toHex(publicKeyFromOnionAddress(k.address + '.onion'))).toBe(toHex(pub));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects addresses with a wrong checksum, version or alphabet', () => {
    const a = generateOnionKey().address;
    expect(isValidOnionAddress(a)).toBe(true);
    const flipped = (a[0] === 'a' ? 'b' : 'a') + a.slice(1);
    expect(isValidOnionAddress(flipped)).toBe(false);
    expect(isValidOnionAddress(a.slice(0, 55) + (a[55] === 'd' ? 'e' : 'd'))).toBe(false);
    expect(isValidOnionAddress(a.slice(0, 55) + '1')).toBe(false);
    expect(isValidOnionAddress('abc')).toBe(false);
    expect(() => onionAddressFromPublicKey(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe('loadOrCreateOnionKey', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'chattor-key-'));
    dirs.push(d);
    return d;
  };

  it('creates the key 0600 in a 0700 dir and loads the same key again', async () => {
    const d = await tmp();
    const path = join(d, 'keys', 'contact.key');
    const a = await loadOrCreateOnionKey(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(d, 'keys'))).mode & 0o777).toBe(0o700);
    expect((await readFile(path, 'utf8')).startsWith('chattor-onion-seed-v1:')).toBe(true);
    const b = await loadOrCreateOnionKey(path);
    expect(b.address).toBe(a.address);
    expect(toHex(b.expandedSecret)).toBe(toHex(a.expandedSecret));
  });

  it('refuses a group/world-readable key file with a clear error', async () => {
    const d = await tmp();
    const path = join(d, 'k.key');
    await loadOrCreateOnionKey(path);
    await chmod(path, 0o644);
    const err = await loadOrCreateOnionKey(path).catch((e: unknown) => e);
    expect(isChattorError(err, 'E_FORBIDDEN')).toBe(true);
    expect((err as Error).message).toMatch(/mode 644.*chmod 600/);
  });

  it('refuses a file that is not an onion seed', async () => {
    const d = await tmp();
    const path = join(d, 'k.key');
    await writeFile(path, 'hello\n', { mode: 0o600 });
    await expect(loadOrCreateOnionKey(path)).rejects.toThrow(/not a Chattor onion seed/);
  });
});
