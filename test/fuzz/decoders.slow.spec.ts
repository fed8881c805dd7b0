// Mutation fuzzing of every decoder that reads peer input (issue: hardening §3): peer frames, local-link
// binary frames, mailbox requests and replies, message bodies, payloads, contact cards, X3DH initial
// messages, ratchet headers, social items and contributions, their inner content, zk membership proofs,
// tor control-port replies, and sealed envelopes (through openEnvelope). Over 10^6 inputs in all.
// Each input starts from a valid encoding (or random bytes) and is mutated: bit flips, boundary bytes,
// random u32 written over length fields, insertions, deletions, truncation, extension and splices.
// A decoder may return or throw a ChattorError; anything else (TypeError, RangeError, a hang, memory
// that keeps growing) fails the run. The PRNG is seeded, so a failure names an input that reproduces.
import { describe, expect, it } from 'vitest';
import { decodeContactCard, encodeContactCard } from '../../shared/crypto/contact-card.js';
import { generateMailboxKey, openEnvelope, sealEnvelope } from '../../shared/crypto/envelope.js';
import { generateSigningKey } from '../../shared/crypto/primitives.js';
import { decodeHeader, encodeHeader } from '../../shared/crypto/ratchet.js';
import {
  decodeContribution,
  decodeInner,
  decodeItem,
  encodeInner,
  sealItem,
  signContribution,
} from '../../shared/crypto/social-item.js';
import { makeParty } from '../../shared/crypto/testing.js';
import { decodeInitialMessage, x3dhInitiate } from '../../shared/crypto/x3dh.js';
import { decodeBody, encodeMsgBody, encodeRequestBody, encodeChunkBody } from '../../shared/protocol/body.js';
import { decodePayload, encodePayload } from '../../shared/protocol/payload.js';
import {
  decodeContribJson,
  decodeInnerContent,
  encodeInnerContent,
} from '../../shared/protocol/social-content.js';
import { isChattorError } from '../../shared/util/errors.js';
import { utf8 } from '../../shared/util/bytes.js';
import {
  decodeFrame,
  encodeFrame,
  encodeErrorFrame,
  FrameKind,
  PeerErrorCode,
} from '../../shared/wire/frame.js';
import { decodeLocalBinary, encodeLocalBinary, LocalOp } from '../../shared/wire/local-binary.js';
import { decodeMailboxReply, decodeMailboxRequest } from '../../shared/wire/mailbox.js';
import { decodeMembershipProof, MEMBERSHIP_PROOF_BYTES } from '../../shared/zk/membership.js';
import { createReplyParser } from '../../gateway/tor/reply-parser.js';
import { prng } from '../support/prng.js';

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function mutate(seeds: readonly Uint8Array[], next: () => number): Uint8Array {
  const pick = (n: number) => next() % Math.max(1, n);
  if (pick(50) === 0) return Uint8Array.from({ length: pick(600) }, () => next() & 0xff);
  let b = Uint8Array.from(seeds[pick(seeds.length)]!);
  for (let rounds = 1 + pick(4); rounds > 0; rounds--) {
    const at = pick(b.length + 1);
    switch (pick(8)) {
      case 0:
        if (b.length) b[pick(b.length)]! ^= 1 << pick(8);
        break;
      case 1:
        if (b.length) b[pick(b.length)] = BOUNDARY[pick(BOUNDARY.length)]!;
        break;
      case 2: {
        // A random or extreme u32 over what may be a length or counter field.
        if (b.length < 4) break;
        const v = [0, 0xffffffff, 0x7fffffff, next(), b.length, b.length + 1][pick(6)]!;
        new DataView(b.buffer).setUint32(pick(b.length - 3), v);
        break;
      }
      case 3:
        b = Uint8Array.from([
          ...b.subarray(0, at),
          ...Array.from({ length: 1 + pick(16) }, () => next() & 0xff),
          ...b.subarray(at),
        ]);
        break;
      case 4:
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + 1 + pick(32)))]);
        break;
      case 5:
        b = b.subarray(0, pick(b.length + 1)).slice();
        break;
      case 6: {
        const other = seeds[pick(seeds.length)]!;
        const from = pick(other.length);
        b = Uint8Array.from([...b.subarray(0, at), ...other.subarray(from, from + 1 + pick(64))]);
        break;
      }
      default:
        b = Uint8Array.from([...b, ...Array.from({ length: 1 + pick(64) }, () => next() & 0xff)]);
    }
  }
  return b;
}

