// Checks only the whole archive can make: which object neighbours which (for records crossing objects,
// timelines included), one system identifier and one PostgreSQL major for all, and .partial files that hold
// the WAL up to where a child timeline branches off.
import { type AncestrySpan, type TimelineHistory, timelineAt } from '../../catalog/timeline-history.js';
import type { WalObject } from '../../catalog/wal-catalog.js';
import { formatLsn } from '../../catalog/wal-name.js';
import type { Neighbours } from './record-join.js';
import type { Reference } from './reference.js';
import type { SegmentCheck } from './segment-check.js';
import { hex, majorOfMagic, PAGE_MAGIC_BY_MAJOR } from './wal-page.js';

export type Fail = (obj: WalObject, message: string, lsn?: bigint, segStart?: bigint) => void;

export function neighbours(
  checks: readonly SegmentCheck[],
  segSize: number,
  spansOf: (tli: number) => AncestrySpan[],
): Neighbours {
  const at = new Map<string, { segment?: SegmentCheck; partial?: SegmentCheck }>();
  for (const c of checks) {
    if (c.segNo < 0) continue;
    const k = `${c.object.timeline}:${c.segNo}`;
    const slot = at.get(k) ?? {};
    if (c.object.kind === 'segment') slot.segment = c;
    else slot.partial ??= c;
    at.set(k, slot);
  }
  const get = (tli: number, segNo: number) => {
    const slot = at.get(`${tli}:${segNo}`);
    return slot?.segment ?? slot?.partial;
  };
  const timelines = [...new Set(checks.map((c) => c.object.timeline))];
  const previous = (c: SegmentCheck): SegmentCheck | undefined => {
    const same = get(c.object.timeline, c.segNo - 1);
    if (same || c.segNo < 1) return same;
    const from = timelineAt(spansOf(c.object.timeline), BigInt(c.segNo - 1) * BigInt(segSize));
    return from === c.object.timeline ? undefined : get(from, c.segNo - 1);
  };
  return {
    previous,
    sameTimelineNext: (c) => get(c.object.timeline, c.segNo + 1),
    next: (c) => {
      const slot = at.get(`${c.object.timeline}:${c.segNo + 1}`);
      const same = [slot?.segment, slot?.partial].filter((x): x is SegmentCheck => x !== undefined);
      const children = timelines
        .filter((t) => t !== c.object.timeline)
        .map((t) => get(t, c.segNo + 1))
        .filter((y): y is SegmentCheck => y !== undefined && previous(y) === c);
      return [...same, ...children];
    },
  };
}

/** One cluster, one major: every segment's first page must say the same system identifier and magic. */
export function agreement(checks: readonly SegmentCheck[], ref: Reference, fail: Fail): void {
  const firstPages = checks.filter((c) => c.walk?.sysid !== undefined && c.walk.magic !== undefined);
  const magic =
    (ref.major !== undefined ? PAGE_MAGIC_BY_MAJOR[ref.major] : undefined) ??
    mostCommon(firstPages.map((c) => c.walk!.magic!));
  const sysid = ref.sysid ?? mostCommon(firstPages.map((c) => c.walk!.sysid!));
  const source = ref.major !== undefined || ref.sysid !== undefined ? ref.source : 'most segments';
  for (const c of firstPages) {
    const w = c.walk!;
    if (sysid !== undefined && w.sysid !== sysid) {
      fail(
        c.object,
        `system identifier ${w.sysid}, not ${sysid} (${source}): WAL of another cluster`,
        c.segStart,
        c.segStart,
      );
    }
    const major = majorOfMagic(w.magic!);
    if (magic !== undefined && major !== undefined && w.magic !== magic) {
      fail(
        c.object,
        `WAL of PostgreSQL ${major} (page magic ${hex(w.magic!)}), not of PostgreSQL ${majorOfMagic(magic)} (${source})`,
        c.segStart,
        c.segStart,
      );
    }
  }
}

function mostCommon<T>(values: readonly T[]): T | undefined {
  const n = new Map<T, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  let best: T | undefined;
  for (const [v, k] of n) if (best === undefined || k > n.get(best)!) best = v;
  return best;
}

/** A .partial ends its timeline: it must hold valid WAL up to every point where a child timeline branches off. */
export function partialsReachSwitchpoints(
  checks: readonly SegmentCheck[],
  histories: ReadonlyMap<number, TimelineHistory>,
  segSize: number,
  fail: Fail,
): void {
  for (const c of checks) {
    const w = c.walk;
    if (c.object.kind !== 'partial' || !w || c.problems.length > 0 || w.failures.length > 0) continue;
    const end = w.stop?.reason === 'end' ? w.stop.lsn : w.open?.lsn;
    if (end === undefined) continue;
    for (const [child, h] of histories) {
      for (const e of h.entries) {
        const inside = e.switchpoint > c.segStart && e.switchpoint <= c.segStart + BigInt(segSize);
        if (e.parentTimeline !== c.object.timeline || !inside || end >= e.switchpoint) continue;
        const why = w.stop?.why ? ` (${w.stop.why})` : '';
        fail(
          c.object,
          `valid WAL ends at LSN ${formatLsn(end)}${why}, before LSN ${formatLsn(e.switchpoint)} where timeline ${child} branches off`,
          end,
          c.segStart,
        );
      }
    }
  }
}
