// Binary messages of the local link, docs/protocol.md §2.2: op (u8) || link (u32) || frame.
import { ChattorError } from '../util/errors.js';

export const LocalOp = { SendFrame: 1, FrameReceived: 2 } as const;
export type LocalOp = (typeof LocalOp)[keyof typeof LocalOp];
export const LOCAL_BINARY_HEADER = 5;

export function encodeLocalBinary(op: LocalOp, link: number, frame: Uint8Array): Uint8Array {
  if (!Number.isInteger(link) || link < 0 || link > 0xffffffff)
    throw new ChattorError('E_BAD_INPUT', 'link must be a u32');
  const out = new Uint8Array(LOCAL_BINARY_HEADER + frame.length);
  out[0] = op;
  new DataView(out.buffer).setUint32(1, link);
  out.set(frame, LOCAL_BINARY_HEADER);
  return out;
}

export function decodeLocalBinary(bytes: Uint8Array): { op: LocalOp; link: number; frame: Uint8Array } {
  if (bytes.length < LOCAL_BINARY_HEADER)
    throw new ChattorError('E_FRAME_MALFORMED', 'local message is truncated');
  const op = bytes[0]!;
  if (op !== LocalOp.SendFrame && op !== LocalOp.FrameReceived)
    throw new ChattorError('E_FRAME_MALFORMED', `local op ${op} unknown`);
  const link = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  return { op, link, frame: bytes.subarray(LOCAL_BINARY_HEADER) };
}
