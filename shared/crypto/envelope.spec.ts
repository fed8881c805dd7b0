// Tests docs/protocol.md §5.3: envelopes round-trip in every bucket, hide the body length within a
// bucket, and refuse a wrong key, a wrong mailbox id, any bit flip and any non-bucket size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChattorError } from '../util/errors.js';
import {
  ENVELOPE_BUCKETS,
  generateMailboxKey,
  MAX_ENVELOPE_BODY,
  openEnvelope,
  sealEnvelope,
} from './envelope.js';

const mid = new Uint8Array(16).fill(7);
const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ChattorError ? e.code : String(e)),
  );

describe('envelope', () => {
  const r = generateMailboxKey();

  it('round-trips bodies of every bucket and pads to the bucket', async () => {
    for (const n of [0, 1, 900, 1000, 4000, 16000, 60000, MAX_ENVELOPE_BODY]) {
      const body = new Uint8Array(n).map((_, i) => i & 0xff);
      const { envelope, envelopeId } = await sealEnvelope(r.publicKey, mid, body);
      expect(ENVELOPE_BUCKETS).toContain(envelope.length);
      const opened = await openEnvelope([r.privateKey], mid, envelope);
      expect(opened.body).toEqual(body);
      expect(opened.envelopeId).toEqual(envelopeId);
    }
  });

  it('gives bodies of one bucket the same size', async () => {
    const a = await sealEnvelope(r.publicKey, mid, new Uint8Array(10));
    const b = await sealEnvelope(r.publicKey, mid, new Uint8Array(900));
    expect(a.envelope.length).toBe(b.envelope.length);
  });

  it('refuses a body larger than the largest bucket', async () => {
    expect(await code(sealEnvelope(r.publicKey, mid, new Uint8Array(MAX_ENVELOPE_BODY + 1)))).toBe(
      'E_BAD_INPUT',
    );
  });

  it('opens with an older key kept beside the current one', async () => {
    const old = generateMailboxKey();
    const { envelope } = await sealEnvelope(old.publicKey, mid, new Uint8Array(5));
    expect((await openEnvelope([r.privateKey, old.privateKey], mid, envelope)).body.length).toBe(5);
  });

  it('refuses another key, another mailbox id and a non-bucket size', async () => {
    const { envelope } = await sealEnvelope(r.publicKey, mid, new Uint8Array(5));
    expect(await code(openEnvelope([generateMailboxKey().privateKey], mid, envelope))).toBe('E_DECRYPT');
    expect(await code(openEnvelope([r.privateKey], new Uint8Array(16), envelope))).toBe('E_DECRYPT');
    expect(await code(openEnvelope([r.privateKey], mid, envelope.subarray(1)))).toBe('E_BAD_INPUT');
    expect(await code(openEnvelope([r.privateKey], mid, new Uint8Array(2048)))).toBe('E_BAD_INPUT');
  });

  it('detects any bit flip', async () => {
    const { envelope } = await sealEnvelope(r.publicKey, mid, new Uint8Array(100).fill(1));
    await fc.assert(
      fc.asyncProperty(fc.nat(envelope.length * 8 - 1), async (bit) => {
        const bad = envelope.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(await code(openEnvelope([r.privateKey], mid, bad))).toBe('E_DECRYPT');
      }),
      { numRuns: 60 },
    );
  });
});
