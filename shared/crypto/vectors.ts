// Implements docs/protocol.md §3.7 (vectors): the runners shared by make-vectors.ts, which writes
// test/vectors/*.json, and the specs, which check that the code still reproduces them.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { ChattorError } from '../util/errors.js';
import { concatBytes, fromHex, toHex, utf8 } from '../util/bytes.js';
import { label, u32be } from './codec.js';
import { encodeContactCard as encodeCard, signContactCard, signPrekey } from './contact-card.js';
import { loadIdentity } from './identity.js';
import { kemDecapsulate, kemGenerate } from './mlkem.js';
import { onionFromPublicKey } from './onion.js';
import { dh, dhKeyFromPrivate, type Rng } from './primitives.js';
import {
  initRatchetAlice,
  initRatchetBob,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from './ratchet.js';
import { encodeRatchetState } from './ratchet-state.js';
import { decodeInitialMessage, x3dhInitiate, x3dhKdf, x3dhRespond } from './x3dh.js';

/** Fixed bytes: SHA-256("chattor/v1/vectors" || label || u32 counter) blocks. */
export function fixedBytes(lbl: string, n: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let i = 0; blocks.length * 32 < n; i++)
    blocks.push(nobleSha256(concatBytes(label(`chattor/v1/vectors${lbl}`), u32be(i))));
  return concatBytes(...blocks).slice(0, n);
}

/** Hands out the listed draws in order; a draw of the wrong size or one too many is a bug. */
export function scriptedRng(draws: readonly string[]): Rng {
  let i = 0;
  return (n) => {
    const d = draws[i++];
    if (d === undefined || d.length !== n * 2)
      throw new ChattorError('E_INTERNAL', `vector rng: draw ${i - 1} of ${n}`);
    return fromHex(d);
  };
}

export interface X3dhVectorInput {
  name: string;
  now: number;
  alice: { signingSeed: string; dhPrivate: string; deviceSeed: string };
  bob: {
    signingSeed: string;
    dhPrivate: string;
    deviceSeed: string;
    displayName: string;
    contactOnionKey: string;
    signedPrekeyId: number;
    signedPrekeyPrivate: string;
    oneTimePrekeyId?: number;
    oneTimePrekeyPrivate?: string;
    kemPrekeyId?: number;
    kemSeed?: string;
  };
  /** ephemeral key, [ML-KEM encapsulation randomness m], Alice's first ratchet key */
  aliceDraws: string[];
  /** Bob's first ratchet key */
  bobDraws: string[];
  plaintext: string;
}
export type Hex = Record<string, string>;

const secretsOf = (s: { signingSeed: string; dhPrivate: string; deviceSeed: string }) => ({
  signingSeed: fromHex(s.signingSeed),
  dhPrivate: fromHex(s.dhPrivate),
  deviceSeed: fromHex(s.deviceSeed),
});

