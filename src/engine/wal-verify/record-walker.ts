// Walks the WAL records of one segment page by page, as PostgreSQL's xlogreader does, and checks each record's
// CRC-32C (computed over the record after its 24-byte header, then over the header up to xl_crc), its length
// and its xl_prev link. A record may cross pages (the next page then has XLP_FIRST_IS_CONTRECORD and
// xlp_rem_len = the bytes still to come) and segments: what crosses the object's edges is handed out as an
// OpenRecord (at the end) and a Continuation (at the start), which record-join.ts puts together, so no
// segment has to be read twice and nothing larger than a page is kept.
// Records end at a switch record (the rest of the segment is padding: zeros, or page headers and zeros up to
// PostgreSQL 13) or where no
// valid record follows: in a .partial that is simply the end of its WAL, in a complete segment it is
// damage unless the segment ends with a switch record split across segments (record-join.ts decides).
import { formatLsn } from '../../catalog/wal-name.js';
import { crc32cUpdate } from '../../compression/crc32c.js';
import {
  headerSize,
  hex,
  type PageHeader,
  pageProblem,
  readPageHeader,
  XLP_FIRST_IS_CONTRECORD,
  XLP_FIRST_IS_OVERWRITE_CONTRECORD,
} from './wal-page.js';
import type { WalkerOptions, WalkFailure, WalkResult, WalkStop } from './walk-result.js';

export const RECORD_HEADER = 24;
/** XLogRecordMaxSize is 1020 MiB since 16; older majors stopped a little under 1 GiB (MaxAllocSize). */
const MAX_RECORD = 1 << 30;
const RM_XLOG_ID = 0;
const XLOG_SWITCH = 0x40;
/** The first bytes of a continuation kept: enough to complete a header of which 8 bytes came before. */
const CONTINUATION_HEAD = 16;

interface Building {
  readonly lsn: bigint;
  readonly totLen: number;
  got: number;
  readonly header: Buffer;
  crc: number;
  readonly prev: bigint | undefined;
}

interface ContinuationState {
  readonly remLen: number;
  remaining: number;
  bytes: number;
  crc: number;
  first: Buffer;
}

const align8 = (n: number) => (n + 7) & ~7;

export class RecordWalker {
  private records = 0;
  private readonly failures: WalkFailure[] = [];
  private magic: number | undefined;
  private sysid: bigint | undefined;
  private overwrite = false;
  private rec: Building | undefined;
  private cont: ContinuationState | undefined;
  private prev: bigint | undefined;
  private firstRecord: WalkResult['firstRecord'];
  private lastRecord: bigint | undefined;
  private stop: WalkStop | undefined;

  constructor(private readonly o: WalkerOptions) {}

  get blockSize(): number {
    return this.o.blockSize;
  }

  /** Page `index` (blockSize bytes) of the segment, in order. */
  page(p: Buffer, index: number): void {
    if (this.stop && this.stop.reason !== 'switch') return;
    const addr = this.o.segStart + BigInt(index * this.o.blockSize);
    if (this.stop) {
      this.padding(p, addr);
      return;
    }
    const h = readPageHeader(p);
    if (index === 0) {
      this.magic = h.magic;
      this.sysid = h.long?.sysid;
      this.overwrite = (h.info & XLP_FIRST_IS_OVERWRITE_CONTRECORD) !== 0;
    }
    const problem = pageProblem(h, {
      magic: this.magic ?? h.magic,
      pageAddr: addr,
      tli: this.o.expectedTli(addr),
      first: index === 0,
      segSize: this.o.segSize,
    });
    if (problem !== undefined) {
      // In a .partial, pages after the end of its WAL may hold anything (a recycled file's old pages).
      if (this.o.partial && index > 0) this.end(addr, `page header: ${problem}`);
      else this.fail(addr, `page header: ${problem}`, 'damage');
      return;
    }
    this.records_(p, h, addr, index);
  }

