// Snappy's raw block format (https://github.com/google/snappy/blob/main/format_description.txt). The framing
// layer never hands us more than 64 KiB, so offsets always fit the 2-byte copy form and one hash table suffices.
import { PgdrError } from '../errors.js';

const HASH_BITS = 14;
// The reference encoder stops matching this close to the end so 4-byte loads never run past the input.
const INPUT_MARGIN = 15;

function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function load32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function hash(v: number): number {
  return Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

/** Compresses one block of at most 65536 bytes. */
export function snappyCompressBlock(input: Uint8Array): Buffer {
  const n = input.length;
  const out = Buffer.allocUnsafe(maxCompressedLength(n));
  let op = 0;
  for (let v = n; ; v >>>= 7) {
    if (v < 0x80) {
      out[op++] = v;
      break;
    }
    out[op++] = (v & 0x7f) | 0x80;
  }
  const emitLiteral = (from: number, to: number): void => {
    const len = to - from;
    if (len === 0) return;
    const m = len - 1;
    if (m < 60) out[op++] = m << 2;
    else if (m < 0x100) {
      out[op++] = 60 << 2;
      out[op++] = m;
    } else {
      out[op++] = 61 << 2;
      out[op++] = m & 0xff;
      out[op++] = m >>> 8;
    }
    out.set(input.subarray(from, to), op);
    op += len;
  };
  const emitCopy2 = (offset: number, len: number): void => {
    out[op++] = ((len - 1) << 2) | 2;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  };
  const emitCopy = (offset: number, len: number): void => {
    for (; len >= 68; len -= 64) emitCopy2(offset, 64);
    if (len > 64) {
      emitCopy2(offset, 60);
      len -= 60;
    }
    if (len >= 12 || offset >= 2048) emitCopy2(offset, len);
    else {
      out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
      out[op++] = offset & 0xff;
    }
  };

  let nextEmit = 0;
  if (n >= INPUT_MARGIN) {
    const table = new Int32Array(1 << HASH_BITS).fill(-1);
    const ipLimit = n - INPUT_MARGIN;
    let ip = 0;
    // Skip faster through incompressible data: after 32 misses the step grows by one byte.
    let skip = 32;
    while (ip < ipLimit) {
      const v = load32(input, ip);
      const h = hash(v);
      const cand = table[h]!;
      table[h] = ip;
      if (cand < 0 || load32(input, cand) !== v) {
        ip += skip++ >>> 5;
        continue;
      }
      skip = 32;
      emitLiteral(nextEmit, ip);
      let len = 4;
      while (ip + len < n && input[cand + len] === input[ip + len]) len++;
      emitCopy(ip - cand, len);
      ip += len;
      nextEmit = ip;
      if (ip - 1 < ipLimit) table[hash(load32(input, ip - 1))] = ip - 1;
    }
  }
  emitLiteral(nextEmit, n);
  return out.subarray(0, op);
}

function corrupt(what: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `corrupt snappy data: ${what}`);
}

/** Decompresses one raw snappy block; `limit` bounds the declared length (64 KiB inside a frame). */
export function snappyDecompressBlock(input: Uint8Array, limit = 1 << 16): Buffer {
  let ip = 0;
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    if (ip >= input.length || shift > 28) throw corrupt('bad length header');
    const b = input[ip++]!;
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (n > limit) throw corrupt(`block of ${n} bytes exceeds ${limit}`);
  const out = Buffer.allocUnsafe(n);
  let op = 0;
  while (ip < input.length) {
    const tag = input[ip++]!;
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const bytes = len - 59;
        if (ip + bytes > input.length) throw corrupt('truncated literal');
        len = 0;
        for (let k = 0; k < bytes; k++) len += input[ip + k]! * 2 ** (8 * k);
        ip += bytes;
      }
      len += 1;
      if (ip + len > input.length || op + len > n) throw corrupt('literal out of bounds');
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (ip >= input.length) throw corrupt('truncated copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[ip++]!;
    } else {
      const bytes = type === 2 ? 2 : 4;
      if (ip + bytes > input.length) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = 0;
      for (let k = 0; k < bytes; k++) offset += input[ip + k]! * 2 ** (8 * k);
      ip += bytes;
    }
    if (offset === 0 || offset > op || op + len > n) throw corrupt('copy out of bounds');
    // Overlapping copies (offset < len) repeat the pattern, so copy byte by byte in that case.
    if (offset >= len) out.copy(out, op, op - offset, op - offset + len);
    else for (let k = 0; k < len; k++) out[op + k] = out[op - offset + k]!;
    op += len;
  }
  if (op !== n) throw corrupt(`block decodes to ${op} bytes, header says ${n}`);
  return out;
}
