// Tests docs/protocol.md §7.3–7.4: items and contributions round-trip; any flipped bit, another key,
// another author or a truncation is refused; content is strictly canonical.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInnerContent,
  decodeContribJson,
  encodeContribJson,
  encodeInnerContent,
} from '../protocol/social-content.js';
import { utf8 } from '../util/bytes.js';
import { generateSigningKey } from './primitives.js';
import {
  decodeContribution,
  decodeItem,
  encodeInner,
  MAX_ITEM,
  openItem,
  sealItem,
  signContribution,
  verifyContribution,
  verifyItem,
} from './social-item.js';

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

async function fixture(inner = utf8.encode('hello')) {
  const author = await generateSigningKey();
  const key = rnd(32);
  const item = await sealItem({
    signingKey: author.privateKey,
    author: author.publicKey,
    aid: rnd(16),
    epoch: 3,
    seq: 42,
    key,
    inner,
  });
  return { author, key, item };
}

async function accepted(bytes: Uint8Array, key: Uint8Array): Promise<boolean> {
  try {
    const it = decodeItem(bytes);
    if (!(await verifyItem(it))) return false;
    await openItem(it, key);
    return true;
  } catch {
    return false;
  }
}

describe('social items (§7.3)', () => {
  it('round-trips: decode, verify, open', async () => {
    const { key, item, author } = await fixture();
    const d = decodeItem(item);
    expect([d.epoch, d.seq]).toEqual([3, 42]);
    expect(d.author).toEqual(author.publicKey);
    expect(await verifyItem(d)).toBe(true);
    expect(utf8.decode(await openItem(d, key))).toBe('hello');
  });

  it('any flipped bit is refused (signature, decoding or decryption)', async () => {
    const { key, item } = await fixture();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: item.length * 8 - 1 }), async (bit) => {
        const b = item.slice();
        b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
        expect(await accepted(b, key)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('truncation, extension, another key and a re-signed header are refused', async () => {
    const { key, item } = await fixture();
    expect(await accepted(item.subarray(0, item.length - 1), key)).toBe(false);
    expect(await accepted(new Uint8Array([...item, 0]), key)).toBe(false);
    expect(await accepted(item, rnd(32))).toBe(false);
    await expect(openItem(decodeItem(item), rnd(32))).rejects.toMatchObject({ code: 'E_DECRYPT' });
    // another author signing the same ciphertext under its own key cannot make it decrypt elsewhere
    const other = await generateSigningKey();
    const d = decodeItem(item);
    const again = await sealItem({
      signingKey: other.privateKey,
      author: other.publicKey,
      aid: d.aid,
      epoch: 3,
      seq: 42,
      key,
      inner: utf8.encode('x'),
    });
    expect(await accepted(again, key)).toBe(true);
    const spliced = new Uint8Array([
      ...again.subarray(0, 1 + 32 + 16 + 8),
      ...item.subarray(1 + 32 + 16 + 8),
    ]);
    expect(await accepted(spliced, key)).toBe(false);
  });

  it('refuses oversized items and zero counters', async () => {
    const author = await generateSigningKey();
    const o = {
      signingKey: author.privateKey,
      author: author.publicKey,
      aid: rnd(16),
      epoch: 1,
      seq: 1,
      key: rnd(32),
    };
    await expect(sealItem({ ...o, inner: new Uint8Array(MAX_ITEM) })).rejects.toThrow(/exceeds/);
    await expect(sealItem({ ...o, seq: 0, inner: new Uint8Array(1) })).rejects.toThrow(/seq/);
    expect(() => decodeItem(new Uint8Array(MAX_ITEM + 1))).toThrow(/too large/);
  });

  it('decodes arbitrary bytes without crashing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        try {
          decodeItem(b);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('E_BAD_INPUT');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('item content (§7.3) and contributions (§7.4)', () => {
  const post = {
    t: 'post' as const,
    id: 'a'.repeat(32),
    at: 1,
    edited: 0,
    text: 'hi',
    pics: [{ type: 'image/png' as const, size: 3 }],
  };

  it('round-trips a post with its picture; refuses wrong sizes, trailing bytes and non-canonical JSON', () => {
    const bytes = encodeInnerContent({ json: post, blobs: [new Uint8Array([1, 2, 3])] });
    expect(decodeInnerContent(bytes)).toEqual({ json: post, blobs: [new Uint8Array([1, 2, 3])] });
    expect(() => encodeInnerContent({ json: post, blobs: [new Uint8Array(2)] })).toThrow(/sizes/);
    expect(() => decodeInnerContent(new Uint8Array([...bytes, 9]))).toThrow(/trailing/);
    expect(() => decodeInnerContent(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const spaced = JSON.stringify(post, null, 1);
    expect(() => decodeInnerContent(encodeInner(spaced, [new Uint8Array(3)]))).toThrow(/canonical/);
    const reordered = JSON.stringify({
      id: post.id,
      t: 'post',
      at: 1,
      edited: 0,
      text: 'hi',
      pics: post.pics,
    });
    expect(() => decodeInnerContent(encodeInner(reordered, [new Uint8Array(3)]))).toThrow(/canonical/);
  });

  it('refuses bad fields: empty post, svg, 5 pictures, long text, unknown kind', () => {
    const bad = [
      { ...post, text: ' ', pics: [] },
      { ...post, pics: [{ type: 'image/svg+xml', size: 3 }] },
      { ...post, pics: Array(5).fill({ type: 'image/png', size: 1 }) },
      { ...post, text: 'x'.repeat(5001), pics: [] },
      { ...post, t: 'poll' },
      { ...post, id: 'XYZ' },
    ];
    for (const j of bad) expect(() => decodeInnerContent(encodeInner(JSON.stringify(j)))).toThrow();
  });

  it('contributions: signature bound to the post author; tampering refused', async () => {
    const by = await generateSigningKey();
    const author = (await generateSigningKey()).publicKey;
    const json = encodeContribJson({
      t: 'comment',
      id: 'b'.repeat(32),
      post: 'a'.repeat(32),
      at: 2,
      name: 'Bob',
      text: 'nice',
    });
    const bytes = await signContribution({
      signingKey: by.privateKey,
      by: by.publicKey,
      postAuthor: author,
      json,
    });
    const c = decodeContribution(bytes);
    expect(await verifyContribution(c, author)).toBe(true);
    expect(await verifyContribution(c, (await generateSigningKey()).publicKey)).toBe(false);
    expect(decodeContribJson(c.json)).toMatchObject({ t: 'comment', text: 'nice' });
    for (let i = 0; i < bytes.length; i += 7) {
      const b = bytes.slice();
      b[i] = b[i]! ^ 0x20;
      let ok = false;
      try {
        const d = decodeContribution(b);
        ok = (await verifyContribution(d, author)) && decodeContribJson(d.json) !== undefined;
      } catch {
        ok = false;
      }
      expect(ok).toBe(false);
    }
    expect(() =>
      encodeContribJson({
        t: 'reaction',
        id: 'b'.repeat(32),
        post: 'a'.repeat(32),
        at: 2,
        name: 'Bob',
        emoji: 'angry' as never,
      }),
    ).toThrow(/emoji/);
  });
});
