// Tests docs/protocol.md §3.5: vectors on both backends; properties of the Double Ratchet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../util/bytes.js';
import { dhKeyFromPrivate, generateDhKey, importStorageKey } from './primitives.js';
import { decodeRatchetState, encodeRatchetState, openState, sealState } from './ratchet-state.js';
import {
  initRatchetAlice,
  initRatchetBob,
  MAX_SKIP,
  MAX_SKIPPED_TOTAL,
  ratchetDecrypt,
  ratchetEncrypt,
  SKIPPED_KEY_TTL_MS,
  type RatchetState,
} from './ratchet.js';
import { describeBackends, flipBit, loadVectors } from './testing.js';
import { runRatchetVector, type RatchetVectorInput } from './vectors.js';

const vectors = (await loadVectors('ratchet')) as {
  input: RatchetVectorInput;
  output: { messages: string[]; states: string[]; received: string[] };
};
const E_DECRYPT = { code: 'E_DECRYPT', message: 'message could not be decrypted' };
const enc = (s: RatchetState): string => toHex(encodeRatchetState(s));

async function pair(): Promise<{ alice: RatchetState; bob: RatchetState }> {
  const sk = crypto.getRandomValues(new Uint8Array(32));
  const ad = crypto.getRandomValues(new Uint8Array(130));
  const bobKey = await generateDhKey();
  const alice = await initRatchetAlice({ sk, ad, theirRatchetKey: bobKey.publicKey });
  return { alice, bob: initRatchetBob({ sk, ad, ownRatchetKey: bobKey }) };
}

async function sendMany(
  s: RatchetState,
  n: number,
): Promise<{ state: RatchetState; messages: Uint8Array[] }> {
  const messages: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = await ratchetEncrypt(s, utf8.encode(`m${i}`));
    s = r.state;
    messages.push(r.message);
  }
  return { state: s, messages };
}

describeBackends('ratchet vectors', () => {
  it('reproduces test/vectors/ratchet.json', async () => {
    expect(await runRatchetVector(vectors.input)).toEqual(vectors.output);
  });
  it('state encodings round-trip', () => {
    for (const hex of vectors.output.states) expect(enc(decodeRatchetState(fromHex(hex)))).toBe(hex);
  });
});

