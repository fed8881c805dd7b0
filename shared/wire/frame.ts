// Peer frame codec, docs/protocol.md §1.2–1.3 and the mailbox kinds of §5.5. Used by the gateway
// (routing) and the browser (building DATA frames). It never looks inside a DATA body; mailbox bodies
// are shared/wire/mailbox.ts.
import { ChattorError } from '../util/errors.js';
import { utf8 } from '../util/bytes.js';
import { crc32 } from './crc32.js';

export const FRAME_VERSION = 0x01;
export const FRAME_HEADER = 10;
export const FRAME_OVERHEAD = 14;
/** Largest valid frame, header and trailer included. */
export const MAX_FRAME = 1024 * 1024;
/** Largest message a peer may send before the link is closed instead of answered (§1.4). */
export const HARD_MAX = 2 * 1024 * 1024;
export const MAX_BODY = MAX_FRAME - FRAME_OVERHEAD;
export const MAX_ERROR_REASON = 200;

export const FrameKind = {
  DATA: 0x01,
  ERROR: 0x02,
  ACK: 0x03,
  // Mailbox requests (§5.5): answered by the receiving gateway, never forwarded to its browser.
  ISSUE: 0x10,
  DEPOSIT: 0x11,
  FETCH: 0x12,
  DELETE: 0x13,
  // Mailbox replies (§5.5): forwarded to the requesting browser like DATA.
  ISSUED: 0x18,
  STORED: 0x19,
  ENVELOPES: 0x1a,
  DELETED: 0x1b,
  MBX_ERROR: 0x1f,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
const KNOWN_KINDS: ReadonlySet<number> = new Set(Object.values(FrameKind));

export type MailboxRequestKind =
  typeof FrameKind.ISSUE | typeof FrameKind.DEPOSIT | typeof FrameKind.FETCH | typeof FrameKind.DELETE;
export type MailboxReplyKind =
  | typeof FrameKind.ISSUED
  | typeof FrameKind.STORED
  | typeof FrameKind.ENVELOPES
  | typeof FrameKind.DELETED
  | typeof FrameKind.MBX_ERROR;

const MAILBOX_REQUEST_KINDS: ReadonlySet<number> = new Set([
  FrameKind.ISSUE,
  FrameKind.DEPOSIT,
  FrameKind.FETCH,
  FrameKind.DELETE,
]);
const MAILBOX_REPLY_KINDS: ReadonlySet<number> = new Set([
  FrameKind.ISSUED,
  FrameKind.STORED,
  FrameKind.ENVELOPES,
  FrameKind.DELETED,
  FrameKind.MBX_ERROR,
]);

/** A kind the receiving gateway's mailbox service answers (§5.5). */
export function isMailboxRequestKind(kind: number): kind is MailboxRequestKind {
  return MAILBOX_REQUEST_KINDS.has(kind);
}

/** A kind that answers a mailbox request; it goes to the browser that asked (§5.5). */
export function isMailboxReplyKind(kind: number): kind is MailboxReplyKind {
  return MAILBOX_REPLY_KINDS.has(kind);
}

export const PeerErrorCode = {
  MALFORMED: 1,
  TOO_LARGE: 2,
  RATE_LIMITED: 3,
  NO_CLIENT: 4,
  UNSUPPORTED_KIND: 5,
  VERSION: 6,
} as const;
export type PeerErrorCode = (typeof PeerErrorCode)[keyof typeof PeerErrorCode];

export interface Frame {
  kind: FrameKind;
  stream: number;
  body: Uint8Array;
}

export function encodeFrame(frame: Frame): Uint8Array {
  const { kind, stream, body } = frame;
  if (!KNOWN_KINDS.has(kind)) throw new ChattorError('E_BAD_INPUT', `kind 0x${kind.toString(16)} is unknown`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff)
    throw new ChattorError('E_BAD_INPUT', 'stream must be a u32');
  if (!(body instanceof Uint8Array)) throw new ChattorError('E_BAD_INPUT', 'body must be a Uint8Array');
  if (body.length > MAX_BODY)
    throw new ChattorError('E_FRAME_TOO_LARGE', `frame body exceeds ${MAX_BODY} bytes`);
  const out = new Uint8Array(FRAME_OVERHEAD + body.length);
  const view = new DataView(out.buffer);
  out[0] = FRAME_VERSION;
  out[1] = kind;
  view.setUint32(2, stream);
  view.setUint32(6, body.length);
  out.set(body, FRAME_HEADER);
  view.setUint32(FRAME_HEADER + body.length, crc32(out, 0, FRAME_HEADER + body.length));
  return out;
}

/**
 * Decodes and checks one frame. Throws ChattorError with E_FRAME_TOO_LARGE, E_FRAME_VERSION or
 * E_FRAME_MALFORMED. The returned body is a view into `bytes` (no copy).
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (!(bytes instanceof Uint8Array)) throw new ChattorError('E_FRAME_MALFORMED', 'frame must be bytes');
  if (bytes.length > MAX_FRAME)
    throw new ChattorError('E_FRAME_TOO_LARGE', `frame exceeds ${MAX_FRAME} bytes`);
  if (bytes.length < FRAME_OVERHEAD) throw new ChattorError('E_FRAME_MALFORMED', 'frame is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodyLength = view.getUint32(6);
  if (bytes.length !== FRAME_OVERHEAD + bodyLength)
    throw new ChattorError('E_FRAME_MALFORMED', 'frame length does not match bodyLength');
  if (view.getUint32(FRAME_HEADER + bodyLength) !== crc32(bytes, 0, FRAME_HEADER + bodyLength))
    throw new ChattorError('E_FRAME_MALFORMED', 'frame checksum mismatch');
  // Version and kind are checked after the checksum, so a damaged frame is reported as damaged.
  if (bytes[0] !== FRAME_VERSION)
    throw new ChattorError('E_FRAME_VERSION', `frame version ${bytes[0]} unsupported`);
  const kind = bytes[1]!;
  if (!KNOWN_KINDS.has(kind))
    throw new ChattorError('E_FRAME_MALFORMED', `frame kind 0x${kind.toString(16)} unknown`);
  return {
    kind: kind as FrameKind,
    stream: view.getUint32(2),
    body: bytes.subarray(FRAME_HEADER, FRAME_HEADER + bodyLength),
  };
}

export interface PeerError {
  code: number;
  reason: string;
}

/** UTF-8 of `reason`, cut to at most `max` bytes on a character boundary (so it still decodes). */
export function reasonBytes(reason: string, max = MAX_ERROR_REASON): Uint8Array {
  const r = utf8.encode(reason);
  if (r.length <= max) return r;
  let cut = max;
  while (cut > 0 && (r[cut]! & 0xc0) === 0x80) cut--;
  return r.subarray(0, cut);
}

export function encodeErrorFrame(code: PeerErrorCode, reason: string, stream = 0): Uint8Array {
  const r = reasonBytes(reason);
  const body = new Uint8Array(2 + r.length);
  new DataView(body.buffer).setUint16(0, code);
  body.set(r, 2);
  return encodeFrame({ kind: FrameKind.ERROR, stream, body });
}

export function decodeErrorBody(body: Uint8Array): PeerError {
  if (body.length < 2 || body.length > 2 + MAX_ERROR_REASON)
    throw new ChattorError('E_FRAME_MALFORMED', 'error frame body has a bad length');
  const code = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint16(0);
  let reason: string;
  try {
    reason = utf8.decode(body.subarray(2));
  } catch (cause) {
    throw new ChattorError('E_FRAME_MALFORMED', 'error frame reason is not UTF-8', { cause });
  }
  return { code, reason };
}

/** Maps a decode failure to the peer error code sent back (§1.4). */
export function peerErrorFor(e: unknown): PeerErrorCode {
  if (e instanceof ChattorError) {
    if (e.code === 'E_FRAME_TOO_LARGE') return PeerErrorCode.TOO_LARGE;
    if (e.code === 'E_FRAME_VERSION') return PeerErrorCode.VERSION;
  }
  return PeerErrorCode.MALFORMED;
}
