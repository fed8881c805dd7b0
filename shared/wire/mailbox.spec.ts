import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChattorError } from '../util/errors.js';
import { FrameKind } from './frame.js';
import {
  BUCKETS,
  DEPOSIT_HEADER,
  ENVELOPES_MAX_BODY,
  FETCH_MAX_KEYS,
  MbxErrorCode,
  TOKEN_BYTES,
  decodeDeleted,
  decodeDelete,
  decodeDeposit,
  decodeEnvelopes,
  decodeFetch,
  decodeIssue,
  decodeIssued,
  decodeMailboxReply,
  decodeMailboxRequest,
  decodeMbxError,
  decodeStored,
  encodeDelete,
  encodeDeleted,
  encodeDeposit,
  encodeEnvelopes,
  encodeFetch,
  encodeIssue,
  encodeIssued,
  encodeMbxError,
  encodeStored,
  envelopesBodySize,
  isBucketSize,
  mbxErrorName,
} from './mailbox.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const small = <T>(arb: fc.Arbitrary<T>, min: number, max: number) =>
  fc.array(arb, { minLength: min, maxLength: max });
const bucket = (sizes: readonly number[] = [1024]) =>
  fc.constantFrom(...sizes).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

interface Codec<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  encode: (b: T) => Uint8Array;
  decode: (b: Uint8Array) => unknown;
}
const codec = <T>(c: Codec<T>): Codec<unknown> => c as Codec<unknown>;

// Small counts keep the all-truncations loops quick; the limits have tests of their own below.
const CODECS: Codec<unknown>[] = [
  codec({
    name: 'ISSUE',
    arb: fc.record({ cap: bytes(32), blinded: small(bytes(32), 1, 5) }),
    encode: encodeIssue,
    decode: decodeIssue,
  }),
  codec({
    name: 'ISSUED',
    arb: fc.record({
      keyId: bytes(8),
      publicKey: bytes(32),
      evaluated: small(bytes(32), 1, 5),
      proof: bytes(64),
    }),
    encode: encodeIssued,
    decode: decodeIssued,
  }),
  codec({
    // 1 KiB envelopes: a DEPOSIT cut down to a smaller bucket would still decode (the envelope is the
    // rest of the body); with the smallest bucket every cut is a non-bucket size.
    name: 'DEPOSIT',
    arb: fc.record({ keyId: bytes(8), token: bytes(TOKEN_BYTES), mid: bytes(16), envelope: bucket() }),
    encode: encodeDeposit,
    decode: decodeDeposit,
  }),
  codec({
    name: 'FETCH',
    arb: fc.record({ max: fc.integer({ min: 1, max: 1000 }), fetchKeys: small(bytes(32), 1, 6) }),
    encode: encodeFetch,
    decode: decodeFetch,
  }),
  codec({
    name: 'ENVELOPES',
    arb: small(
      fc.record({
        index: fc.integer({ min: 0, max: FETCH_MAX_KEYS - 1 }),
        storedAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        envelope: bucket(),
      }),
      0,
      3,
    ).chain((envelopes) =>
      fc.record({
        more: envelopes.length > 0 ? fc.boolean() : fc.constant(false),
        envelopes: fc.constant(envelopes),
      }),
    ),
    encode: encodeEnvelopes,
    decode: (b) => decodeEnvelopes(b),
  }),
  codec({
    name: 'DELETE',
    arb: fc.record({
      items: small(fc.record({ fetchKey: bytes(32), envelopeHash: bytes(16) }), 1, 6),
    }),
    encode: encodeDelete,
    decode: decodeDelete,
  }),
  codec({
    name: 'DELETED',
    arb: fc.record({ count: fc.nat({ max: 0xffffffff }) }),
    encode: encodeDeleted,
    decode: decodeDeleted,
  }),
  codec({
    name: 'STORED',
    arb: fc.constant({}),
    encode: () => encodeStored(),
    decode: decodeStored,
  }),
];

function rejects(decode: (b: Uint8Array) => unknown, body: Uint8Array): boolean {
  try {
    decode(body);
    return false;
  } catch (e) {
    if (!isChattorError(e, 'E_FRAME_MALFORMED')) throw e;
    return true;
  }
}

