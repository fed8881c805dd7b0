// Mailbox frame bodies, docs/protocol.md §5.5, and the holder's limits of §5.6. Used by the holder's
// gateway (gateway/mailbox/) and by the requesting engine. Every decoder is strict: exact lengths,
// counts within their range, envelopes of a bucket size, no trailing bytes; anything else throws
// ChattorError('E_FRAME_MALFORMED') naming the body and the field. Encoders check their input the same
// way and throw E_BAD_INPUT. Decoded byte fields are views into the body (no copy).
import { abytes, utf8 } from '../util/bytes.js';
import { ChattorError, missingCaseError } from '../util/errors.js';
import { FrameKind, encodeFrame, reasonBytes } from './frame.js';
import type { MailboxReplyKind, MailboxRequestKind } from './frame.js';

// ── sizes (§5.3–5.5) ──────────────────────────────────────────────────────────────────────────────

/** Whole-envelope sizes: 1, 4, 16, 64 and 128 KiB (§5.3). */
export const BUCKETS = [1024, 4096, 16384, 65536, 131072] as const;
export const CAP_BYTES = 32;
export const KEY_ID_BYTES = 8;
/** A ristretto255 element: token public key, blinded and evaluated elements. */
export const ELEMENT_BYTES = 32;
export const PUBLIC_KEY_BYTES = ELEMENT_BYTES;
/** The batch DLEQ proof of RFC 9497 (two scalars). */
export const PROOF_BYTES = 64;
export const TOKEN_INPUT_BYTES = 32;
export const TOKEN_OUTPUT_BYTES = 64;
/** `token = x (32) || y (64)` (§5.4). */
export const TOKEN_BYTES = TOKEN_INPUT_BYTES + TOKEN_OUTPUT_BYTES;
export const MID_BYTES = 16;
export const FETCH_KEY_BYTES = 32;
export const ENVELOPE_HASH_BYTES = 16;

/** `ISSUE` asks for 1..64 tokens at once. */
export const ISSUE_MAX = 64;
/** `FETCH.max`: 1..1000 envelopes per page. */
export const FETCH_MAX_ENVELOPES = 1000;
/** `FETCH` and `DELETE` carry 1..4096 keys. */
export const FETCH_MAX_KEYS = 4096;
export const DELETE_MAX = 4096;
/** An `ENVELOPES` body is at most 960 KiB, so it always fits in one frame (§1.2). */
export const ENVELOPES_MAX_BODY = 960 * 1024;
/** `more (1) || m (2)`. */
export const ENVELOPES_HEADER = 3;
/** `index (2) || storedAt (8) || length (4)` before each envelope. */
export const ENVELOPE_ENTRY_HEADER = 14;
export const MAX_MBX_REASON = 200;

// ── the holder's limits (§5.4, §5.6) ──────────────────────────────────────────────────────────────

export const MAX_PER_MID = 1000;
export const MAX_BYTES_PER_MID = 16 * 1024 * 1024;
export const MAX_ENVELOPES = 200_000;
export const MAX_BYTES = 2 * 1024 * 1024 * 1024;
export const ISSUE_PER_DAY = 8192;
export const TTL_DAYS = 14;
export const MAILBOX_RATE = { perSecond: 200, burst: 1000 } as const;
/**
 * All links together (§5.6): checking a deposit token costs ~1–2 ms of CPU, so without a total a few
 * hundred hostile links within their own limits could keep the gateway's one thread busy and slow the
 * frames of every honest link. Past it requests are refused at once, for the cost of a frame header.
 */
export const MAILBOX_RATE_TOTAL = { perSecond: 200, burst: 1000 } as const;

export const MbxErrorCode = {
  MALFORMED: 1,
  BAD_CAPABILITY: 2,
  TOKEN_SPENT: 3,
  QUOTA: 4,
  RATE_LIMITED: 5,
  DUPLICATE: 6,
  BAD_SIZE: 7,
  UNKNOWN_KEY: 8,
  UNAVAILABLE: 9,
} as const;
export type MbxErrorCode = (typeof MbxErrorCode)[keyof typeof MbxErrorCode];
export type MbxErrorName = keyof typeof MbxErrorCode;

const ERROR_NAMES = new Map<number, MbxErrorName>(
  Object.entries(MbxErrorCode).map(([name, code]) => [code, name as MbxErrorName]),
);

/** The §5.5 name of a mailbox error code, or undefined for a code this version does not know. */
export function mbxErrorName(code: number): MbxErrorName | undefined {
  return ERROR_NAMES.get(code);
}

