// Implements docs/protocol.md §4.1 (DATA body: REQUEST and MSG, sessionId) and the ids of §4.3.
import { domain } from '../crypto/codec.js';
import { sha256, type Rng } from '../crypto/primitives.js';
import { HEADER_BYTES, MAX_RATCHET_MESSAGE } from '../crypto/ratchet.js';
import { decodeInitialMessage, type InitialMessage } from '../crypto/x3dh.js';
import { abytes, concatBytes, toHex } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { Id } from './api.js';

export const BODY_VERSION = 0x01;
export const BodyType = { REQUEST: 0x01, MSG: 0x02, CHUNK: 0x03, HANDLE: 0x04 } as const;
/** §8.4: the operations of a HANDLE body. */
export const HandleOp = { SUBMIT: 0x01, RESULT: 0x02 } as const;
export const MAX_HANDLE_BODY = 140 * 1024;
export const FILE_ID_BYTES = 16;
const CHUNK_HEADER = 2 + FILE_ID_BYTES + 4;
export const SESSION_ID_BYTES = 16;
export const SID_SALT_BYTES = 16;
export const SESSION_ID_LABEL = 'chattor/v1/session-id';
const MIN_MESSAGE = HEADER_BYTES + 16;

export type Body =
  | { readonly type: 'REQUEST'; readonly initialMessage: Uint8Array; readonly decoded: InitialMessage }
  | { readonly type: 'MSG'; readonly sessionId: Uint8Array; readonly message: Uint8Array }
  | {
      readonly type: 'CHUNK';
      readonly fileId: Uint8Array;
      readonly index: number;
      readonly ciphertext: Uint8Array;
    }
  | { readonly type: 'HANDLE'; readonly op: 'SUBMIT' | 'RESULT'; readonly data: Uint8Array };

/** A HANDLE body (§8.4): `0x01 || 0x04 || op || data`. */
export function encodeHandleBody(op: 'SUBMIT' | 'RESULT', data: Uint8Array): Uint8Array {
  if (data.length < 1 || data.length > MAX_HANDLE_BODY) throw malformed('handle data length');
  return concatBytes(Uint8Array.of(BODY_VERSION, BodyType.HANDLE, HandleOp[op]), data);
}

/** A file chunk body (§6.2): `0x01 || 0x03 || fileId || u32 index || ciphertext`. */
export function encodeChunkBody(fileId: Uint8Array, index: number, ciphertext: Uint8Array): Uint8Array {
  abytes(fileId, FILE_ID_BYTES, 'fileId');
  const out = new Uint8Array(CHUNK_HEADER + ciphertext.length);
  out[0] = BODY_VERSION;
  out[1] = BodyType.CHUNK;
  out.set(fileId, 2);
  new DataView(out.buffer).setUint32(2 + FILE_ID_BYTES, index);
  out.set(ciphertext, CHUNK_HEADER);
  return out;
}

/** The §6.2 stream of a file's chunks: never 0 (chat). */
export function fileStream(fileId: Uint8Array): number {
  return (new DataView(fileId.buffer, fileId.byteOffset, 4).getUint32(0) | 1) >>> 0;
}

function malformed(reason: string): ChattorError {
  return new ChattorError('E_BAD_INPUT', `DATA body: ${reason}`);
}

export function encodeRequestBody(initialMessage: Uint8Array): Uint8Array {
  decodeInitialMessage(initialMessage); // only well-formed initial messages leave this client
  return concatBytes(Uint8Array.of(BODY_VERSION, BodyType.REQUEST), initialMessage);
}

export function encodeMsgBody(sessionId: Uint8Array, message: Uint8Array): Uint8Array {
  abytes(sessionId, SESSION_ID_BYTES, 'sessionId');
  abytes(message, undefined, 'message');
  if (message.length < MIN_MESSAGE || message.length > MAX_RATCHET_MESSAGE)
    throw new ChattorError('E_BAD_INPUT', 'ratchet message length out of range');
  return concatBytes(Uint8Array.of(BODY_VERSION, BodyType.MSG), sessionId, message);
}

/** Strict: throws E_BAD_INPUT for anything §4.1 does not allow. */
export function decodeBody(bytes: Uint8Array): Body {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) throw malformed('too short');
  if (bytes[0] !== BODY_VERSION) throw malformed('unknown version');
  const rest = bytes.subarray(2);
  switch (bytes[1]) {
    case BodyType.REQUEST: {
      const initialMessage = rest.slice();
      return { type: 'REQUEST', initialMessage, decoded: decodeInitialMessage(initialMessage) };
    }
    case BodyType.MSG: {
      const n = rest.length - SESSION_ID_BYTES;
      if (n < MIN_MESSAGE || n > MAX_RATCHET_MESSAGE) throw malformed('message length out of range');
      return {
        type: 'MSG',
        sessionId: rest.slice(0, SESSION_ID_BYTES),
        message: rest.slice(SESSION_ID_BYTES),
      };
    }
    case BodyType.CHUNK: {
      if (bytes.length < CHUNK_HEADER + 16) throw malformed('chunk too short');
      const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
        2 + FILE_ID_BYTES,
      );
      return {
        type: 'CHUNK',
        fileId: bytes.slice(2, 2 + FILE_ID_BYTES),
        index,
        ciphertext: bytes.subarray(CHUNK_HEADER),
      };
    }
    case BodyType.HANDLE: {
      const op = bytes[2] === HandleOp.SUBMIT ? 'SUBMIT' : bytes[2] === HandleOp.RESULT ? 'RESULT' : null;
      if (!op) throw malformed('unknown handle op');
      if (bytes.length < 4 || bytes.length > 3 + MAX_HANDLE_BODY) throw malformed('handle data length');
      return { type: 'HANDLE', op, data: bytes.slice(3) };
    }
    default:
      throw malformed('unknown type');
  }
}

/** `SHA-256(domain("chattor/v1/session-id", initialMessage || sidSalt))[0..16)`. */
export async function deriveSessionId(initialMessage: Uint8Array, sidSalt: Uint8Array): Promise<Uint8Array> {
  abytes(sidSalt, SID_SALT_BYTES, 'sidSalt');
  const h = await sha256(domain(SESSION_ID_LABEL, initialMessage, sidSalt));
  return h.slice(0, SESSION_ID_BYTES);
}

/** `hex(SHA-256(signingPublic))[0..32)` (api.ts Contact.id). */
export async function contactIdOf(signingPublic: Uint8Array): Promise<Id> {
  return toHex(await sha256(abytes(signingPublic, 32, 'signingPublic'))).slice(0, 32);
}

export function randomId(rng: Rng): Id {
  return toHex(abytes(rng(16), 16, 'rng output'));
}

const ID_RE = /^[0-9a-f]{32}$/;
export function isId(x: unknown): x is Id {
  return typeof x === 'string' && ID_RE.test(x);
}

export async function hashHex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}
