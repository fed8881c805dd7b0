// Tests docs/protocol.md §3.1: both backends agree byte for byte; bad inputs fail the same way.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../util/bytes.js';
import { kemBackend, kemDecapsulate, kemEncapsulate, kemGenerate } from './mlkem.js';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  cryptoBackend,
  dh,
  dhKeyFromPrivate,
  hkdfSha256,
  hkdfSha256AesKey,
  hmacSha256,
  hmacSha256Each,
  sha256,
  sign,
  signingKeyFromSeed,
  verify,
} from './primitives.js';
import { describeBackends, expectedRuntime, RUNTIME } from './testing.js';

const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
// RFC 7748 §6.1 Alice/Bob.
const aPriv = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const bPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const LOW_ORDER = [
  new Uint8Array(32),
  fromHex('0100000000000000000000000000000000000000000000000000000000000000'),
  fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
  fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  fromHex('0000000000000000000000000000000000000000000000000000000000000080'), // top bit set
  fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // u = p
];

describeBackends('primitives', (mode) => {
  it('reports the backend', async () => {
    const b = await cryptoBackend();
    expect(b.ed25519).toBe(mode === 'noble' ? 'noble' : 'webcrypto');
  });

  it('uses WebCrypto wherever the runtime has the algorithm, @noble when forced', async () => {
    const want = mode === 'noble' ? 'noble' : 'webcrypto';
    // Node 20 and Chromium 156 both have Ed25519, X25519 and AES-GCM (docs: browser-crypto notes).
    expect(await cryptoBackend()).toEqual({ ed25519: want, x25519: want, aes: want });
    // ML-KEM-768 in WebCrypto: Chromium only; Node 20 and Firefox take @noble/post-quantum.
    if (mode === 'noble') expect(await kemBackend()).toBe('noble');
    else if (RUNTIME === 'chromium') expect(await kemBackend()).toBe('webcrypto');
  });

  it('Ed25519 matches RFC 8032 test 1', async () => {
    const k = await signingKeyFromSeed(seed, { nonExtractable: true });
    expect(toHex(k.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const sig = await sign(k.privateKey, new Uint8Array(0));
    expect(toHex(sig)).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(await verify(k.publicKey, new Uint8Array(0), sig)).toBe(true);
    expect(await verify(k.publicKey, new Uint8Array(1), sig)).toBe(false);
  });

  it('verify returns false, never throws, on junk', async () => {
    const k = await signingKeyFromSeed(seed);
    const sig = await sign(k.privateKey, new Uint8Array(3));
    expect(await verify(new Uint8Array(31), new Uint8Array(3), sig)).toBe(false);
    expect(await verify(k.publicKey, new Uint8Array(3), sig.subarray(1))).toBe(false);
    expect(await verify(new Uint8Array(32), new Uint8Array(3), sig)).toBe(false); // small order
    expect(await verify(null as unknown as Uint8Array, new Uint8Array(3), sig)).toBe(false);
    const sPlusL = sig.slice();
    sPlusL[63] = sPlusL[63]! | 0xf0; // S ≥ L
    expect(await verify(k.publicKey, new Uint8Array(3), sPlusL)).toBe(false);
  });

  it('X25519 matches RFC 7748 and rejects low-order points', async () => {
    const k = await dhKeyFromPrivate(aPriv, { nonExtractable: true });
    expect(toHex(k.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(await dh(k.privateKey, bPub))).toBe(
      '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
    );
    for (const p of LOW_ORDER) await expect(dh(aPriv, p)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
  });

  it('hashes, HMAC, HKDF agree with @noble', async () => {
    expect(toHex(await sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    // RFC 4231 test 2
    const mac = await hmacSha256(
      new TextEncoder().encode('Jefe'),
      new TextEncoder().encode('what do ya want for nothing?'),
    );
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    // RFC 5869 A.1
    const okm = await hkdfSha256(
      fromHex('000102030405060708090a0b0c'),
      new Uint8Array(22).fill(0x0b),
      fromHex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('hmacSha256Each and hkdfSha256AesKey give the bytes of hmacSha256 and hkdfSha256', async () => {
    const key = new Uint8Array(32).fill(7);
    const data = [Uint8Array.of(2), Uint8Array.of(1), new Uint8Array(0)];
    const each = await hmacSha256Each(key, data);
    expect(each).toEqual(await Promise.all(data.map((d) => hmacSha256(key, d))));

    const [salt, ikm, info] = [new Uint8Array(32), new Uint8Array(32).fill(3), Uint8Array.of(4, 5)];
    const okm = await hkdfSha256(salt, ikm, info, 44);
    const { key: aes, rest } = await hkdfSha256AesKey(salt, ikm, info, 44);
    expect(rest).toEqual(okm.slice(32));
    const nonce = new Uint8Array(12).fill(9);
    const pt = Uint8Array.of(1, 2, 3);
    expect(await aesGcmEncrypt(aes, nonce, pt, Uint8Array.of(6))).toEqual(
      await aesGcmEncrypt(okm.slice(0, 32), nonce, pt, Uint8Array.of(6)),
    );
    await expect(hkdfSha256AesKey(salt, ikm, info, 32)).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
  });

  it('AES-GCM round trip; any failure is E_DECRYPT', async () => {
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12).fill(2);
    const ct = await aesGcmEncrypt(key, nonce, new Uint8Array([1, 2, 3]), new Uint8Array([9]));
    expect(await aesGcmDecrypt(key, nonce, ct, new Uint8Array([9]))).toEqual(new Uint8Array([1, 2, 3]));
    await expect(aesGcmDecrypt(key, nonce, ct, new Uint8Array([8]))).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
    await expect(aesGcmDecrypt(key, nonce, ct.subarray(0, 10), new Uint8Array(0))).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
  });

  it('ML-KEM-768 round trip', async () => {
    const k = kemGenerate();
    const { ciphertext, sharedSecret } = await kemEncapsulate(k.publicKey);
    expect(ciphertext.length).toBe(1088);
    expect(await kemDecapsulate(k.seed, ciphertext)).toEqual(sharedSecret);
    await expect(kemEncapsulate(new Uint8Array(1184).fill(0xff))).rejects.toMatchObject({
      code: 'E_BAD_INPUT',
    });
  });
});

describe('runtime', () => {
  it('is the one the vitest project promises', () => {
    const want = expectedRuntime();
    if (want !== undefined) expect(RUNTIME).toBe(want);
    else expect(RUNTIME).not.toBe('chromium');
  });
});

describe('backends agree', () => {
  it('@noble and the default backend derive the same public keys', async () => {
    expect((await signingKeyFromSeed(seed)).publicKey).toEqual(ed25519.getPublicKey(seed));
    expect((await dhKeyFromPrivate(aPriv)).publicKey).toEqual(x25519.getPublicKey(aPriv));
  });
});