export function isBucketSize(n: number): boolean {
  return (BUCKETS as readonly number[]).includes(n);
}

// ── bodies ────────────────────────────────────────────────────────────────────────────────────────

export interface IssueBody {
  cap: Uint8Array;
  /** 1..64 blinded elements. */
  blinded: Uint8Array[];
}
export interface IssuedBody {
  keyId: Uint8Array;
  publicKey: Uint8Array;
  evaluated: Uint8Array[];
  proof: Uint8Array;
}
export interface DepositBody {
  keyId: Uint8Array;
  token: Uint8Array;
  mid: Uint8Array;
  envelope: Uint8Array;
}
export interface FetchBody {
  /** At most this many envelopes in the answer, 1..1000. */
  max: number;
  fetchKeys: Uint8Array[];
}
export interface EnvelopeEntry {
  /** Position in the request of the fetch key whose mid the envelope is stored under. */
  index: number;
  /** Milliseconds since the Unix epoch. */
  storedAt: number;
  envelope: Uint8Array;
}
export interface EnvelopesBody {
  more: boolean;
  envelopes: EnvelopeEntry[];
}
export interface DeleteItem {
  fetchKey: Uint8Array;
  envelopeHash: Uint8Array;
}
export interface DeleteBody {
  items: DeleteItem[];
}
export interface DeletedBody {
  count: number;
}
export interface MbxErrorBody {
  code: number;
  reason: string;
}

export type MailboxRequest =
  | { kind: typeof FrameKind.ISSUE; body: IssueBody }
  | { kind: typeof FrameKind.DEPOSIT; body: DepositBody }
  | { kind: typeof FrameKind.FETCH; body: FetchBody }
  | { kind: typeof FrameKind.DELETE; body: DeleteBody };

export type MailboxReply =
  | { kind: typeof FrameKind.ISSUED; body: IssuedBody }
  | { kind: typeof FrameKind.STORED; body: Record<string, never> }
  | { kind: typeof FrameKind.ENVELOPES; body: EnvelopesBody }
  | { kind: typeof FrameKind.DELETED; body: DeletedBody }
  | { kind: typeof FrameKind.MBX_ERROR; body: MbxErrorBody };

// ── reading and writing ───────────────────────────────────────────────────────────────────────────

const U64_MAX_SAFE_HI = 0x1fffff; // 2^53 − 1 = 0x1fffff_ffffffff

function malformed(what: string, message: string): ChattorError {
  return new ChattorError('E_FRAME_MALFORMED', `${what}: ${message}`);
}

class Reader {
  private off = 0;
  private readonly view: DataView;
  constructor(
    private readonly body: Uint8Array,
    private readonly what: string,
  ) {
    if (!(body instanceof Uint8Array)) throw malformed(what, 'body must be bytes');
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }
  get left(): number {
    return this.body.length - this.off;
  }
  private need(n: number, field: string): void {
    if (this.left < n) throw malformed(this.what, `truncated at ${field}`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.body[this.off++]!;
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.off);
    this.off += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.off);
    this.off += 4;
    return v;
  }
  u64(field: string): number {
    this.need(8, field);
    const hi = this.view.getUint32(this.off);
    const lo = this.view.getUint32(this.off + 4);
    if (hi > U64_MAX_SAFE_HI) throw malformed(this.what, `${field} exceeds 2^53 − 1`);
    this.off += 8;
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.body.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  rest(): Uint8Array {
    const v = this.body.subarray(this.off);
    this.off = this.body.length;
    return v;
  }
  count(field: string, min: number, max: number): number {
    const n = this.u16(field);
    if (n < min || n > max) throw malformed(this.what, `${field} ${n} is outside ${min}..${max}`);
    return n;
  }
  end(): void {
    if (this.left !== 0) throw malformed(this.what, `${this.left} trailing bytes`);
  }
}

class Writer {
  private off = 0;
  readonly out: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.view = new DataView(this.out.buffer);
  }
  u8(v: number): void {
    this.out[this.off++] = v;
  }
  u16(v: number): void {
    this.view.setUint16(this.off, v);
    this.off += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.off, v);
    this.off += 4;
  }
  u64(v: number): void {
    this.view.setUint32(this.off, Math.floor(v / 2 ** 32));
    this.view.setUint32(this.off + 4, v >>> 0);
    this.off += 8;
  }
  bytes(b: Uint8Array): void {
    this.out.set(b, this.off);
    this.off += b.length;
  }
  done(): Uint8Array {
    if (this.off !== this.out.length) throw new ChattorError('E_INTERNAL', 'mailbox body size mismatch');
    return this.out;
  }
}

