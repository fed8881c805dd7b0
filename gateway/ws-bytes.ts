// A ws message (Buffer, Buffer[] or ArrayBuffer) as one Uint8Array view, without copying when it can.
import type WebSocket from 'ws';

export function wsBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