interface Target {
  name: string;
  runs: number;
  seeds: Uint8Array[];
  decode: (b: Uint8Array) => unknown;
}

/** Runs one target; returns how many inputs were decoded without an error (for the report). */
function fuzz(t: Target, seed: number): number {
  const next = prng(seed);
  let accepted = 0;
  for (let i = 0; i < t.runs; i++) {
    const input = mutate(t.seeds, next);
    try {
      t.decode(input);
      accepted++;
    } catch (e) {
      if (!isChattorError(e)) {
        throw new Error(
          `${t.name}: input ${i} (seed ${seed}) threw ${(e as Error)?.name}: ${(e as Error)?.message}; input hex ${Buffer.from(input).toString('hex').slice(0, 400)}`,
          { cause: e },
        );
      }
    }
  }
  return accepted;
}

const lenient = new TextDecoder();
const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

async function targets(): Promise<Target[]> {
  const alice = await makeParty('alice');
  const bob = await makeParty('bob', { kem: true, oneTime: 2 });
  const init = await x3dhInitiate({
    identity: alice.identity,
    theirCard: bob.card,
    plaintext: utf8.encode('hi'),
  });
  const author = await generateSigningKey();
  const inner = encodeInnerContent({
    json: {
      t: 'post',
      id: 'a'.repeat(32),
      at: 1,
      edited: 0,
      text: 'hello',
      pics: [{ type: 'image/png', size: 3 }],
    },
    blobs: [Uint8Array.of(1, 2, 3)],
  });
  const item = await sealItem({
    signingKey: author.privateKey,
    author: author.publicKey,
    aid: rnd(16),
    epoch: 1,
    seq: 7,
    key: rnd(32),
    inner,
  });
  const contribJson = utf8.encode(
    JSON.stringify({
      t: 'comment',
      id: 'b'.repeat(32),
      post: 'a'.repeat(32),
      at: 2,
      name: 'bob',
      text: 'nice',
    }),
  );
  const contribution = await signContribution({
    signingKey: author.privateKey,
    by: author.publicKey,
    postAuthor: author.publicKey,
    json: utf8.decode(contribJson),
  });
  const frames = [
    encodeFrame({ kind: FrameKind.DATA, stream: 3, body: rnd(40) }),
    encodeFrame({ kind: FrameKind.ACK, stream: 0, body: new Uint8Array(0) }),
    encodeErrorFrame(PeerErrorCode.MALFORMED, 'bad frame', 1),
  ];
  const payloads = [
    encodePayload({ t: 'msg', id: 'c'.repeat(32), seq: 4, sentAt: 5, body: 'hello' } as never),
    encodePayload({ t: 'social-sync', since: 3 } as never),
    encodePayload({ t: 'receipt', ids: ['d'.repeat(32)], state: 'read' } as never),
    encodePayload({ t: 'file-done', id: 'e'.repeat(32), file: 'f'.repeat(32) }),
  ];
  const mailboxBodies = frames.map((f) => decodeFrame(f).body).concat([rnd(64), rnd(200)]);
  return [
    { name: 'peer frame', runs: 200_000, seeds: frames, decode: decodeFrame },
    {
      name: 'local-link binary',
      runs: 60_000,
      seeds: [encodeLocalBinary(LocalOp.SendFrame, 7, frames[0]!)],
      decode: decodeLocalBinary,
    },
    {
      name: 'mailbox requests',
      runs: 100_000,
      seeds: mailboxBodies,
      decode: (b) => decodeMailboxRequest(([0x10, 0x11, 0x12, 0x13] as const)[b.length % 4]!, b),
    },
    {
      name: 'mailbox replies',
      runs: 100_000,
      seeds: mailboxBodies,
      decode: (b) => decodeMailboxReply(([0x18, 0x19, 0x1a, 0x1b, 0x1f] as const)[b.length % 5]!, b),
    },
    {
      name: 'message body',
      runs: 80_000,
      seeds: [
        encodeRequestBody(init.initialMessage),
        encodeMsgBody(rnd(16), rnd(80)),
        encodeChunkBody(rnd(16), 3, rnd(60)),
      ],
      decode: decodeBody,
    },
    { name: 'payload (padded JSON)', runs: 100_000, seeds: payloads, decode: decodePayload },
    {
      name: 'contact card',
      runs: 60_000,
      seeds: [encodeContactCard(bob.card), encodeContactCard(alice.card)],
      decode: decodeContactCard,
    },
    {
      name: 'X3DH initial message',
      runs: 60_000,
      seeds: [init.initialMessage],
      decode: decodeInitialMessage,
    },
    {
      name: 'ratchet header',
      runs: 40_000,
      seeds: [encodeHeader({ dh: rnd(32), pn: 3, n: 9 })],
      decode: decodeHeader,
    },
    { name: 'social item', runs: 80_000, seeds: [item], decode: decodeItem },
    { name: 'social contribution', runs: 40_000, seeds: [contribution], decode: decodeContribution },
    {
      name: 'social inner (framing)',
      runs: 30_000,
      seeds: [inner, encodeInner('{"t":"x"}')],
      decode: decodeInner,
    },
    { name: 'social inner content', runs: 40_000, seeds: [inner], decode: decodeInnerContent },
    { name: 'contribution JSON', runs: 30_000, seeds: [contribJson], decode: decodeContribJson },
    {
      name: 'zk membership proof',
      runs: 40_000,
      seeds: [Uint8Array.from([1, ...rnd(MEMBERSHIP_PROOF_BYTES - 1).map((x) => x & 0x1f)])],
      decode: decodeMembershipProof,
    },
    {
      name: 'tor control replies',
      runs: 100_000,
      seeds: [
        utf8.encode('250-version=0.4.9.1\r\n250 OK\r\n'),
        utf8.encode('650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"\r\n'),
        utf8.encode('250+onions/current=\r\nabc\r\n.\r\n250 OK\r\n'),
        utf8.encode('552 Unrecognized key "x"\r\n'),
      ],
      // A fresh parser per input: after an error it is poisoned by design. Bytes become text as the
      // control socket makes them (setEncoding('utf8'): invalid sequences turn into U+FFFD).
      decode: (b) => createReplyParser({ maxReplyChars: 4096 }).push(lenient.decode(b)),
    },
  ];
}

