// Byte-level surgery for the hostile-bucket corpus: a real tar cut into its members (headers, PAX records and
// data kept as written) so one member can be dropped, altered or preceded by hostile ones, plus deterministic
// garbage and decompression bombs built with pgdr's own codecs (compression/codecs.ts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { compressStream } from '../../src/compression/codecs.js';
import type { Compression } from '../../src/compression/suffixes.js';
import { BLOCK, isZeroBlock, padded, parseHeader } from '../../src/tar/header.js';
import { block, sealHeader } from './hostile-tar.js';

export interface MemberSpan {
  /** As stored, './' stripped ('PG_VERSION', 'base/1/1259', 'global/'). */
  readonly name: string;
  readonly type: string;
  readonly size: number;
  /** First byte of the member (its PAX header, if any). */
  readonly start: number;
  /** Its ustar header block. */
  readonly header: number;
  /** First byte after its padded data. */
  readonly end: number;
}

/** The members of a well-formed tar, in order, and where its end-of-archive blocks start. */
export function tarSpans(tar: Buffer): { members: MemberSpan[]; endAt: number } {
  const members: MemberSpan[] = [];
  let pos = 0;
  let start = 0;
  let paxPath: string | undefined;
  while (pos + BLOCK <= tar.length) {
    const b = tar.subarray(pos, pos + BLOCK);
    if (isZeroBlock(b)) return { members, endAt: pos };
    const h = parseHeader(b);
    const dataEnd = pos + BLOCK + padded(h.size);
    if (h.type === 'x') {
      const body = tar.toString('utf8', pos + BLOCK, pos + BLOCK + h.size);
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body)?.[1] ?? paxPath;
    } else {
      const name = (paxPath ?? h.name).replace(/^(\.\/)+/, '');
      members.push({ name, type: h.type, size: h.size, start, header: pos, end: dataEnd });
      paxPath = undefined;
      start = dataEnd;
    }
    pos = dataEnd;
  }
  throw new Error('not a complete tar: no end-of-archive blocks');
}

export function span(tar: Buffer, name: string): MemberSpan {
  const m = tarSpans(tar).members.find((x) => x.name === name || x.name === `${name}/`);
  if (m === undefined) throw new Error(`the tar has no member ${name}`);
  return m;
}

/** The tar without one member. */
export function withoutMember(tar: Buffer, name: string): Buffer {
  const m = span(tar, name);
  return Buffer.concat([tar.subarray(0, m.start), tar.subarray(m.end)]);
}

/** Raw members (hostile-tar.ts tarOf(..., {end: false})) put before the first member. */
export function prepend(tar: Buffer, raw: Buffer): Buffer {
  return Buffer.concat([raw, tar]);
}

/** The tar up to the end of its n-th member: no end-of-archive blocks. */
export function cutAfterMember(tar: Buffer, n: number): Buffer {
  const m = tarSpans(tar).members[n];
  if (m === undefined) throw new Error(`the tar has fewer than ${n + 1} members`);
  return tar.subarray(0, m.end);
}

/** The tar cut in the middle of the data of its first member of at least 8 KiB. */
export function cutInsideMember(tar: Buffer): { tar: Buffer; member: string } {
  const m = tarSpans(tar).members.find((x) => x.size >= 8192);
  if (m === undefined) throw new Error('the tar has no member of 8 KiB or more');
  return { tar: tar.subarray(0, m.header + BLOCK + Math.floor(m.size / 2) + 7), member: m.name };
}

/** One byte of a member's data inverted (its header, and so the tar's structure, unchanged). */
export function flipDataByte(tar: Buffer, name: string): Buffer {
  const m = span(tar, name);
  if (m.size === 0) throw new Error(`${name} has no data`);
  const out = Buffer.from(tar);
  const at = m.header + BLOCK + Math.floor(m.size / 2);
  out[at] = (out[at] ?? 0) ^ 0xff;
  return out;
}

/** A member's ustar mode rewritten (checksum recomputed). */
export function withMode(tar: Buffer, name: string, mode: number): Buffer {
  const m = span(tar, name);
  const out = Buffer.from(tar);
  const h = out.subarray(m.header, m.header + BLOCK);
  h.write(`${mode.toString(8).padStart(7, '0')}\u0000`, 100, 8, 'latin1');
  sealHeader(h);
  return out;
}

export function memberData(tar: Buffer, name: string): Buffer {
  const m = span(tar, name);
  return tar.subarray(m.header + BLOCK, m.header + BLOCK + m.size);
}

/** n bytes that look random but are the same on every run (sha256 in counter mode). */
export function garbage(n: number, seed: string): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++)
    parts.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(parts).subarray(0, n);
}

/** Compressed through pgdr's codec, pieces from `chunks` streamed so nothing big is held uncompressed. */
export async function compressChunks(c: Compression, chunks: () => Iterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of Readable.from(chunks()).pipe(compressStream(c))) out.push(piece as Buffer);
  return Buffer.concat(out);
}

function* zeros(n: number): Iterable<Buffer> {
  const mib = Buffer.alloc(1 << 20);
  for (let left = n; left > 0; left -= mib.length) yield left >= mib.length ? mib : mib.subarray(0, left);
}

/** A tar of one file member `name` holding `bytes` zero bytes, compressed: small, and huge once inflated. */
export function tarBomb(c: Compression, name: string, bytes: number): Promise<Buffer> {
  return compressChunks(c, function* () {
    yield block({ name, type: '0', size: bytes });
    yield* zeros(padded(bytes));
    yield Buffer.alloc(2 * BLOCK);
  });
}

/** A real segment followed by zeros up to `bytes`, compressed: a WAL object far larger than its name says. */
export function walBomb(c: Compression, segment: Buffer, bytes: number): Promise<Buffer> {
  return compressChunks(c, function* () {
    yield segment;
    yield* zeros(bytes - segment.length);
  });
}