function checkCount(n: number, min: number, max: number, field: string): void {
  if (n < min || n > max) throw new ChattorError('E_BAD_INPUT', `${field} must hold ${min}..${max} items`);
}

function checkInt(v: unknown, min: number, max: number, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ChattorError('E_BAD_INPUT', `${field} must be an integer in ${min}..${max}`);
  return v;
}

function checkEnvelope(envelope: Uint8Array, field: string): Uint8Array {
  abytes(envelope, undefined, field);
  if (!isBucketSize(envelope.length))
    throw new ChattorError('E_BAD_INPUT', `${field} must be a bucket size, got ${envelope.length}`);
  return envelope;
}

// ── ISSUE / ISSUED ────────────────────────────────────────────────────────────────────────────────

export function encodeIssue(b: IssueBody): Uint8Array {
  abytes(b.cap, CAP_BYTES, 'cap');
  checkCount(b.blinded.length, 1, ISSUE_MAX, 'blinded');
  const w = new Writer(CAP_BYTES + 2 + b.blinded.length * ELEMENT_BYTES);
  w.bytes(b.cap);
  w.u16(b.blinded.length);
  for (const e of b.blinded) w.bytes(abytes(e, ELEMENT_BYTES, 'blinded element'));
  return w.done();
}

export function decodeIssue(body: Uint8Array): IssueBody {
  const r = new Reader(body, 'ISSUE');
  const cap = r.bytes(CAP_BYTES, 'cap');
  const n = r.count('n', 1, ISSUE_MAX);
  const blinded: Uint8Array[] = [];
  for (let i = 0; i < n; i++) blinded.push(r.bytes(ELEMENT_BYTES, `blinded[${i}]`));
  r.end();
  return { cap, blinded };
}

export function encodeIssued(b: IssuedBody): Uint8Array {
  abytes(b.keyId, KEY_ID_BYTES, 'keyId');
  abytes(b.publicKey, PUBLIC_KEY_BYTES, 'publicKey');
  checkCount(b.evaluated.length, 1, ISSUE_MAX, 'evaluated');
  abytes(b.proof, PROOF_BYTES, 'proof');
  const w = new Writer(
    KEY_ID_BYTES + PUBLIC_KEY_BYTES + 2 + b.evaluated.length * ELEMENT_BYTES + PROOF_BYTES,
  );
  w.bytes(b.keyId);
  w.bytes(b.publicKey);
  w.u16(b.evaluated.length);
  for (const e of b.evaluated) w.bytes(abytes(e, ELEMENT_BYTES, 'evaluated element'));
  w.bytes(b.proof);
  return w.done();
}

export function decodeIssued(body: Uint8Array): IssuedBody {
  const r = new Reader(body, 'ISSUED');
  const keyId = r.bytes(KEY_ID_BYTES, 'keyId');
  const publicKey = r.bytes(PUBLIC_KEY_BYTES, 'publicKey');
  const n = r.count('n', 1, ISSUE_MAX);
  const evaluated: Uint8Array[] = [];
  for (let i = 0; i < n; i++) evaluated.push(r.bytes(ELEMENT_BYTES, `evaluated[${i}]`));
  const proof = r.bytes(PROOF_BYTES, 'proof');
  r.end();
  return { keyId, publicKey, evaluated, proof };
}

// ── DEPOSIT / STORED ──────────────────────────────────────────────────────────────────────────────

/** `keyId || token || mid` before the envelope. */
export const DEPOSIT_HEADER = KEY_ID_BYTES + TOKEN_BYTES + MID_BYTES;

export function encodeDeposit(b: DepositBody): Uint8Array {
  abytes(b.keyId, KEY_ID_BYTES, 'keyId');
  abytes(b.token, TOKEN_BYTES, 'token');
  abytes(b.mid, MID_BYTES, 'mid');
  checkEnvelope(b.envelope, 'envelope');
  const w = new Writer(DEPOSIT_HEADER + b.envelope.length);
  w.bytes(b.keyId);
  w.bytes(b.token);
  w.bytes(b.mid);
  w.bytes(b.envelope);
  return w.done();
}

/**
 * The envelope is the rest of the body, so a DEPOSIT is not self-delimiting: its length comes from
 * the frame (whose CRC covers it), and it must be exactly one bucket size.
 */
export function decodeDeposit(body: Uint8Array): DepositBody {
  const r = new Reader(body, 'DEPOSIT');
  const keyId = r.bytes(KEY_ID_BYTES, 'keyId');
  const token = r.bytes(TOKEN_BYTES, 'token');
  const mid = r.bytes(MID_BYTES, 'mid');
  const envelope = r.rest();
  if (!isBucketSize(envelope.length))
    throw malformed('DEPOSIT', `envelope of ${envelope.length} bytes is not a bucket size`);
  return { keyId, token, mid, envelope };
}