describe('decoders of peer input under mutation fuzzing (≥ 10^6 inputs)', () => {
  it('never crash with anything but a ChattorError, never hang, keep memory bounded', async () => {
    const list = await targets();
    for (const t of list) expect(t.seeds.length, `${t.name} has seeds`).toBeGreaterThan(0);
    const total = list.reduce((n, t) => n + t.runs, 0);
    expect(total).toBeGreaterThanOrEqual(1_000_000);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (const [i, t] of list.entries()) fuzz(t, 0x5eed + i);
    global.gc?.();
    const grew = process.memoryUsage().heapUsed - heapBefore;
    expect(grew).toBeLessThan(128 * 2 ** 20);
  });

  it('sealed envelopes: mutated ones are refused with E_DECRYPT or E_BAD_INPUT, never opened', async () => {
    const key = generateMailboxKey();
    const mid = rnd(16);
    const { envelope: sealed } = await sealEnvelope(key.publicKey, mid, utf8.encode('secret body'));
    const next = prng(0xe17e);
    let opened = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = mutate([sealed], next);
      try {
        await openEnvelope([key.privateKey], mid, input);
        opened++;
      } catch (e) {
        if (!isChattorError(e))
          throw new Error(`openEnvelope: input ${i} threw ${(e as Error)?.name}`, { cause: e });
      }
    }
    // A mutation that changed nothing (e.g. truncating to the full length) opens; nothing else may.
    expect(opened).toBeLessThan(20_000 * 0.05);
  });
});
