// Tests docs/protocol.md §3.4: vectors (both backends, SK recomputed with @noble alone), round trips,
// uniform failure on Bob's side.
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../util/bytes.js';
import { encodeRatchetState } from './ratchet-state.js';
import { ratchetDecrypt, ratchetEncrypt } from './ratchet.js';
import { describeBackends, flipBit, loadVectors, makeParty } from './testing.js';
import { runX3dhVector, type X3dhVectorInput } from './vectors.js';
import {
  decodeInitialMessage,
  encodeInitialMessage,
  PQXDH_INFO,
  X3DH_INFO,
  x3dhInitiate,
  x3dhRespond,
} from './x3dh.js';

const { cases } = (await loadVectors('x3dh')) as {
  cases: { input: X3dhVectorInput; output: Record<string, string> }[];
};
const hello = utf8.encode('hello');

describeBackends('x3dh vectors', () => {
  it.each(cases.map((c) => [c.input.name, c] as const))('%s reproduces', async (_, c) => {
    expect(await runX3dhVector(c.input)).toEqual(c.output);
  });
});

describe('x3dh vectors, recomputed with @noble only', () => {
  it.each(cases.map((c) => [c.input.name, c] as const))('%s', (_, { input, output }) => {
    const ek = fromHex(input.aliceDraws[0]!);
    const spk = x25519.getPublicKey(fromHex(input.bob.signedPrekeyPrivate));
    const dhs = [
      x25519.getSharedSecret(fromHex(input.alice.dhPrivate), spk),
      x25519.getSharedSecret(ek, x25519.getPublicKey(fromHex(input.bob.dhPrivate))),
      x25519.getSharedSecret(ek, spk),
    ];
    if (input.bob.oneTimePrekeyPrivate)
      dhs.push(x25519.getSharedSecret(ek, x25519.getPublicKey(fromHex(input.bob.oneTimePrekeyPrivate))));
    let ss: Uint8Array | undefined;
    if (input.bob.kemSeed) {
      const ct = decodeInitialMessage(fromHex(output.initialMessage!)).kemCiphertext!;
      ss = ml_kem768.decapsulate(ct, ml_kem768.keygen(fromHex(input.bob.kemSeed)).secretKey);
      expect(toHex(ss)).toBe(output.ss);
    }
    const ikm = concatBytes(new Uint8Array(32).fill(0xff), ...dhs, ...(ss ? [ss] : []));
    const info = utf8.encode(ss ? PQXDH_INFO : X3DH_INFO);
    expect(toHex(hkdf(sha256, ikm, new Uint8Array(32), info, 32))).toBe(output.sk);
  });
});

describeBackends('x3dh', () => {
  it.each([
    ['X3DH without one-time prekey', false, 0],
    ['X3DH with one-time prekey', false, 1],
    ['PQXDH with one-time prekey', true, 1],
  ] as const)('%s: a session both ways', async (_, kem, oneTime) => {
    const alice = await makeParty('Alice');
    const bob = await makeParty('Bob', { kem, oneTime });
    const init = await x3dhInitiate({ identity: alice.identity, theirCard: bob.card, plaintext: hello });
    const m = decodeInitialMessage(init.initialMessage);
    expect(m.oneTimePrekeyId !== undefined).toBe(oneTime > 0);
    expect(m.kemCiphertext !== undefined).toBe(kem);
    expect(encodeInitialMessage(m)).toEqual(init.initialMessage);
    const resp = await x3dhRespond({
      identity: bob.identity,
      initialMessage: init.initialMessage,
      prekeys: bob.prekeys,
    });
    expect(resp.plaintext).toEqual(hello);
    expect(resp.ad).toEqual(init.ad);
    expect(resp.message.signingPublic).toEqual(alice.identity.signing.publicKey);
    encodeRatchetState(resp.state); // serialisable once the first message is in
    const reply = await ratchetEncrypt(resp.state, utf8.encode('hi'));
    expect(utf8.decode((await ratchetDecrypt(init.state, reply.message)).plaintext)).toBe('hi');
  });

  it('every flipped bit of an initial message is rejected with the same E_DECRYPT', async () => {
    const alice = await makeParty('Alice');
    const bob = await makeParty('Bob', { kem: true, oneTime: 1 });
    const { initialMessage } = await x3dhInitiate({
      identity: alice.identity,
      theirCard: bob.card,
      plaintext: hello,
    });
    await fc.assert(
      fc.asyncProperty(fc.nat(initialMessage.length * 8 - 1), async (bit) => {
        const tampered = flipBit(initialMessage, bit);
        await expect(
          x3dhRespond({ identity: bob.identity, initialMessage: tampered, prekeys: bob.prekeys }),
        ).rejects.toMatchObject({ code: 'E_DECRYPT', message: 'message could not be decrypted' });
      }),
      { numRuns: 60 },
    );
  });

  it('low-order ephemeral keys, unknown prekeys and a foreign KEM are all E_DECRYPT', async () => {
    const alice = await makeParty('Alice');
    const bob = await makeParty('Bob', { kem: true, oneTime: 1 });
    const { initialMessage } = await x3dhInitiate({
      identity: alice.identity,
      theirCard: bob.card,
      plaintext: hello,
    });
    const m = decodeInitialMessage(initialMessage);
    const variants = [
      { ...m, ephemeralPublic: new Uint8Array(32) },
      { ...m, ephemeralPublic: fromHex('0100000000000000000000000000000000000000000000000000000000000000') },
      { ...m, ephemeralPublic: flipBit(m.ephemeralPublic, 255) }, // same key under RFC 7748 masking
      { ...m, signedPrekeyId: (m.signedPrekeyId + 1) >>> 0 },
      { ...m, oneTimePrekeyId: undefined },
    ];
    for (const v of variants)
      await expect(
        x3dhRespond({
          identity: bob.identity,
          initialMessage: encodeInitialMessage(v),
          prekeys: bob.prekeys,
        }),
      ).rejects.toMatchObject({ code: 'E_DECRYPT' });
    const noKem = { ...bob.prekeys, kemPrekey: () => undefined };
    await expect(
      x3dhRespond({ identity: bob.identity, initialMessage, prekeys: noKem }),
    ).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
    await expect(
      x3dhRespond({ identity: bob.identity, initialMessage: new Uint8Array(3), prekeys: noKem }),
    ).rejects.toMatchObject({
      code: 'E_DECRYPT',
    });
  });

  it('refuses to start from a forged card', async () => {
    const alice = await makeParty('Alice');
    const bob = await makeParty('Bob');
    const forged = {
      ...bob.card,
      signedPrekey: { ...bob.card.signedPrekey, id: bob.card.signedPrekey.id ^ 1 },
    };
    await expect(
      x3dhInitiate({ identity: alice.identity, theirCard: forged, plaintext: hello }),
    ).rejects.toMatchObject({
      code: 'E_SIGNATURE',
    });
  });
});
