// Implements docs/protocol.md §3 conventions: big-endian integers, strict decoding (exact lengths,
// no trailing bytes); every decoding error is E_BAD_INPUT naming the field.
import { ChattorError } from '../util/errors.js';
import { concatBytes } from '../util/bytes.js';

const MAX_U64 = Number.MAX_SAFE_INTEGER;

export class Writer {
  private readonly parts: Uint8Array[] = [];

  u8(n: number): this {
    return this.uint(n, 1, 0xff);
  }
  u16(n: number): this {
    return this.uint(n, 2, 0xffff);
  }
  u32(n: number): this {
    return this.uint(n, 4, 0xffffffff);
  }
  u64(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new ChattorError('E_BAD_INPUT', `u64 out of range: ${n}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }

  private uint(n: number, size: number, max: number): this {
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new ChattorError('E_BAD_INPUT', `u${size * 8} out of range: ${n}`);
    const b = new Uint8Array(size);
    for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v & 0xff;
    this.parts.push(b);
    return this;
  }
}

export class Reader {
  private offset = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }
  u8(field: string): number {
    return this.take(1, field)[0]!;
  }
  u16(field: string): number {
    const b = this.take(2, field);
    return b[0]! * 0x100 + b[1]!;
  }
  u32(field: string): number {
    const b = this.take(4, field);
    return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  }
  u64(field: string): number {
    const b = this.take(8, field);
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (v > BigInt(MAX_U64)) throw this.fail(`${field} out of range`);
    return Number(v);
  }
  /** A copy, so callers may keep it after the input buffer is reused. */
  bytes(n: number, field: string): Uint8Array {
    return this.take(n, field).slice();
  }
  end(): void {
    if (this.offset !== this.buf.length) throw this.fail('trailing bytes');
  }
  fail(reason: string): ChattorError {
    return new ChattorError('E_BAD_INPUT', `${this.what}: ${reason}`);
  }

  private take(n: number, field: string): Uint8Array {
    if (n < 0 || this.offset + n > this.buf.length) throw this.fail(`truncated at ${field}`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** `domain(label, data) = u8(len(label)) || label || data` (§3.1). */
export function domain(label: string, ...data: Uint8Array[]): Uint8Array {
  const l = new TextEncoder().encode(label);
  return concatBytes(Uint8Array.of(l.length), l, ...data);
}

export function u32be(n: number): Uint8Array {
  return new Writer().u32(n).finish();
}

export function label(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower-case, no padding. */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/** Strict inverse of toBase32 (lower-case only, unused trailing bits must be zero). */
export function fromBase32(s: string, field: string): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new ChattorError('E_BAD_INPUT', `${field} is not base32`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0 || bits >= 5) throw new ChattorError('E_BAD_INPUT', `${field} is not canonical base32`);
  return Uint8Array.from(out);
}