  /**
   * A page after a switch record: zeros (PostgreSQL 14 and later zero the page headers too) or, as 13 writes
   * it, a valid page header and zeros.
   */
  private padding(p: Buffer, addr: bigint): void {
    if (isZero(p, 0)) return;
    const h = readPageHeader(p);
    const problem = pageProblem(h, {
      magic: this.magic ?? h.magic,
      pageAddr: addr,
      tli: this.o.expectedTli(addr),
      first: false,
      segSize: this.o.segSize,
    });
    if (problem !== undefined) this.fail(addr, `page after the switch record: ${problem}`, 'damage');
    else if (!isZero(p, headerSize(h))) this.fail(addr, 'page after the switch record holds data', 'damage');
  }

  private records_(p: Buffer, h: PageHeader, addr: bigint, index: number): void {
    let off = headerSize(h);
    const contFlag = (h.info & XLP_FIRST_IS_CONTRECORD) !== 0;
    const waiting = this.rec ?? (this.cont && this.cont.remaining > 0 ? this.cont : undefined);
    if (waiting) {
      if (!contFlag) {
        if (h.info & XLP_FIRST_IS_OVERWRITE_CONTRECORD) {
          // A crash lost the rest of that record; WAL goes on here, so the link to the record before breaks.
          this.rec = undefined;
          this.cont = undefined;
          this.prev = undefined;
        } else {
          this.recordProblem(
            this.rec?.lsn ?? addr,
            `${this.unfinished(addr)}, which has no continuation flag`,
          );
          return;
        }
      } else {
        const expected = this.rec ? this.rec.totLen - this.rec.got : (this.cont?.remaining ?? 0);
        if (h.remLen !== expected) {
          this.recordProblem(this.rec?.lsn ?? addr, `${this.unfinished(addr)}, which says ${h.remLen}`);
          return;
        }
        off = this.rec ? this.feedRecord(p, off) : this.feedContinuation(p, off);
        if (this.rec || (this.cont && this.cont.remaining > 0)) return;
      }
    } else if (contFlag) {
      if (index > 0 || h.remLen === 0) {
        this.recordProblem(addr, 'the page continues a record, but none was left unfinished before it');
        return;
      }
      this.cont = {
        remLen: h.remLen,
        remaining: h.remLen,
        bytes: 0,
        crc: 0xffffffff,
        first: Buffer.alloc(0),
      };
      off = this.feedContinuation(p, off);
      if (this.cont.remaining > 0) return;
    }
    this.walk(p, align8(off), addr);
  }

  private unfinished(page: bigint): string {
    const left = this.rec ? this.rec.totLen - this.rec.got : this.cont?.remaining;
    const what = this.rec ? `record of ${this.rec.totLen} bytes` : 'record continued from the segment before';
    return `${what} has ${left} bytes to come on the page at LSN ${formatLsn(page)}`;
  }

  private walk(p: Buffer, from: number, addr: bigint): void {
    const bs = this.o.blockSize;
    // Records start 8-aligned and pages are multiples of 8: xl_tot_len is always on the page.
    for (let off = from; !this.stop && off < bs; ) {
      const lsn = addr + BigInt(off);
      const totLen = p.readUInt32LE(off);
      if (totLen === 0) {
        this.end(lsn, 'zeros where the next record should start');
        return;
      }
      if (totLen < RECORD_HEADER || totLen > MAX_RECORD) {
        this.recordProblem(lsn, `record length ${totLen} is impossible`);
        return;
      }
      this.rec = {
        lsn,
        totLen,
        got: 0,
        header: Buffer.alloc(RECORD_HEADER),
        crc: 0xffffffff,
        prev: this.prev,
      };
      off = this.feedRecord(p, off);
      if (this.rec) return; // continues on the next page
      if (this.switched() && !isZero(p, off)) {
        this.fail(addr + BigInt(off), 'data after the switch record', 'damage');
        return;
      }
      off = align8(off);
    }
  }

  private switched(): boolean {
    return this.stop?.reason === 'switch';
  }

