// Checks the pages of relation files as their bytes stream out of a tar. The block size and whether the cluster
// has data checksums are only known from global/pg_control, which lies near the end of the data tar, so pages
// are checked as 8 KiB pages with 1 GiB segments (PostgreSQL's defaults) while they stream, and the caller
// keeps or drops the result once pg_control is read. As pgBackRest does, new (all-zero) pages are skipped, and
// so are pages whose pd_lsn is at or after the backup's start: they were written during the backup, may be
// torn, and WAL replay rewrites them.
import type { EntryData } from '../../tar/reader.js';
import { FindingList } from './findings.js';
import { pageChecksum, storedChecksum } from './page-checksum.js';

export const PAGE_SIZE = 8192;
/** Blocks per 1 GiB relation segment of 8 KiB pages. */
export const SEGMENT_BLOCKS = (1 << 30) / PAGE_SIZE;

/** An LSN as its two 32-bit halves, as pd_lsn stores it. */
export interface Lsn {
  readonly hi: number;
  readonly lo: number;
}

export class PageChecks {
  relationFiles = 0;
  checked = 0;
  skippedNew = 0;
  skippedChanged = 0;
  readonly failures = new FindingList();
  readonly partialTails = new FindingList();

  constructor(private readonly start: Lsn) {}

  /** The sink for one relation file's bytes: `<key>` is the tar, `member` the file, `segment` its `.N`. */
  scanner(key: string, member: string, segment: number): EntryData {
    this.relationFiles++;
    const carry = Buffer.allocUnsafe(PAGE_SIZE);
    let held = 0;
    let block = segment * SEGMENT_BLOCKS;
    const page = (p: Buffer) => this.check(p, block++, key, member);
    return {
      write: (chunk: Buffer) => {
        let at = 0;
        if (held > 0) {
          const n = Math.min(PAGE_SIZE - held, chunk.length);
          chunk.copy(carry, held, 0, n);
          held += n;
          at = n;
          if (held < PAGE_SIZE) return;
          page(carry);
          held = 0;
        }
        for (; at + PAGE_SIZE <= chunk.length; at += PAGE_SIZE) page(chunk.subarray(at, at + PAGE_SIZE));
        if (at < chunk.length) {
          chunk.copy(carry, 0, at);
          held = chunk.length - at;
        }
      },
      end: () => {
        if (held > 0) {
          this.partialTails.add({
            kind: 'page',
            key,
            member,
            block,
            message: `${member} ends with ${held} bytes that are not a whole ${PAGE_SIZE}-byte page: not checked`,
          });
        }
      },
    };
  }

  private check(p: Buffer, block: number, key: string, member: string): void {
    if (isZero(p)) {
      this.skippedNew++;
      return;
    }
    const hi = p.readUInt32LE(0);
    const lo = p.readUInt32LE(4);
    if (hi > this.start.hi || (hi === this.start.hi && lo >= this.start.lo)) {
      this.skippedChanged++;
      return;
    }
    this.checked++;
    const stored = storedChecksum(p);
    const computed = pageChecksum(p, block);
    if (stored !== computed) {
      this.failures.add({
        kind: 'page',
        key,
        member,
        block,
        message: `${member} block ${block}: checksum ${hex(stored)} stored, ${hex(computed)} computed`,
      });
    }
  }
}

function isZero(p: Buffer): boolean {
  // pd_upper is 0 only on a new page: test it first, the whole page only then.
  if (p[14] !== 0 || p[15] !== 0) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
