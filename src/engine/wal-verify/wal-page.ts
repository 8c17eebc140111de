// WAL page headers (PostgreSQL's xlog_internal.h, unchanged in layout from 13 to 18): every page of a segment
// starts with a short header, the first one with a long header that adds the system identifier and sizes.
//   short: xlp_magic u16 @0, xlp_info u16 @2, xlp_tli u32 @4, xlp_pageaddr u64 @8, xlp_rem_len u32 @16 (24 bytes)
//   long:  + xlp_sysid u64 @24, xlp_seg_size u32 @32, xlp_xlog_blcksz u32 @36 (40 bytes)
// WAL is in the writing machine's byte order; like the rest of pgdr this reads little-endian WAL.
import { formatLsn } from '../../catalog/wal-name.js';

/** XLOG_PAGE_MAGIC of each major: a major changes it whenever its WAL format changes. */
export const PAGE_MAGIC_BY_MAJOR: Readonly<Record<number, number>> = {
  13: 0xd106,
  14: 0xd10d,
  15: 0xd110,
  16: 0xd113,
  17: 0xd116,
  18: 0xd118,
};

export function majorOfMagic(magic: number): number | undefined {
  for (const [major, m] of Object.entries(PAGE_MAGIC_BY_MAJOR)) if (m === magic) return Number(major);
  return undefined;
}

const SHORT_HEADER = 24;
export const LONG_HEADER = 40;
export const XLP_FIRST_IS_CONTRECORD = 0x1;
const XLP_LONG_HEADER = 0x2;
/** Since 15 (and 10-14 minor releases of late 2021): the page replaces a continuation lost in a crash. */
export const XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x8;
const XLP_ALL_FLAGS = 0xf;

export interface PageHeader {
  readonly magic: number;
  readonly info: number;
  readonly tli: number;
  readonly pageAddr: bigint;
  readonly remLen: number;
  /** Present when XLP_LONG_HEADER is set. */
  readonly long?: { readonly sysid: bigint; readonly segSize: number; readonly blockSize: number };
}

export function readPageHeader(page: Buffer): PageHeader {
  const info = page.readUInt16LE(2);
  const h = {
    magic: page.readUInt16LE(0),
    info,
    tli: page.readUInt32LE(4),
    pageAddr: page.readBigUInt64LE(8),
    remLen: page.readUInt32LE(16),
  };
  if (!(info & XLP_LONG_HEADER) || page.length < LONG_HEADER) return h;
  return {
    ...h,
    long: {
      sysid: page.readBigUInt64LE(24),
      segSize: page.readUInt32LE(32),
      blockSize: page.readUInt32LE(36),
    },
  };
}

export function headerSize(h: PageHeader): number {
  return h.info & XLP_LONG_HEADER ? LONG_HEADER : SHORT_HEADER;
}

/** XLOG_BLCKSZ may be any power of two from 1 KiB to 64 KiB (configure --with-wal-blocksize). */
export function isWalBlockSize(n: number): boolean {
  return Number.isInteger(n) && n >= 1024 && n <= 65536 && (n & (n - 1)) === 0;
}

export interface PageExpectation {
  /** The magic of the segment's first page (every page must carry it). */
  readonly magic: number;
  readonly pageAddr: bigint;
  readonly tli: number;
  readonly first: boolean;
  readonly segSize: number;
}

/** What is wrong with a page header, or undefined. The first page's long header is checked here too. */
export function pageProblem(h: PageHeader, want: PageExpectation): string | undefined {
  if (want.first && majorOfMagic(h.magic) === undefined) {
    return `magic ${hex(h.magic)} is not the WAL page magic of PostgreSQL 13 to 18`;
  }
  if (h.magic !== want.magic) return `magic ${hex(h.magic)} differs from the first page's ${hex(want.magic)}`;
  if (h.info & ~XLP_ALL_FLAGS) return `unknown flag bits ${hex(h.info)}`;
  if (h.pageAddr !== want.pageAddr) {
    return `page address ${formatLsn(h.pageAddr)} instead of ${formatLsn(want.pageAddr)}: the file holds another segment's WAL`;
  }
  if (h.tli !== want.tli) return `timeline ${h.tli} where timeline ${want.tli} is expected`;
  if (!want.first) return undefined;
  if (!h.long) return 'the first page has no long header';
  if (h.long.sysid === 0n) return 'the long header has system identifier 0';
  if (h.long.segSize !== want.segSize) {
    return `the long header says segments of ${h.long.segSize} bytes, not ${want.segSize}`;
  }
  if (!isWalBlockSize(h.long.blockSize) || want.segSize % h.long.blockSize !== 0) {
    return `the long header has WAL block size ${h.long.blockSize}`;
  }
  return undefined;
}

export function hex(n: number, digits = 4): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
}
