// Implements docs/protocol.md §3.7: writes a vector file to stdout from fixed inputs. Run once, commit:
//   npx tsx shared/crypto/make-vectors.ts x3dh > test/vectors/x3dh.json
//   npx tsx shared/crypto/make-vectors.ts ratchet > test/vectors/ratchet.json
// A dev script, imported by nothing; it reaches Node's `process` through globalThis so that shared/
// still type-checks without Node's types (tsconfig.web.json).
import { toHex } from '../util/bytes.js';
import {
  fixedBytes,
  runRatchetVector,
  runX3dhVector,
  type RatchetVectorInput,
  type X3dhVectorInput,
} from './vectors.js';

const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const h = (lbl: string, n = 32): string => toHex(fixedBytes(lbl, n));

function x3dhInput(name: string, opk: boolean, pq: boolean): X3dhVectorInput {
  return {
    name,
    now: NOW,
    alice: { signingSeed: h('alice/IKs'), dhPrivate: h('alice/IKd'), deviceSeed: h('alice/DK') },
    bob: {
      signingSeed: h('bob/IKs'),
      dhPrivate: h('bob/IKd'),
      deviceSeed: h('bob/DK'),
      displayName: 'Bob ✓',
      contactOnionKey: h('bob/onion'),
      signedPrekeyId: 7,
      signedPrekeyPrivate: h('bob/SPK'),
      ...(opk ? { oneTimePrekeyId: 8, oneTimePrekeyPrivate: h('bob/OPK') } : {}),
      ...(pq ? { kemPrekeyId: 9, kemSeed: h('bob/PQSPK', 64) } : {}),
    },
    aliceDraws: [
      h(`${name}/alice/EK`),
      ...(pq ? [h(`${name}/alice/kem-m`)] : []),
      h(`${name}/alice/ratchet0`),
    ],
    bobDraws: [h(`${name}/bob/ratchet0`)],
    plaintext: `hello from ${name}`,
  };
}

async function x3dh(): Promise<unknown> {
  const cases = [
    x3dhInput('x3dh', false, false),
    x3dhInput('x3dh-opk', true, false),
    x3dhInput('pqxdh-opk', true, true),
  ];
  return {
    description:
      "docs/protocol.md §3.4. Inputs are hex; aliceDraws are, in order, EK_A, [ML-KEM encapsulation randomness m], Alice's first ratchet key; bobDraws is Bob's first ratchet key. The card's createdAt is now − 60 s.",
    cases: await Promise.all(cases.map(async (input) => ({ input, output: await runX3dhVector(input) }))),
  };
}

async function ratchet(): Promise<unknown> {
  const input: RatchetVectorInput = {
    now: NOW,
    sk: h('ratchet/SK'),
    ad: h('ratchet/AD', 130),
    bobRatchetPrivate: h('ratchet/bob/SPK'),
    aliceDraws: [h('ratchet/alice/0'), h('ratchet/alice/1'), h('ratchet/alice/2')],
    bobDraws: [h('ratchet/bob/0'), h('ratchet/bob/1')],
    steps: [
      { send: 'alice', plaintext: 'a0' },
      { send: 'alice', plaintext: 'a1' },
      { send: 'alice', plaintext: 'a2' },
      { receive: 'bob', message: 0 },
      { receive: 'bob', message: 2 },
      { send: 'bob', plaintext: 'b0' },
      { receive: 'alice', message: 3 },
      { send: 'alice', plaintext: 'a3' },
      { receive: 'bob', message: 4 },
      { receive: 'bob', message: 1 },
      { send: 'bob', plaintext: 'b1' },
      { receive: 'alice', message: 5 },
    ],
  };
  return {
    description:
      "docs/protocol.md §3.5. Alice starts with SK and Bob's ratchet public key; messages[i] is the i-th sent message; states[j] is the acting party's encodeRatchetState after step j.",
    input,
    output: await runRatchetVector(input),
  };
}

const proc = (globalThis as unknown as { process: { argv: string[]; stdout: { write(s: string): void } } })
  .process;
const which = proc.argv[2];
const result = which === 'x3dh' ? await x3dh() : which === 'ratchet' ? await ratchet() : undefined;
if (result === undefined) throw new Error('usage: make-vectors.ts x3dh|ratchet');
proc.stdout.write(JSON.stringify(result, null, 2) + '\n');