export async function runX3dhVector(v: X3dhVectorInput): Promise<Hex> {
  const alice = await loadIdentity(secretsOf(v.alice));
  const bob = await loadIdentity(secretsOf(v.bob));
  const spk = await dhKeyFromPrivate(fromHex(v.bob.signedPrekeyPrivate));
  const opk = v.bob.oneTimePrekeyPrivate
    ? await dhKeyFromPrivate(fromHex(v.bob.oneTimePrekeyPrivate))
    : undefined;
  const kem = v.bob.kemSeed ? kemGenerate(() => fromHex(v.bob.kemSeed!)) : undefined;
  const card = await signContactCard(bob, {
    displayName: v.bob.displayName,
    contactOnion: onionFromPublicKey(fromHex(v.bob.contactOnionKey)),
    createdAt: v.now - 60_000,
    signedPrekey: await signPrekey(bob, 'x25519', v.bob.signedPrekeyId, spk.publicKey),
    ...(kem ? { kemPrekey: await signPrekey(bob, 'ml-kem-768', v.bob.kemPrekeyId!, kem.publicKey) } : {}),
    oneTimePrekeys: opk ? [{ id: v.bob.oneTimePrekeyId!, publicKey: opk.publicKey }] : [],
  });
  const init = await x3dhInitiate({
    identity: alice,
    theirCard: card,
    plaintext: utf8.encode(v.plaintext),
    rng: scriptedRng(v.aliceDraws),
    now: v.now,
  });
  const resp = await x3dhRespond({
    identity: bob,
    initialMessage: init.initialMessage,
    prekeys: {
      signedPrekey: (id) => (id === v.bob.signedPrekeyId ? spk : undefined),
      oneTimePrekey: (id) => (id === v.bob.oneTimePrekeyId ? opk : undefined),
      kemPrekey: (id) => (id === v.bob.kemPrekeyId ? kem : undefined),
    },
    rng: scriptedRng(v.bobDraws),
    now: () => v.now,
  });
  if (utf8.decode(resp.plaintext) !== v.plaintext)
    throw new ChattorError('E_INTERNAL', 'vector: plaintext mismatch');
  // Intermediate values, computed separately from the handshake code.
  const ek = fromHex(v.aliceDraws[0]!);
  const dhs = [
    await dh(alice.dh.privateKey, spk.publicKey),
    await dh(ek, bob.dh.publicKey),
    await dh(ek, spk.publicKey),
    ...(opk ? [await dh(ek, opk.publicKey)] : []),
  ];
  const m = decodeInitialMessage(init.initialMessage);
  const ss = kem && m.kemCiphertext ? await kemDecapsulate(kem.seed, m.kemCiphertext) : null;
  const out: Hex = { card: toHex(encodeCard(card)) };
  dhs.forEach((d, i) => (out[`dh${i + 1}`] = toHex(d)));
  if (ss) out.ss = toHex(ss);
  out.sk = toHex(await x3dhKdf(dhs, ss));
  out.ad = toHex(init.ad);
  out.initialMessage = toHex(init.initialMessage);
  out.aliceState = toHex(encodeRatchetState(init.state));
  out.bobState = toHex(encodeRatchetState(resp.state));
  return out;
}

export interface RatchetVectorInput {
  now: number;
  sk: string;
  ad: string;
  bobRatchetPrivate: string;
  aliceDraws: string[];
  bobDraws: string[];
  steps: ({ send: 'alice' | 'bob'; plaintext: string } | { receive: 'alice' | 'bob'; message: number })[];
}

export async function runRatchetVector(
  v: RatchetVectorInput,
): Promise<{ messages: string[]; states: string[]; received: string[] }> {
  const bobKey = await dhKeyFromPrivate(fromHex(v.bobRatchetPrivate));
  const rng = { alice: scriptedRng(v.aliceDraws), bob: scriptedRng(v.bobDraws) };
  const st: Record<'alice' | 'bob', RatchetState> = {
    alice: await initRatchetAlice({
      sk: fromHex(v.sk),
      ad: fromHex(v.ad),
      theirRatchetKey: bobKey.publicKey,
      rng: rng.alice,
    }),
    bob: initRatchetBob({ sk: fromHex(v.sk), ad: fromHex(v.ad), ownRatchetKey: bobKey }),
  };
  const messages: string[] = [];
  const states: string[] = [];
  const received: string[] = [];
  for (const step of v.steps) {
    const who = 'send' in step ? step.send : step.receive;
    if ('send' in step) {
      const r = await ratchetEncrypt(st[who], utf8.encode(step.plaintext));
      st[who] = r.state;
      messages.push(toHex(r.message));
    } else {
      const r = await ratchetDecrypt(st[who], fromHex(messages[step.message]!), {
        rng: rng[who],
        now: () => v.now,
      });
      st[who] = r.state;
      received.push(utf8.decode(r.plaintext));
    }
    states.push(toHex(encodeRatchetState(st[who])));
  }
  return { messages, states, received };
}
