// Tests docs/protocol.md §6.2: chunk crypto recomputed independently with @noble (a fixed vector, both
// backends), and properties: any reorder, truncation, extension, bit flip, other file or lied-about size
// is detected.
import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import {
  chunkCount,
  chunkLength,
  decryptChunk,
  encryptChunk,
  importFileKey,
  type FileParams,
} from './file-stream.js';
import { describeBackends } from './testing.js';

const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const noncePrefix = fromHex('a0a1a2a3a4a5a6');
const fileId = fromHex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
const CHUNK = 65_536;
const base = { key, noncePrefix, fileId, chunk: CHUNK };
const bytes = (n: number, seed = 1): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ChattorError ? e.code : String(e)),
  );

/** The construction written out with @noble alone: nonce = prefix || u32 i || last, AAD per §6.2. */
function nobleChunk(size: number, index: number, plaintext: Uint8Array): Uint8Array {
  const n = Math.max(1, Math.ceil(size / CHUNK));
  const nonce = concatBytes(
    noncePrefix,
    fromHex(index.toString(16).padStart(8, '0')),
    Uint8Array.of(index === n - 1 ? 1 : 0),
  );
  const label = utf8.encode('chattor/v1/file-chunk');
  const tail = fromHex(index.toString(16).padStart(8, '0') + size.toString(16).padStart(16, '0'));
  const aad = concatBytes(Uint8Array.of(label.length), label, fileId, tail);
  return gcm(key, nonce, aad).encrypt(plaintext);
}

describeBackends('file chunks', () => {
  it('match the construction recomputed with @noble, and a pinned vector', async () => {
    const size = CHUNK + 100;
    const p: FileParams = { ...base, size };
    for (const i of [0, 1]) {
      const pt = bytes(chunkLength(p, i), i);
      expect(toHex(await encryptChunk(p, i, pt))).toBe(toHex(nobleChunk(size, i, pt)));
    }
    // Pinned: the last chunk (100 bytes) of a 65,636-byte file, ciphertext || tag.
    expect(toHex(await encryptChunk(p, 1, bytes(100, 1)))).toBe(
      'e826ffb77db620e54d47d6e12ae81a990614f3d15876126f190f6157d0f0003815aa3f28aae1b26b1f829ab1d66e90e9' +
        '8c09b344095f8e0d988c146a78b4c1f64edd3c34f068a9af1695aea275d21d4fe3368cde000ba29733b827d53b8214' +
        '7bb6162bb9f7ed447fb5174bd0f31c7511b509f2b4',
    );
  });

  it('round-trips with a CryptoKey and with raw bytes, for sizes around chunk edges', async () => {
    const ck = await importFileKey(key);
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK]) {
      for (const k of [key, ck]) {
        const p: FileParams = { ...base, key: k, size };
        for (let i = 0; i < chunkCount(size, CHUNK); i++) {
          const pt = bytes(chunkLength(p, i), i);
          expect(await decryptChunk(p, i, await encryptChunk(p, i, pt))).toEqual(pt);
        }
      }
    }
  });
});

describe('file chunk tampering', () => {
  const size = 3 * CHUNK + 10;
  const p: FileParams = { ...base, size };
  const chunks = Promise.all(
    Array.from({ length: chunkCount(size, CHUNK) }, (_, i) =>
      encryptChunk(p, i, bytes(chunkLength(p, i), i)),
    ),
  );

  it('detects a chunk at another index (reorder) and a non-last chunk passed off as last', async () => {
    const c = await chunks;
    await fc.assert(
      fc.asyncProperty(fc.nat(3), fc.nat(3), async (from, to) => {
        fc.pre(from !== to);
        const r = await code(decryptChunk(p, to, c[from]!));
        expect(['E_DECRYPT', 'E_BAD_INPUT']).toContain(r);
      }),
    );
    // Truncation: the file declared with fewer chunks makes chunk 2 the "last" one: it fails.
    expect(await code(decryptChunk({ ...p, size: 3 * CHUNK }, 2, c[2]!))).toBe('E_DECRYPT');
  });

  it('detects a lied-about size, another file id, extension and any bit flip', async () => {
    const c = await chunks;
    expect(await code(decryptChunk({ ...p, size: size + 1 }, 0, c[0]!))).toBe('E_DECRYPT');
    expect(await code(decryptChunk({ ...p, fileId: new Uint8Array(16) }, 0, c[0]!))).toBe('E_DECRYPT');
    expect(await code(decryptChunk(p, 4, c[3]!))).toBe('E_BAD_INPUT');
    expect(await code(decryptChunk(p, 3, concatBytes(c[3]!, Uint8Array.of(0))))).toBe('E_BAD_INPUT');
    await fc.assert(
      fc.asyncProperty(fc.nat(3), fc.nat(), async (i, bit) => {
        const bad = c[i]!.slice();
        const b = bit % (bad.length * 8);
        bad[b >> 3]! ^= 1 << (b & 7);
        expect(await code(decryptChunk(p, i, bad))).toBe('E_DECRYPT');
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a plaintext of the wrong length and out-of-range parameters', async () => {
    expect(await code(encryptChunk(p, 0, bytes(10)))).toBe('E_BAD_INPUT');
    expect(await code(encryptChunk({ ...p, chunk: 1000 }, 0, bytes(1000)))).toBe('E_BAD_INPUT');
    expect(await code(encryptChunk({ ...p, size: -1 }, 0, bytes(CHUNK)))).toBe('E_BAD_INPUT');
  });
});
