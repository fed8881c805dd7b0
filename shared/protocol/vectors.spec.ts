// Tests docs/protocol.md §4.1–4.3 against the committed vectors (test/vectors/protocol.json).
import { describe, expect, it } from 'vitest';
import { fromHex } from '../util/bytes.js';
import { decodeBody } from './body.js';
import { makeProtocolVectors } from './make-vectors.js';
import { decodePayload, type Payload } from './payload.js';

interface Vectors {
  payloads: { payload: Payload; bytes: string }[];
  msgBody: { sessionId: string; message: string; body: string };
}

async function load(): Promise<Vectors> {
  const url = new URL('../../test/vectors/protocol.json', import.meta.url).href;
  const mod = (await import(/* @vite-ignore */ url, { with: { type: 'json' } })) as { default: Vectors };
  return mod.default;
}

describe('protocol vectors (§4)', () => {
  it('the committed file matches the generator (no drift)', async () => {
    expect(await makeProtocolVectors()).toEqual(await load());
  });

  it('payload and body bytes decode to the listed values', async () => {
    const v = await load();
    for (const p of v.payloads) expect(decodePayload(fromHex(p.bytes))).toEqual(p.payload);
    expect(decodeBody(fromHex(v.msgBody.body))).toEqual({
      type: 'MSG',
      sessionId: fromHex(v.msgBody.sessionId),
      message: fromHex(v.msgBody.message),
    });
  });
});
