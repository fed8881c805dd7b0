import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChattorError } from '../util/errors.js';
import { utf8 } from '../util/bytes.js';
import { crc32 } from './crc32.js';
import {
  FRAME_OVERHEAD,
  FrameKind,
  MAX_BODY,
  MAX_FRAME,
  PeerErrorCode,
  decodeErrorBody,
  decodeFrame,
  encodeErrorFrame,
  encodeFrame,
  isMailboxReplyKind,
  isMailboxRequestKind,
  peerErrorFor,
  reasonBytes,
} from './frame.js';
import { LocalOp, decodeLocalBinary, encodeLocalBinary } from './local-binary.js';

const kindArb = fc.constantFrom(...Object.values(FrameKind));
const frameArb = fc.record({
  kind: kindArb,
  stream: fc.nat({ max: 0xffffffff }),
  body: fc.uint8Array({ maxLength: 300 }),
});

function rejects(bytes: Uint8Array): boolean {
  try {
    decodeFrame(bytes);
    return false;
  } catch (e) {
    return isChattorError(e);
  }
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(utf8.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });
});

describe('frame codec', () => {
  it('round-trips any frame', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const d = decodeFrame(encodeFrame(f));
        expect(d.kind).toBe(f.kind);
        expect(d.stream).toBe(f.stream);
        expect(Array.from(d.body)).toEqual(Array.from(f.body));
      }),
    );
  });

  it('rejects every truncation and every extension', () => {
    fc.assert(
      fc.property(frameArb, fc.uint8Array({ minLength: 1, maxLength: 8 }), (f, extra) => {
        const bytes = encodeFrame(f);
        for (let n = 0; n < bytes.length; n++) expect(rejects(bytes.subarray(0, n))).toBe(true);
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        expect(rejects(longer)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects every single bit flip', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const bytes = encodeFrame(f);
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          const copy = bytes.slice();
          copy[bit >> 3]! ^= 1 << (bit & 7);
          expect(rejects(copy)).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('never throws anything but a ChattorError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void (rejects(b) || decodeFrame(b))));
  });

  it('enforces the size limit on both sides', () => {
    expect(() =>
      encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array(MAX_BODY + 1) }),
    ).toThrow(/exceeds/);
    const max = encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array(MAX_BODY) });
    expect(max.length).toBe(MAX_FRAME);
    expect(decodeFrame(max).body.length).toBe(MAX_BODY);
    try {
      decodeFrame(new Uint8Array(MAX_FRAME + 1));
      expect.unreachable();
    } catch (e) {
      expect(peerErrorFor(e)).toBe(PeerErrorCode.TOO_LARGE);
    }
  });

  it('reports a wrong version as such', () => {
    const bytes = encodeFrame({ kind: FrameKind.DATA, stream: 1, body: new Uint8Array([1, 2]) });
    bytes[0] = 2;
    // Re-seal the checksum so only the version is wrong.
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4));
    expect(() => decodeFrame(bytes)).toThrow(/version/);
  });

  it('rejects bad arguments with the field name', () => {
    expect(() => encodeFrame({ kind: 9 as FrameKind, stream: 0, body: new Uint8Array() })).toThrow(/kind/);
    expect(() => encodeFrame({ kind: FrameKind.DATA, stream: -1, body: new Uint8Array() })).toThrow(/stream/);
  });

  it('carries error frames', () => {
    const f = decodeFrame(encodeErrorFrame(PeerErrorCode.RATE_LIMITED, 'slow down', 7));
    expect(f.kind).toBe(FrameKind.ERROR);
    expect(f.stream).toBe(7);
    expect(decodeErrorBody(f.body)).toEqual({ code: PeerErrorCode.RATE_LIMITED, reason: 'slow down' });
    const long = decodeFrame(encodeErrorFrame(PeerErrorCode.MALFORMED, 'x'.repeat(500)));
    expect(decodeErrorBody(long.body).reason.length).toBe(200);
    expect(() => decodeErrorBody(new Uint8Array([0]))).toThrow(/length/);
    expect(() => decodeErrorBody(new Uint8Array([0, 1, 0xff]))).toThrow(/UTF-8/);
    expect(FRAME_OVERHEAD).toBe(14);
    const accents = decodeFrame(encodeErrorFrame(PeerErrorCode.MALFORMED, 'é'.repeat(150)));
    expect(decodeErrorBody(accents.body).reason).toBe('é'.repeat(100));
    expect(reasonBytes('aé', 2)).toEqual(new Uint8Array([0x61]));
  });

  it('knows the mailbox kinds of §5.5, requests apart from replies', () => {
    const requests = [0x10, 0x11, 0x12, 0x13];
    const replies = [0x18, 0x19, 0x1a, 0x1b, 0x1f];
    for (let kind = 0; kind < 256; kind++) {
      expect(isMailboxRequestKind(kind)).toBe(requests.includes(kind));
      expect(isMailboxReplyKind(kind)).toBe(replies.includes(kind));
    }
    for (const kind of [...requests, ...replies])
      expect(
        decodeFrame(encodeFrame({ kind: kind as FrameKind, stream: 9, body: new Uint8Array() })).kind,
      ).toBe(kind);
    // The rest of 0x10–0x1f stays unknown until the protocol names it.
    for (const kind of [0x14, 0x17, 0x1c, 0x1e, 0x20])
      expect(() => encodeFrame({ kind: kind as FrameKind, stream: 0, body: new Uint8Array() })).toThrow(
        /unknown/,
      );
  });
});

describe('local binary messages', () => {
  it('round-trips and rejects bad input', () => {
    const frame = encodeFrame({ kind: FrameKind.DATA, stream: 0, body: new Uint8Array([9]) });
    const m = decodeLocalBinary(encodeLocalBinary(LocalOp.FrameReceived, 4000000000, frame));
    expect(m.op).toBe(LocalOp.FrameReceived);
    expect(m.link).toBe(4000000000);
    expect(Array.from(m.frame)).toEqual(Array.from(frame));
    expect(() => decodeLocalBinary(new Uint8Array([1, 0, 0]))).toThrow(/truncated/);
    expect(() => decodeLocalBinary(new Uint8Array([7, 0, 0, 0, 0]))).toThrow(/op/);
    expect(() => encodeLocalBinary(LocalOp.SendFrame, -1, frame)).toThrow(/link/);
  });
});