export function encodeStored(): Uint8Array {
  return new Uint8Array(0);
}

export function decodeStored(body: Uint8Array): Record<string, never> {
  new Reader(body, 'STORED').end();
  return {};
}

// ── FETCH / ENVELOPES ─────────────────────────────────────────────────────────────────────────────

export function encodeFetch(b: FetchBody): Uint8Array {
  checkInt(b.max, 1, FETCH_MAX_ENVELOPES, 'max');
  checkCount(b.fetchKeys.length, 1, FETCH_MAX_KEYS, 'fetchKeys');
  const w = new Writer(4 + b.fetchKeys.length * FETCH_KEY_BYTES);
  w.u16(b.max);
  w.u16(b.fetchKeys.length);
  for (const k of b.fetchKeys) w.bytes(abytes(k, FETCH_KEY_BYTES, 'fetchKey'));
  return w.done();
}

export function decodeFetch(body: Uint8Array): FetchBody {
  const r = new Reader(body, 'FETCH');
  const max = r.count('max', 1, FETCH_MAX_ENVELOPES);
  const n = r.count('n', 1, FETCH_MAX_KEYS);
  const fetchKeys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) fetchKeys.push(r.bytes(FETCH_KEY_BYTES, `fetchKey[${i}]`));
  r.end();
  return { max, fetchKeys };
}

/** The size of an `ENVELOPES` body holding envelopes of these lengths. */
export function envelopesBodySize(envelopeLengths: Iterable<number>): number {
  let size = ENVELOPES_HEADER;
  for (const n of envelopeLengths) size += ENVELOPE_ENTRY_HEADER + n;
  return size;
}

export function encodeEnvelopes(b: EnvelopesBody): Uint8Array {
  if (typeof b.more !== 'boolean') throw new ChattorError('E_BAD_INPUT', 'more must be a boolean');
  checkCount(b.envelopes.length, 0, FETCH_MAX_ENVELOPES, 'envelopes');
  if (b.more && b.envelopes.length === 0)
    throw new ChattorError('E_BAD_INPUT', 'more needs at least one envelope');
  for (const e of b.envelopes) {
    checkInt(e.index, 0, FETCH_MAX_KEYS - 1, 'index');
    checkInt(e.storedAt, 0, Number.MAX_SAFE_INTEGER, 'storedAt');
    checkEnvelope(e.envelope, 'envelope');
  }
  const size = envelopesBodySize(b.envelopes.map((e) => e.envelope.length));
  if (size > ENVELOPES_MAX_BODY)
    throw new ChattorError('E_BAD_INPUT', `ENVELOPES body exceeds ${ENVELOPES_MAX_BODY} bytes`);
  const w = new Writer(size);
  w.u8(b.more ? 1 : 0);
  w.u16(b.envelopes.length);
  for (const e of b.envelopes) {
    w.u16(e.index);
    w.u64(e.storedAt);
    w.u32(e.envelope.length);
    w.bytes(e.envelope);
  }
  return w.done();
}

/** `keyCount`, when given, is the number of fetch keys the request carried: every index must be below it. */
export function decodeEnvelopes(body: Uint8Array, keyCount = FETCH_MAX_KEYS): EnvelopesBody {
  const r = new Reader(body, 'ENVELOPES');
  if (body.length > ENVELOPES_MAX_BODY)
    throw malformed('ENVELOPES', `body exceeds ${ENVELOPES_MAX_BODY} bytes`);
  const flag = r.u8('more');
  if (flag > 1) throw malformed('ENVELOPES', `more must be 0 or 1, got ${flag}`);
  const m = r.count('m', 0, FETCH_MAX_ENVELOPES);
  if (flag === 1 && m === 0) throw malformed('ENVELOPES', 'more is set on an empty page');
  const envelopes: EnvelopeEntry[] = [];
  for (let i = 0; i < m; i++) {
    const index = r.u16(`index[${i}]`);
    if (index >= keyCount) throw malformed('ENVELOPES', `index[${i}] ${index} names no fetch key`);
    const storedAt = r.u64(`storedAt[${i}]`);
    const length = r.u32(`length[${i}]`);
    if (!isBucketSize(length)) throw malformed('ENVELOPES', `length[${i}] ${length} is not a bucket size`);
    envelopes.push({ index, storedAt, envelope: r.bytes(length, `envelope[${i}]`) });
  }
  r.end();
  return { more: flag === 1, envelopes };
}

