// Records that cross from one segment object into the next: the first object's OpenRecord (header and CRC so
// far) and the next ones' Continuations (CRC of their bytes and the first 16) give the record's CRC by CRC
// combination, without reading any object again. Also checks what only two neighbours can tell: the next
// segment continues the record (or marks it overwritten), and its first record points back to the last one.
import { formatLsn } from '../../catalog/wal-name.js';
import { crc32c, crc32cCombine, crc32cShift } from '../../compression/crc32c.js';
import { isSwitchRecord, RECORD_HEADER } from './record-walker.js';
import type { SegmentCheck } from './segment-check.js';
import { hex } from './wal-page.js';
import type { Continuation, OpenRecord } from './walk-result.js';

interface JoinFailure {
  readonly check: SegmentCheck;
  readonly lsn: bigint | undefined;
  readonly message: string;
}

export interface JoinResult {
  /** Records checked across objects, by the key of the object each starts in. */
  readonly records: Map<string, number>;
  readonly failures: JoinFailure[];
  /** Per timeline: records at the archive's edges whose other part is not in it. */
  readonly unchecked: Map<number, number>;
}

export interface Neighbours {
  /** The objects holding the segment after this one's: same timeline first, then a child's first segment. */
  next(c: SegmentCheck): SegmentCheck[];
  /** The object holding the segment before this one's WAL (the same timeline, or the ancestor it came from). */
  previous(c: SegmentCheck): SegmentCheck | undefined;
  /** The same timeline's next segment object, for records longer than a segment. */
  sameTimelineNext(c: SegmentCheck): SegmentCheck | undefined;
}

/** Whether a check's walk can be trusted at its edges. */
function usable(c: SegmentCheck): boolean {
  return c.walk !== undefined && c.problems.length === 0 && c.walk.failures.length === 0;
}

export function joinRecords(checks: readonly SegmentCheck[], n: Neighbours): JoinResult {
  const out: JoinResult = { records: new Map(), failures: [], unchecked: new Map() };
  const uncheck = (c: SegmentCheck) =>
    out.unchecked.set(c.object.timeline, (out.unchecked.get(c.object.timeline) ?? 0) + 1);
  /** Full segments whose WAL ends early without a switch record, unless the record they continue is one. */
  const switchContinued = new Set<SegmentCheck>();
  for (const x of checks) {
    const open = x.walk?.open;
    if (!open || !usable(x)) continue;
    let checked = false;
    let unchecked = true;
    for (const y of n.next(x)) {
      const r = joinOne(open, x, y, n);
      if (r === 'unchecked' || r === 'skip') continue;
      unchecked = false;
      if (typeof r === 'object') out.failures.push(r);
      else {
        if (r === 'switch') switchContinued.add(y);
        checked = true;
      }
    }
    if (checked) out.records.set(x.object.key, (out.records.get(x.object.key) ?? 0) + 1);
    else if (unchecked) uncheck(x);
  }
  for (const y of checks) {
    if (!usable(y)) continue;
    const w = y.walk!;
    const x = n.previous(y);
    if (w.continuation && !x) uncheck(y);
    if (x && usable(x) && x.object.kind === 'segment') {
      const xw = x.walk!;
      // x leaves a record unfinished when one starts in it, or when it is all continuation itself.
      const unfinished = xw.open !== undefined || xw.continuation?.complete === false;
      if (w.continuation && !unfinished) {
        out.failures.push({
          check: y,
          lsn: y.segStart,
          message: `the segment starts by continuing a record, but ${x.object.key} ends with no record unfinished`,
        });
      }
      // The first record here must point back to the last one that began before it.
      const last = xw.open?.lsn ?? (xw.continuation?.complete === false ? undefined : xw.lastRecord);
      const first = w.firstRecord;
      const linked = !w.overwrite && (w.continuation !== undefined) === unfinished;
      if (linked && first && last !== undefined && first.prev !== last) {
        out.failures.push({
          check: y,
          lsn: first.lsn,
          message: `record points back to LSN ${formatLsn(first.prev)}, but the last record of ${x.object.key} starts at ${formatLsn(last)}`,
        });
      }
    }
    // A complete segment's WAL must run to its end or to a switch record.
    if (
      y.object.kind === 'segment' &&
      w.stop?.reason === 'end' &&
      !(switchContinued.has(y) && !w.firstRecord)
    ) {
      out.failures.push({
        check: y,
        lsn: w.stop.lsn,
        message: `no valid record where WAL goes on (${w.stop.why}), yet the segment is complete and no switch record came before`,
      });
    }
  }
  return out;
}

/**
 * Puts together the record `open` of x with its continuation in y (and after y, for a record longer than a
 * segment). 'ok' or 'switch' (the record is a switch record) when its CRC holds.
 */
function joinOne(
  open: OpenRecord,
  x: SegmentCheck,
  y: SegmentCheck,
  n: Neighbours,
): 'ok' | 'switch' | 'unchecked' | 'skip' | JoinFailure {
  if (!y.walk || y.problems.length > 0) return 'skip';
  if (!y.walk.continuation) {
    // A crash lost the rest of the record and the WAL after it was written over: nothing to check.
    if (y.walk.overwrite) return 'skip';
    if (y.walk.failures.some((f) => f.lsn === y.segStart)) return 'skip';
    return {
      check: y,
      lsn: y.segStart,
      message: `the record at LSN ${formatLsn(open.lsn)} of ${x.object.key} continues here, but the first page has no continuation`,
    };
  }
  const header = Buffer.alloc(RECORD_HEADER);
  open.header.copy(header);
  let have = open.have;
  let payloadCrc = open.payloadCrc;
  for (let c: SegmentCheck | undefined = y; ; c = n.sameTimelineNext(c)) {
    const piece: Continuation | undefined = c?.walk?.continuation;
    if (!c || !piece || c.problems.length > 0) return 'unchecked';
    if (piece.remLen !== open.totLen - have) {
      return {
        check: c,
        lsn: c.segStart,
        message: `the first page says ${piece.remLen} bytes of a record follow, but the record at LSN ${formatLsn(open.lsn)} of ${x.object.key} has ${open.totLen - have} bytes to come`,
      };
    }
    // A header split over the two objects: its last bytes open the continuation.
    const j = Math.min(Math.max(RECORD_HEADER - have, 0), piece.first.length);
    piece.first.copy(header, have, 0, j);
    const rest = piece.bytes - j;
    const restCrc = (piece.crc ^ crc32cShift(crc32c(piece.first, 0, j), rest)) >>> 0;
    payloadCrc = crc32cCombine(payloadCrc, restCrc, rest);
    have += piece.bytes;
    if (piece.complete) break;
  }
  const computed = crc32cCombine(payloadCrc, crc32c(header, 0, 20), 20);
  const stored = header.readUInt32LE(20);
  if (computed !== stored) {
    return {
      check: x,
      lsn: open.lsn,
      message: `record of ${open.totLen} bytes continued in ${y.object.key} fails its CRC (stored ${hex(stored, 8)}, computed ${hex(computed, 8)})`,
    };
  }
  const xlPrev = header.readBigUInt64LE(8);
  if (open.prev !== undefined && xlPrev !== open.prev) {
    return {
      check: x,
      lsn: open.lsn,
      message: `record points back to LSN ${formatLsn(xlPrev)}, but the record before it starts at ${formatLsn(open.prev)}`,
    };
  }
  return isSwitchRecord(header) ? 'switch' : 'ok';
}
