// Tests docs/protocol.md §4.1–4.2 codecs: round trips, canonical form, strictness, vectors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../util/bytes.js';
import { BodyType, decodeBody, encodeHandleBody, encodeMsgBody } from './body.js';
import { decodePayload, encodePayload, PAD_BLOCK, type Payload } from './payload.js';

const hexId = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(''));
const text = (min: number, max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: min, maxLength: max })
    .filter((s) => [...s].length <= max && [...s].length >= min);
const time = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({
    t: fc.constant('msg' as const),
    id: hexId,
    seq: fc.integer({ min: 1, max: 2 ** 40 }),
    sentAt: time,
    body: text(1, 200),
  }),
  fc.record({
    t: fc.constant('receipt' as const),
    ids: fc.uniqueArray(hexId, { minLength: 1, maxLength: 100 }),
    state: fc.constantFrom('delivered' as const, 'read' as const),
  }),
  fc.record({ t: fc.constant('removed' as const), id: hexId }),
  fc.record({ t: fc.constant('resend' as const) }),
  fc.record({
    t: fc.constant('file-get' as const),
    id: hexId,
    file: hexId,
    from: fc.nat({ max: 2 ** 32 - 1 }),
  }),
  fc.record({ t: fc.constant('file-ack' as const), file: hexId, next: fc.nat({ max: 2 ** 32 - 1 }) }),
  fc.record({ t: fc.constant('file-done' as const), id: hexId, file: hexId }),
  fc.record({
    t: fc.constantFrom('accept' as const, 'card' as const),
    id: hexId,
    card: fc.base64String().map((s) => s.replace(/[=+/]/g, 'A') || 'AA'),
  }),
);

function withJson(json: string): Uint8Array {
  const b = utf8.encode(json);
  const out = new Uint8Array((Math.floor(b.length / PAD_BLOCK) + 1) * PAD_BLOCK);
  out.set(b);
  out[b.length] = 0x80;
  return out;
}

describe('payload codec (§4.2)', () => {
  it('decode(encode(p)) = p, padded to 64-byte blocks', () => {
    fc.assert(
      fc.property(payload, (p) => {
        const bytes = encodePayload(p);
        expect(bytes.length % PAD_BLOCK).toBe(0);
        expect(decodePayload(bytes)).toEqual(p);
      }),
    );
  });

  it('rejects a flipped bit anywhere (or decodes to the same canonical bytes)', () => {
    fc.assert(
      fc.property(payload, fc.nat(), (p, bit) => {
        const bytes = encodePayload(p);
        const i = Math.floor(bit / 8) % bytes.length;
        const flipped = bytes.slice();
        flipped[i] = flipped[i]! ^ (1 << (bit % 8));
        try {
          const q = decodePayload(flipped);
          expect(encodePayload(q)).toEqual(flipped); // only a different valid payload can decode
        } catch (e) {
          expect(e).toMatchObject({ code: 'E_BAD_INPUT' });
        }
      }),
    );
  });

  it('rejects non-canonical and invalid payloads', () => {
    const id = 'ab'.repeat(16);
    const bad = [
      `{"id":"${id}","t":"removed"}`, // member order
      `{"t":"removed", "id":"${id}"}`, // whitespace
      `{"t":"removed","id":"${id}","x":1}`, // extra member
      `{"t":"removed","id":"${id.toUpperCase()}"}`,
      `{"t":"msg","id":"${id}","seq":0,"sentAt":1,"body":"x"}`,
      `{"t":"msg","id":"${id}","seq":1,"sentAt":1.5,"body":"x"}`,
      `{"t":"msg","id":"${id}","seq":1,"sentAt":1,"body":""}`,
      `{"t":"msg","id":"${id}","seq":1,"sentAt":1,"body":"\\ud800"}`,
      `{"t":"msg","id":"${id}","seq":1,"sentAt":1,"body":"${'x'.repeat(8001)}"}`,
      `{"t":"receipt","ids":["${id}","${id}"],"state":"read"}`,
      `{"t":"receipt","ids":[],"state":"read"}`,
      `{"t":"receipt","ids":["${id}"],"state":"seen"}`,
      `{"t":"hello","id":"${id}"}`,
      `[1]`,
      `null`,
    ];
    for (const json of bad) expect(() => decodePayload(withJson(json)), json).toThrow(/payload/);
    const ok = withJson(`{"t":"removed","id":"${id}"}`);
    expect(decodePayload(ok)).toEqual({ t: 'removed', id });
    expect(() => decodePayload(ok.subarray(0, ok.length - 1))).toThrow();
    const extraBlock = new Uint8Array(ok.length + PAD_BLOCK);
    extraBlock.set(ok);
    expect(() => decodePayload(extraBlock)).toThrow(/padding/);
  });
});

describe('DATA body codec (§4.1)', () => {
  it('MSG round trip and strict lengths', () => {
    const sid = new Uint8Array(16).fill(7);
    const msg = new Uint8Array(56).fill(1);
    const b = encodeMsgBody(sid, msg);
    expect([...b.subarray(0, 2)]).toEqual([1, BodyType.MSG]);
    expect(decodeBody(b)).toEqual({ type: 'MSG', sessionId: sid, message: msg });
    expect(() => decodeBody(b.subarray(0, b.length - 1))).toThrow(/length/);
    expect(() => decodeBody(Uint8Array.of(2, 2, ...b.subarray(2)))).toThrow(/version/);
    expect(() => decodeBody(Uint8Array.of(1, 5, ...b.subarray(2)))).toThrow(/type/);
    expect(() => decodeBody(Uint8Array.of(1, 1, 0))).toThrow();
  });

  it('HANDLE bodies (§8.4): SUBMIT and RESULT, nothing else, never empty', () => {
    const b = encodeHandleBody('SUBMIT', Uint8Array.of(9, 9));
    expect([...b]).toEqual([1, BodyType.HANDLE, 1, 9, 9]);
    expect(decodeBody(b)).toEqual({ type: 'HANDLE', op: 'SUBMIT', data: Uint8Array.of(9, 9) });
    expect(decodeBody(encodeHandleBody('RESULT', Uint8Array.of(1)))).toMatchObject({ op: 'RESULT' });
    expect(() => decodeBody(Uint8Array.of(1, 4, 3, 0))).toThrow(/op/);
    expect(() => decodeBody(Uint8Array.of(1, 4, 1))).toThrow(/length/);
    expect(() => encodeHandleBody('SUBMIT', new Uint8Array(0))).toThrow(/length/);
  });

  it('zk payloads (§8.3) are strict', () => {
    const c = '1'.padStart(64, '0');
    expect(decodePayload(encodePayload({ t: 'zk-join', id: 'a'.repeat(32), commitment: c }))).toMatchObject({
      commitment: c,
    });
    expect(() => encodePayload({ t: 'zk-join', id: 'a'.repeat(32), commitment: 'F'.repeat(64) })).toThrow();
    const poll = {
      t: 'zk-poll' as const,
      id: 'a'.repeat(32),
      gid: 'b'.repeat(32),
      poll: 'c'.repeat(32),
      q: 'why?',
      opts: ['yes', 'no'],
      closes: 5,
      tally: [0, 1],
    };
    expect(decodePayload(encodePayload(poll))).toEqual(poll);
    expect(() => encodePayload({ ...poll, tally: [0] })).toThrow(/tally/);
    expect(() => encodePayload({ ...poll, opts: ['yes', 'yes'], tally: [0, 0] })).toThrow(/opts/);
  });
});
