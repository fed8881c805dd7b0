import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeHash, fetchKey, mailboxId } from '../../shared/mailbox/ids.js';
import {
  blindTokens,
  finalizeTokens,
  generateTokenKey,
  keyIdOf,
  parseOkey,
} from '../../shared/mailbox/tokens.js';
import { toBase64Url, toHex } from '../../shared/util/bytes.js';
import { FrameKind, decodeFrame } from '../../shared/wire/frame.js';
import type { MailboxRequestKind } from '../../shared/wire/frame.js';
import {
  MbxErrorCode,
  decodeDeleted,
  decodeEnvelopes,
  decodeIssued,
  decodeMbxError,
  encodeDelete,
  encodeDeposit,
  encodeFetch,
  encodeIssue,
} from '../../shared/wire/mailbox.js';
import { memoryLogger } from '../log.js';
import { MailboxService } from './service.js';
import { DAY_MS, MailboxStore } from './store.js';
import type { MailboxLimits } from './store.js';
import { clock, envelope, mintTokens, rand, tempDir } from './testing.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

const ONION = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx';

function setup(limits: Partial<MailboxLimits> = {}) {
  const tmp = tempDir();
  const c = clock();
  const store = MailboxStore.open({ dataDir: tmp.dir, now: c.now, limits });
  cleanup.push(() => {
    store.close();
    tmp.remove();
  });
  const log = memoryLogger();
  const service = new MailboxService({ store, log });
  let stream = 1;
  /** Sends one request; returns the reply frame's kind, stream and body. */
  const request = (kind: MailboxRequestKind, body: Uint8Array, s = stream++) => {
    const reply = decodeFrame(service.handle(kind, s, body));
    expect(reply.stream).toBe(s);
    return reply;
  };
  const errorCode = (kind: MailboxRequestKind, body: Uint8Array) => {
    const r = request(kind, body);
    expect(r.kind).toBe(FrameKind.MBX_ERROR);
    return decodeMbxError(r.body).code;
  };
  const tokens = (n: number) => mintTokens(store.tokenKey, n);
  const deposit = (token: Uint8Array, mid: Uint8Array, env = envelope(), keyId = store.tokenKey.keyId) =>
    request(FrameKind.DEPOSIT, encodeDeposit({ keyId, token, mid, envelope: env }));
  return { store, service, log, clock: c, request, errorCode, tokens, deposit };
}