describeBackends('ratchet', () => {
  it('any message decrypts exactly once, in any order; replays fail and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 12 })
          .chain((n) => fc.tuple(fc.shuffledSubarray([...Array(n).keys()], { minLength: n }), fc.nat(n - 1))),
        async ([order, replay]) => {
          let { alice, bob } = await pair();
          const sent = await sendMany(alice, order.length);
          alice = sent.state;
          for (const i of order) {
            const r = await ratchetDecrypt(bob, sent.messages[i]!);
            expect(utf8.decode(r.plaintext)).toBe(`m${i}`);
            bob = r.state;
          }
          const before = enc(bob);
          await expect(ratchetDecrypt(bob, sent.messages[replay]!)).rejects.toMatchObject(E_DECRYPT);
          expect(enc(bob)).toBe(before);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a conversation under any schedule delivers everything (model test)', async () => {
    type Op = { t: 'send'; from: 0 | 1 } | { t: 'deliver'; pick: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant('send' as const), from: fc.constantFrom(0 as const, 1 as const) }),
      fc.record({ t: fc.constant('deliver' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const { alice, bob } = await pair();
        const st: RatchetState[] = [alice, bob];
        const pending: { to: 0 | 1; msg: Uint8Array; text: string }[] = [];
        let bobHasReceived = false;
        let k = 0;
        const deliver = async (i: number): Promise<void> => {
          const [p] = pending.splice(i, 1);
          const r = await ratchetDecrypt(st[p!.to]!, p!.msg);
          expect(utf8.decode(r.plaintext)).toBe(p!.text);
          st[p!.to] = r.state;
          if (p!.to === 1) bobHasReceived = true;
        };
        for (const o of ops) {
          if (o.t === 'send') {
            if (o.from === 1 && !bobHasReceived) continue; // Bob has no sending chain yet
            const text = `t${k++}`;
            const r = await ratchetEncrypt(st[o.from]!, utf8.encode(text));
            st[o.from] = r.state;
            pending.push({ to: o.from === 0 ? 1 : 0, msg: r.message, text });
          } else if (pending.length > 0) await deliver(o.pick % pending.length);
        }
        while (pending.length > 0) await deliver(0);
      }),
      { numRuns: 30 },
    );
  });

  it('a flipped bit never decrypts and leaves the state unchanged', async () => {
    let { alice, bob } = await pair();
    const first = await ratchetEncrypt(alice, utf8.encode('first'));
    bob = (await ratchetDecrypt(bob, first.message)).state;
    alice = first.state;
    const reply = await ratchetEncrypt(bob, utf8.encode('reply')); // a new DH ratchet step for Alice
    await fc.assert(
      fc.asyncProperty(fc.nat(reply.message.length * 8 - 1), async (bit) => {
        const before = enc(alice);
        await expect(ratchetDecrypt(alice, flipBit(reply.message, bit))).rejects.toMatchObject(E_DECRYPT);
        expect(enc(alice)).toBe(before);
      }),
      { numRuns: 100 },
    );
    expect(utf8.decode((await ratchetDecrypt(alice, reply.message)).plaintext)).toBe('reply');
  });

  it(`skipping more than MAX_SKIP = ${MAX_SKIP} fails cleanly; exactly MAX_SKIP works`, async () => {
    const p = await pair();
    const sent = await sendMany(p.alice, MAX_SKIP + 3);
    const before = enc((await ratchetDecrypt(p.bob, sent.messages[0]!)).state);
    const bob = decodeRatchetState(fromHex(before)); // nr = 1
    await expect(ratchetDecrypt(bob, sent.messages[MAX_SKIP + 2]!)).rejects.toMatchObject(E_DECRYPT);
    expect(enc(bob)).toBe(before);
    const ok = await ratchetDecrypt(bob, sent.messages[MAX_SKIP + 1]!);
    expect(utf8.decode(ok.plaintext)).toBe(`m${MAX_SKIP + 1}`);
    expect(ok.state.skipped).toHaveLength(MAX_SKIP);
  });

  it('skipped keys expire after SKIPPED_KEY_TTL and are capped at MAX_SKIPPED_TOTAL', async () => {
    let { alice, bob } = await pair();
    const t0 = 1_000_000;
    const sent = await sendMany(alice, 3);
    alice = sent.state;
    bob = (await ratchetDecrypt(bob, sent.messages[2]!, { now: () => t0 })).state;
    expect(bob.skipped.map((k) => k.n)).toEqual([0, 1]);
    const late = { now: () => t0 + SKIPPED_KEY_TTL_MS };
    await expect(ratchetDecrypt(bob, sent.messages[0]!, late)).rejects.toMatchObject(E_DECRYPT);
    const inTime = await ratchetDecrypt(bob, sent.messages[0]!, { now: () => t0 + SKIPPED_KEY_TTL_MS - 1 });
    expect(inTime.state.skipped).toHaveLength(1);

    // Three receiving chains of MAX_SKIP skipped keys each: the oldest chain is dropped.
    let s = { alice, bob };
    const firstOfChain: Uint8Array[] = [];
    for (let chain = 0; chain < 3; chain++) {
      const m = await sendMany(s.alice, MAX_SKIP + 1);
      firstOfChain.push(m.messages[0]!);
      const b = (await ratchetDecrypt(s.bob, m.messages[MAX_SKIP]!, { now: () => t0 })).state;
      const reply = await ratchetEncrypt(b, utf8.encode('ack'));
      s = { bob: reply.state, alice: (await ratchetDecrypt(m.state, reply.message)).state };
    }
    expect(s.bob.skipped).toHaveLength(MAX_SKIPPED_TOTAL);
    await expect(ratchetDecrypt(s.bob, firstOfChain[0]!, { now: () => t0 })).rejects.toMatchObject(E_DECRYPT);
    expect(utf8.decode((await ratchetDecrypt(s.bob, firstOfChain[2]!, { now: () => t0 })).plaintext)).toBe(
      'm0',
    );
    expect(encodeRatchetState(s.bob).length).toBeLessThan(160_000);
  }, 60_000);

  it('state encoding is strict', async () => {
    const { alice } = await pair();
    const bytes = encodeRatchetState(alice);
    expect(enc(decodeRatchetState(bytes))).toBe(toHex(bytes));
    expect(() => decodeRatchetState(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeRatchetState(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    const badFlags = bytes.slice();
    badFlags[1] = badFlags[1]! | 0x80;
    expect(() => decodeRatchetState(badFlags)).toThrow(/reserved/);
  });

  it('sealed state: round trip, bound to its context, tamper-evident', async () => {
    const { alice } = await pair();
    for (const key of [
      crypto.getRandomValues(new Uint8Array(32)),
      await importStorageKey(new Uint8Array(32).fill(3)),
    ]) {
      const ctx = utf8.encode('session-1');
      const sealed = await sealState(key, alice, ctx);
      expect(enc(await openState(key, sealed, ctx))).toBe(enc(alice));
      await expect(openState(key, sealed, utf8.encode('session-2'))).rejects.toMatchObject(E_DECRYPT);
      await expect(openState(key, flipBit(sealed, 200), ctx)).rejects.toMatchObject(E_DECRYPT);
    }
  });
});

describe('ratchet with a vault prekey', () => {
  it("Bob's state holding a CryptoKey prekey cannot be encoded until the first message", async () => {
    const spk = await dhKeyFromPrivate(crypto.getRandomValues(new Uint8Array(32)), { nonExtractable: true });
    const sk = new Uint8Array(32);
    const bob = initRatchetBob({ sk, ad: new Uint8Array(0), ownRatchetKey: spk });
    expect(() => encodeRatchetState(bob)).toThrow(expect.objectContaining({ code: 'E_STATE' }));
    const alice = await initRatchetAlice({ sk, ad: new Uint8Array(0), theirRatchetKey: spk.publicKey });
    const m = await ratchetEncrypt(alice, utf8.encode('x'));
    encodeRatchetState((await ratchetDecrypt(bob, m.message)).state);
  });
});