// ── DELETE / DELETED ──────────────────────────────────────────────────────────────────────────────

export function encodeDelete(b: DeleteBody): Uint8Array {
  checkCount(b.items.length, 1, DELETE_MAX, 'items');
  const w = new Writer(2 + b.items.length * (FETCH_KEY_BYTES + ENVELOPE_HASH_BYTES));
  w.u16(b.items.length);
  for (const it of b.items) {
    w.bytes(abytes(it.fetchKey, FETCH_KEY_BYTES, 'fetchKey'));
    w.bytes(abytes(it.envelopeHash, ENVELOPE_HASH_BYTES, 'envelopeHash'));
  }
  return w.done();
}

export function decodeDelete(body: Uint8Array): DeleteBody {
  const r = new Reader(body, 'DELETE');
  const n = r.count('n', 1, DELETE_MAX);
  const items: DeleteItem[] = [];
  for (let i = 0; i < n; i++)
    items.push({
      fetchKey: r.bytes(FETCH_KEY_BYTES, `fetchKey[${i}]`),
      envelopeHash: r.bytes(ENVELOPE_HASH_BYTES, `envelopeHash[${i}]`),
    });
  r.end();
  return { items };
}

export function encodeDeleted(b: DeletedBody): Uint8Array {
  const w = new Writer(4);
  w.u32(checkInt(b.count, 0, 0xffffffff, 'count'));
  return w.done();
}

export function decodeDeleted(body: Uint8Array): DeletedBody {
  const r = new Reader(body, 'DELETED');
  const count = r.u32('count');
  r.end();
  return { count };
}

// ── MBX_ERROR ─────────────────────────────────────────────────────────────────────────────────────

/** The reason is cut to 200 bytes on a character boundary. */
export function encodeMbxError(b: MbxErrorBody): Uint8Array {
  checkInt(b.code, 1, 0xffff, 'code');
  const reason = reasonBytes(b.reason, MAX_MBX_REASON);
  const w = new Writer(2 + reason.length);
  w.u16(b.code);
  w.bytes(reason);
  return w.done();
}

/** A whole MBX_ERROR frame on `stream` (the refused request's). */
export function encodeMbxErrorFrame(code: MbxErrorCode, reason: string, stream: number): Uint8Array {
  return encodeFrame({ kind: FrameKind.MBX_ERROR, stream, body: encodeMbxError({ code, reason }) });
}

/** Accepts any non-zero code (a later version may add some): see `mbxErrorName`. */
export function decodeMbxError(body: Uint8Array): MbxErrorBody {
  const r = new Reader(body, 'MBX_ERROR');
  const code = r.u16('code');
  if (code === 0) throw malformed('MBX_ERROR', 'code 0 is not an error');
  const raw = r.rest();
  if (raw.length > MAX_MBX_REASON) throw malformed('MBX_ERROR', `reason exceeds ${MAX_MBX_REASON} bytes`);
  let reason: string;
  try {
    reason = utf8.decode(raw);
  } catch (cause) {
    throw new ChattorError('E_FRAME_MALFORMED', 'MBX_ERROR: reason is not UTF-8', { cause });
  }
  return { code, reason };
}

// ── by kind ───────────────────────────────────────────────────────────────────────────────────────

export function decodeMailboxRequest(kind: MailboxRequestKind, body: Uint8Array): MailboxRequest {
  switch (kind) {
    case FrameKind.ISSUE:
      return { kind, body: decodeIssue(body) };
    case FrameKind.DEPOSIT:
      return { kind, body: decodeDeposit(body) };
    case FrameKind.FETCH:
      return { kind, body: decodeFetch(body) };
    case FrameKind.DELETE:
      return { kind, body: decodeDelete(body) };
    default:
      throw missingCaseError(kind);
  }
}

/** `keyCount` as for `decodeEnvelopes`. */
export function decodeMailboxReply(
  kind: MailboxReplyKind,
  body: Uint8Array,
  keyCount?: number,
): MailboxReply {
  switch (kind) {
    case FrameKind.ISSUED:
      return { kind, body: decodeIssued(body) };
    case FrameKind.STORED:
      return { kind, body: decodeStored(body) };
    case FrameKind.ENVELOPES:
      return { kind, body: decodeEnvelopes(body, keyCount) };
    case FrameKind.DELETED:
      return { kind, body: decodeDeleted(body) };
    case FrameKind.MBX_ERROR:
      return { kind, body: decodeMbxError(body) };
    default:
      throw missingCaseError(kind);
  }
}