describe('mailbox service', () => {
  it('issues tokens to an open account only, within the day’s allowance', () => {
    const { store, request, errorCode, clock: c } = setup({ issuePerDay: 100 });
    const cap = rand(32);
    const state = blindTokens(60);
    expect(errorCode(FrameKind.ISSUE, encodeIssue({ cap, blinded: state.blinded }))).toBe(
      MbxErrorCode.BAD_CAPABILITY,
    );

    store.openAccount(sha256(cap));
    const r = request(FrameKind.ISSUE, encodeIssue({ cap, blinded: state.blinded }));
    expect(r.kind).toBe(FrameKind.ISSUED);
    const issued = decodeIssued(r.body);
    // The client checks the reply against the okey it was given in `holding`.
    const okey = parseOkey(new Uint8Array([...store.tokenKey.keyId, ...store.tokenKey.publicKey]));
    expect(toHex(issued.keyId)).toBe(toHex(okey.keyId));
    const minted = finalizeTokens(state, issued.evaluated, issued.proof, okey.publicKey);
    expect(minted).toHaveLength(60);

    const more = blindTokens(41);
    expect(errorCode(FrameKind.ISSUE, encodeIssue({ cap, blinded: more.blinded }))).toBe(MbxErrorCode.QUOTA);
    // A bad element is MALFORMED and does not count against the allowance.
    const bad = [...blindTokens(39).blinded, new Uint8Array(32)];
    expect(errorCode(FrameKind.ISSUE, encodeIssue({ cap, blinded: bad }))).toBe(MbxErrorCode.MALFORMED);
    expect(request(FrameKind.ISSUE, encodeIssue({ cap, blinded: blindTokens(40).blinded })).kind).toBe(
      FrameKind.ISSUED,
    );
    c.advance(DAY_MS);
    expect(request(FrameKind.ISSUE, encodeIssue({ cap, blinded: blindTokens(64).blinded })).kind).toBe(
      FrameKind.ISSUED,
    );
    store.closeAccount(sha256(cap));
    expect(errorCode(FrameKind.ISSUE, encodeIssue({ cap, blinded: blindTokens(1).blinded }))).toBe(
      MbxErrorCode.BAD_CAPABILITY,
    );
  });

  it('stores a deposit paid with a valid token, and refuses forged, foreign and replayed ones', () => {
    const { store, deposit, tokens } = setup();
    const mid = rand(16);
    const [good, spare] = tokens(2);
    expect(deposit(good!, mid).kind).toBe(FrameKind.STORED);
    expect(store.stats().envelopes).toBe(1);

    const code = (r: ReturnType<typeof deposit>) => decodeMbxError(r.body).code;
    // Replay: the same token again, even for another envelope.
    expect(code(deposit(good!, mid))).toBe(MbxErrorCode.TOKEN_SPENT);
    // Forged: random bytes.
    expect(code(deposit(rand(96), mid))).toBe(MbxErrorCode.BAD_CAPABILITY);
    // A genuine token of another holder's key, presented under our keyId.
    const other = generateTokenKey();
    const foreign = mintTokens(other, 1)[0]!;
    expect(code(deposit(foreign, mid))).toBe(MbxErrorCode.BAD_CAPABILITY);
    // ... or under its own keyId.
    expect(code(deposit(foreign, mid, envelope(), keyIdOf(other.publicKey)))).toBe(MbxErrorCode.UNKNOWN_KEY);
    // A tampered token.
    const tampered = spare!.slice();
    tampered[40]! ^= 1;
    expect(code(deposit(tampered, mid))).toBe(MbxErrorCode.BAD_CAPABILITY);
    // The untampered spare still works: nothing above consumed it.
    expect(deposit(spare!, mid).kind).toBe(FrameKind.STORED);
    expect(store.stats().envelopes).toBe(2);
  });

  it('refuses a duplicate envelope and a full mailbox without spending the token', () => {
    const { deposit, tokens } = setup({ maxPerMid: 1 });
    const [t1, t2, t3] = tokens(3);
    const mid = rand(16);
    const env = envelope();
    expect(deposit(t1!, mid, env).kind).toBe(FrameKind.STORED);
    const dup = deposit(t2!, rand(16), env);
    expect(decodeMbxError(dup.body).code).toBe(MbxErrorCode.DUPLICATE);
    const full = deposit(t2!, mid);
    expect(decodeMbxError(full.body).code).toBe(MbxErrorCode.QUOTA);
    // t2 was refused twice but never spent; another mid takes it.
    expect(deposit(t2!, rand(16)).kind).toBe(FrameKind.STORED);
    expect(deposit(t3!, rand(16)).kind).toBe(FrameKind.STORED);
  });

  it('answers BAD_SIZE for an envelope that is not a bucket size', () => {
    const { store, errorCode, tokens } = setup();
    const [t] = tokens(1);
    const head = new Uint8Array([...store.tokenKey.keyId, ...t!, ...rand(16)]);
    for (const size of [0, 1000, 1025, 2048, 131073]) {
      const body = new Uint8Array(head.length + size);
      body.set(head);
      expect(errorCode(FrameKind.DEPOSIT, body)).toBe(MbxErrorCode.BAD_SIZE);
    }
    expect(errorCode(FrameKind.DEPOSIT, head.subarray(0, 50))).toBe(MbxErrorCode.MALFORMED);
  });

  it('fetches by fetch key, pages with `more`, and deletes only with the right fetch key', () => {
    const { request, deposit, tokens, clock: c, store } = setup();
    const secret = rand(32);
    const e = Math.floor(c.t / DAY_MS);
    const keys = [fetchKey(secret, e - 1, ONION), fetchKey(secret, e, ONION)];
    const ts = tokens(5);
    const envs = [envelope(), envelope(4096), envelope(), envelope(16384)];
    envs.forEach((env, i) => {
      expect(deposit(ts[i]!, mailboxId(keys[i % 2]!), env).kind).toBe(FrameKind.STORED);
      c.advance(10);
    });
    // Someone else's mailbox, not asked for.
    expect(deposit(ts[4]!, rand(16)).kind).toBe(FrameKind.STORED);

    const page1 = request(FrameKind.FETCH, encodeFetch({ max: 3, fetchKeys: keys }));
    expect(page1.kind).toBe(FrameKind.ENVELOPES);
    const p1 = decodeEnvelopes(page1.body, keys.length);
    expect(p1.more).toBe(true);
    expect(p1.envelopes.map((x) => x.index)).toEqual([0, 1, 0]);
    expect(p1.envelopes.map((x) => toHex(x.envelope))).toEqual(envs.slice(0, 3).map(toHex));
    // FETCH deletes nothing.
    expect(
      decodeEnvelopes(request(FrameKind.FETCH, encodeFetch({ max: 1000, fetchKeys: keys })).body).envelopes,
    ).toHaveLength(4);

    const items = p1.envelopes.map((x) => ({
      fetchKey: keys[x.index]!,
      envelopeHash: envelopeHash(x.envelope),
    }));
    // The right hashes under the wrong fetch key delete nothing.
    const wrong = items.map((it) => ({ ...it, fetchKey: fetchKey(rand(32), e, ONION) }));
    expect(decodeDeleted(request(FrameKind.DELETE, encodeDelete({ items: wrong })).body).count).toBe(0);
    expect(decodeDeleted(request(FrameKind.DELETE, encodeDelete({ items })).body).count).toBe(3);
    const page2 = decodeEnvelopes(request(FrameKind.FETCH, encodeFetch({ max: 3, fetchKeys: keys })).body);
    expect(page2.more).toBe(false);
    expect(page2.envelopes.map((x) => toHex(x.envelope))).toEqual([toHex(envs[3]!)]);
    expect(store.stats().envelopes).toBe(2);
  });

  it('answers MALFORMED for malformed bodies and a zero stream, and never throws', () => {
    const { service, errorCode } = setup();
    for (const kind of [FrameKind.ISSUE, FrameKind.DEPOSIT, FrameKind.FETCH, FrameKind.DELETE] as const) {
      expect(errorCode(kind, new Uint8Array())).toBe(MbxErrorCode.MALFORMED);
      expect(errorCode(kind, new Uint8Array(3))).toBe(MbxErrorCode.MALFORMED);
    }
    expect(errorCode(FrameKind.FETCH, new Uint8Array([0, 0, 0, 1, ...rand(32)]))).toBe(
      MbxErrorCode.MALFORMED,
    );
    expect(errorCode(FrameKind.DELETE, new Uint8Array([0, 1, ...rand(47)]))).toBe(MbxErrorCode.MALFORMED);
    const zero = decodeFrame(
      service.handle(FrameKind.FETCH, 0, encodeFetch({ max: 1, fetchKeys: [rand(32)] })),
    );
    expect(zero.kind).toBe(FrameKind.MBX_ERROR);
    expect(decodeMbxError(zero.body)).toMatchObject({
      code: MbxErrorCode.MALFORMED,
      reason: expect.stringMatching(/stream/),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(FrameKind.ISSUE, FrameKind.DEPOSIT, FrameKind.FETCH, FrameKind.DELETE),
        fc.uint8Array({ maxLength: 300 }),
        (kind, body) => {
          const reply = decodeFrame(service.handle(kind, 5, body));
          expect([FrameKind.MBX_ERROR, FrameKind.ENVELOPES, FrameKind.DELETED]).toContain(reply.kind);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers UNAVAILABLE without a store or when the store fails', () => {
    const log = memoryLogger();
    const none = new MailboxService({ store: null, log });
    const body = encodeFetch({ max: 1, fetchKeys: [rand(32)] });
    expect(decodeMbxError(decodeFrame(none.handle(FrameKind.FETCH, 1, body)).body).code).toBe(
      MbxErrorCode.UNAVAILABLE,
    );
    const { store, errorCode } = setup();
    store.close();
    expect(errorCode(FrameKind.FETCH, body)).toBe(MbxErrorCode.UNAVAILABLE);
  });

  it('logs no capability, token, fetch key, mid or envelope', () => {
    const { store, log, request, deposit, tokens, errorCode } = setup();
    const cap = rand(32);
    store.openAccount(sha256(cap));
    request(FrameKind.ISSUE, encodeIssue({ cap, blinded: blindTokens(2).blinded }));
    const [t] = tokens(1);
    const mid = rand(16);
    const env = envelope();
    deposit(t!, mid, env);
    deposit(t!, mid, env);
    const key = rand(32);
    request(FrameKind.FETCH, encodeFetch({ max: 5, fetchKeys: [key] }));
    request(FrameKind.DELETE, encodeDelete({ items: [{ fetchKey: key, envelopeHash: envelopeHash(env) }] }));
    errorCode(FrameKind.DEPOSIT, new Uint8Array(10));
    store.close();
    errorCode(FrameKind.FETCH, encodeFetch({ max: 5, fetchKeys: [key] }));
    expect(log.lines.length).toBeGreaterThan(3);
    const text = log.lines.join('\n');
    for (const secret of [cap, sha256(cap), t!, mid, key, mailboxId(key), env.subarray(0, 16)]) {
      expect(text).not.toContain(toHex(secret).slice(0, 12));
      expect(text).not.toContain(toBase64Url(secret).slice(0, 12));
    }
  });
});