  private feedRecord(p: Buffer, off: number): number {
    const r = this.rec!;
    const end = off + Math.min(r.totLen - r.got, this.o.blockSize - off);
    let i = off;
    if (r.got < RECORD_HEADER) {
      const k = Math.min(RECORD_HEADER - r.got, end - i);
      p.copy(r.header, r.got, i, i + k);
      r.got += k;
      i += k;
    }
    if (i < end) {
      r.crc = crc32cUpdate(r.crc, p, i, end);
      r.got += end - i;
    }
    if (r.got === r.totLen) this.finish(r);
    return end;
  }

  private feedContinuation(p: Buffer, off: number): number {
    const c = this.cont!;
    const n = Math.min(c.remaining, this.o.blockSize - off);
    c.crc = crc32cUpdate(c.crc, p, off, off + n);
    if (c.first.length < CONTINUATION_HEAD) {
      const take = Math.min(CONTINUATION_HEAD - c.first.length, n);
      c.first = Buffer.concat([c.first, p.subarray(off, off + take)]);
    }
    c.bytes += n;
    c.remaining -= n;
    return off + n;
  }

  private finish(r: Building): void {
    this.rec = undefined;
    const computed = (crc32cUpdate(r.crc, r.header, 0, 20) ^ 0xffffffff) >>> 0;
    const stored = r.header.readUInt32LE(20);
    if (computed !== stored) {
      this.recordProblem(
        r.lsn,
        `record of ${r.totLen} bytes fails its CRC (stored ${hex(stored, 8)}, computed ${hex(computed, 8)})`,
      );
      return;
    }
    const xlPrev = r.header.readBigUInt64LE(8);
    if (r.prev !== undefined && xlPrev !== r.prev) {
      this.recordProblem(
        r.lsn,
        `record points back to LSN ${formatLsn(xlPrev)}, but the record before it starts at ${formatLsn(r.prev)}`,
      );
      return;
    }
    this.records++;
    this.firstRecord ??= { lsn: r.lsn, prev: xlPrev };
    this.lastRecord = r.lsn;
    this.prev = r.lsn;
    if (isSwitchRecord(r.header)) this.stop = { reason: 'switch', lsn: r.lsn };
  }

  /** A record that is not valid: the end of the WAL in a .partial, damage in a complete segment. */
  private recordProblem(lsn: bigint, message: string): void {
    if (this.o.partial) this.end(lsn, message);
    else this.fail(lsn, message, 'damage');
  }

  private end(lsn: bigint, why: string): void {
    // A record left unfinished is not valid WAL: the WAL ends where it starts.
    this.stop = { reason: 'end', lsn: this.rec?.lsn ?? lsn, why };
    this.rec = undefined;
  }

  private fail(lsn: bigint, message: string, reason: 'damage'): void {
    this.failures.push({ lsn, message });
    this.rec = undefined;
    this.cont = undefined;
    this.stop = { reason, lsn };
  }

  result(): WalkResult {
    const r = this.rec;
    const c = this.cont;
    return {
      records: this.records,
      failures: this.failures,
      magic: this.magic,
      sysid: this.sysid,
      overwrite: this.overwrite,
      open: r && {
        lsn: r.lsn,
        totLen: r.totLen,
        have: r.got,
        header: r.header.subarray(0, Math.min(r.got, RECORD_HEADER)),
        payloadCrc: r.got > RECORD_HEADER ? (r.crc ^ 0xffffffff) >>> 0 : 0,
        prev: r.prev,
      },
      continuation: c && {
        remLen: c.remLen,
        bytes: c.bytes,
        crc: (c.crc ^ 0xffffffff) >>> 0,
        first: c.first,
        complete: c.remaining === 0,
      },
      firstRecord: this.firstRecord,
      lastRecord: this.lastRecord,
      stop: this.stop,
    };
  }
}

const ZEROS = Buffer.alloc(1 << 16);

function isZero(p: Buffer, from: number): boolean {
  return p.subarray(from).equals(ZEROS.subarray(0, p.length - from));
}

/** XLOG_SWITCH of the XLOG resource manager: the rest of its segment is padding. */
export function isSwitchRecord(header: Buffer): boolean {
  return header[17] === RM_XLOG_ID && ((header[16] ?? 0) & 0xf0) === XLOG_SWITCH;
}