const deepBytes = (x: unknown): unknown =>
  x instanceof Uint8Array
    ? Array.from(x)
    : Array.isArray(x)
      ? x.map(deepBytes)
      : typeof x === 'object' && x !== null
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, deepBytes(v)]))
        : x;

describe('mailbox bodies (§5.5)', () => {
  for (const c of CODECS) {
    describe(c.name, () => {
      it('round-trips', () => {
        fc.assert(
          fc.property(c.arb, (b) => {
            expect(deepBytes(c.decode(c.encode(b)))).toEqual(deepBytes(b));
          }),
          { numRuns: 60 },
        );
      });

      it('rejects every truncation and every extension', () => {
        fc.assert(
          fc.property(c.arb, fc.uint8Array({ minLength: 1, maxLength: 8 }), (b, extra) => {
            const body = c.encode(b);
            for (let n = 0; n < body.length; n++) expect(rejects(c.decode, body.subarray(0, n))).toBe(true);
            const longer = new Uint8Array(body.length + extra.length);
            longer.set(body);
            longer.set(extra, body.length);
            expect(rejects(c.decode, longer)).toBe(true);
          }),
          { numRuns: 15 },
        );
      });

      it('throws only E_FRAME_MALFORMED on random bytes', () => {
        fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => void (rejects(c.decode, b) || true)));
      });
    });
  }

  it('MBX_ERROR round-trips, cuts long reasons on a character boundary, refuses bad ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffff }), fc.string({ maxLength: 300 }), (code, reason) => {
        const d = decodeMbxError(encodeMbxError({ code, reason }));
        expect(d.code).toBe(code);
        expect(reason.startsWith(d.reason)).toBe(true);
        expect(new TextEncoder().encode(d.reason).length).toBeLessThanOrEqual(200);
      }),
    );
    expect(decodeMbxError(encodeMbxError({ code: MbxErrorCode.QUOTA, reason: 'full' }))).toEqual({
      code: 4,
      reason: 'full',
    });
    expect(() => decodeMbxError(new Uint8Array([0]))).toThrow(/truncated at code/);
    expect(() => decodeMbxError(new Uint8Array([0, 0]))).toThrow(/code 0/);
    expect(() => decodeMbxError(new Uint8Array([0, 1, 0xff]))).toThrow(/UTF-8/);
    expect(() => decodeMbxError(new Uint8Array(2 + 201).fill(0x61))).toThrow(/exceeds 200/);
    expect(() => encodeMbxError({ code: 0, reason: '' })).toThrow(/code/);
    expect(mbxErrorName(7)).toBe('BAD_SIZE');
    expect(mbxErrorName(99)).toBeUndefined();
  });

  it('refuses counts outside their ranges, naming the field', () => {
    const issue = (n: number) => {
      const b = new Uint8Array(34 + n * 32);
      new DataView(b.buffer).setUint16(32, n);
      return b;
    };
    expect(decodeIssue(issue(64)).blinded).toHaveLength(64);
    expect(() => decodeIssue(issue(0))).toThrow(/ISSUE: n 0 is outside 1..64/);
    expect(() => decodeIssue(issue(65))).toThrow(/n 65/);
    expect(() => encodeIssue({ cap: new Uint8Array(32), blinded: [] })).toThrow(/blinded/);

    const fetch = (max: number, n: number) => {
      const b = new Uint8Array(4 + n * 32);
      new DataView(b.buffer).setUint16(0, max);
      new DataView(b.buffer).setUint16(2, n);
      return b;
    };
    expect(decodeFetch(fetch(1000, 4096)).fetchKeys).toHaveLength(4096);
    expect(() => decodeFetch(fetch(0, 1))).toThrow(/max 0/);
    expect(() => decodeFetch(fetch(1001, 1))).toThrow(/max 1001/);
    expect(() => decodeFetch(fetch(1, 0))).toThrow(/n 0/);
    expect(() => decodeFetch(fetch(1, 4097))).toThrow(/n 4097/);
    expect(() => encodeFetch({ max: 1.5, fetchKeys: [new Uint8Array(32)] })).toThrow(/max/);

    const del = (n: number) => {
      const b = new Uint8Array(2 + n * 48);
      new DataView(b.buffer).setUint16(0, n);
      return b;
    };
    expect(decodeDelete(del(4096)).items).toHaveLength(4096);
    expect(() => decodeDelete(del(0))).toThrow(/n 0/);
    expect(() => decodeDelete(del(4097))).toThrow(/n 4097/);
  });

  it('accepts only bucket sizes for envelopes', () => {
    expect(BUCKETS).toEqual([1024, 4096, 16384, 65536, 131072]);
    for (const n of [0, 1, 1023, 1025, 2048, 131071, 131073, 262144]) expect(isBucketSize(n)).toBe(false);
    const deposit = (n: number) => new Uint8Array(DEPOSIT_HEADER + n);
    for (const n of BUCKETS) expect(decodeDeposit(deposit(n)).envelope).toHaveLength(n);
    expect(() => decodeDeposit(deposit(0))).toThrow(/DEPOSIT: envelope of 0 bytes is not a bucket size/);
    expect(() => decodeDeposit(deposit(2000))).toThrow(/2000 bytes/);
    const fields = { keyId: new Uint8Array(8), token: new Uint8Array(96), mid: new Uint8Array(16) };
    expect(() => encodeDeposit({ ...fields, envelope: new Uint8Array(1000) })).toThrow(/bucket size/);
    expect(() =>
      encodeDeposit({ ...fields, token: new Uint8Array(95), envelope: new Uint8Array(1024) }),
    ).toThrow(/token must be 96 bytes/);
  });

  it('checks ENVELOPES flags, sizes, times and indexes', () => {
    const one = { index: 2, storedAt: 1_700_000_000_000, envelope: new Uint8Array(1024) };
    const body = encodeEnvelopes({ more: true, envelopes: [one] });
    expect(body.length).toBe(envelopesBodySize([1024]));
    expect(decodeEnvelopes(body, 3).envelopes[0]!.index).toBe(2);
    expect(() => decodeEnvelopes(body, 2)).toThrow(/index\[0\] 2 names no fetch key/);
    const flag = body.slice();
    flag[0] = 2;
    expect(() => decodeEnvelopes(flag)).toThrow(/more must be 0 or 1/);
    expect(() => decodeEnvelopes(new Uint8Array([1, 0, 0]))).toThrow(/more is set on an empty page/);
    expect(() => encodeEnvelopes({ more: true, envelopes: [] })).toThrow(/more/);
    const late = body.slice();
    new DataView(late.buffer).setUint32(5, 0x200000); // storedAt ≥ 2^53
    expect(() => decodeEnvelopes(late)).toThrow(/storedAt\[0\] exceeds/);
    const odd = body.slice();
    new DataView(odd.buffer).setUint32(13, 1000);
    expect(() => decodeEnvelopes(odd)).toThrow(/length\[0\] 1000 is not a bucket size/);

    // 960 KiB: seven 128 KiB envelopes fit, eight do not.
    const big = (n: number) =>
      Array.from({ length: n }, () => ({ index: 0, storedAt: 0, envelope: new Uint8Array(131072) }));
    const seven = encodeEnvelopes({ more: false, envelopes: big(7) });
    expect(seven.length).toBeLessThanOrEqual(ENVELOPES_MAX_BODY);
    expect(decodeEnvelopes(seven).envelopes).toHaveLength(7);
    expect(() => encodeEnvelopes({ more: false, envelopes: big(8) })).toThrow(/exceeds/);
    const tooBig = new Uint8Array(ENVELOPES_MAX_BODY + 1);
    expect(() => decodeEnvelopes(tooBig)).toThrow(/body exceeds/);
  });

  it('decodes by kind', () => {
    const req = decodeMailboxRequest(
      FrameKind.FETCH,
      encodeFetch({ max: 5, fetchKeys: [new Uint8Array(32)] }),
    );
    expect(req.kind).toBe(FrameKind.FETCH);
    const reply = decodeMailboxReply(FrameKind.DELETED, encodeDeleted({ count: 3 }));
    expect(reply).toEqual({ kind: FrameKind.DELETED, body: { count: 3 } });
    expect(decodeMailboxReply(FrameKind.STORED, new Uint8Array())).toEqual({
      kind: FrameKind.STORED,
      body: {},
    });
    expect(() => decodeMailboxReply(FrameKind.STORED, new Uint8Array(1))).toThrow(/STORED: 1 trailing bytes/);
  });
});
