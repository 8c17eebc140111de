// Missing WAL segments along a timeline's ancestry. Work is proportional to the objects present, not to the
// size of the range, so a year of archive with a hole in the middle stays cheap.

import type { AncestrySpan } from './timeline-history.js';
import type { WalCatalog } from './wal-catalog.js';
import { segmentFromNumber, segmentNumber } from './wal-name.js';

export interface GapRange {
  readonly timeline: number;
  /** XLogSegNo of the first and last missing segment (inclusive). */
  readonly firstSegNo: number;
  readonly lastSegNo: number;
  readonly first: string;
  readonly last: string;
  readonly count: number;
}

/** Per timeline, the sorted segment numbers restore can serve (complete segments and .partial ones). */
export function presentSegments(wal: WalCatalog, segSize: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const [name, objects] of wal.bySegment) {
    if (objects.length === 0) continue;
    let segNo: number;
    try {
      segNo = segmentNumber(name, segSize);
    } catch {
      // A name that cannot exist with this segment size: it is no use to recovery.
      continue;
    }
    const tli = objects[0]!.timeline;
    const list = out.get(tli);
    if (list) list.push(segNo);
    else out.set(tli, [segNo]);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** Segment-number range [first, last] a span supplies; last is Infinity for the open span. */
export function spanRange(spans: readonly AncestrySpan[], i: number, segSize: number): [number, number] {
  const first = segmentNumber(spans[i]!.firstSegment, segSize);
  const next = spans[i + 1];
  return [first, next ? segmentNumber(next.firstSegment, segSize) - 1 : Number.POSITIVE_INFINITY];
}

export function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Missing segments between two segment numbers (inclusive), each expected from the span that supplies it. */
export function findGaps(
  spans: readonly AncestrySpan[],
  present: ReadonlyMap<number, readonly number[]>,
  from: number,
  to: number,
  segSize: number,
): GapRange[] {
  const gaps: GapRange[] = [];
  const push = (tli: number, a: number, b: number): void => {
    gaps.push({
      timeline: tli,
      firstSegNo: a,
      lastSegNo: b,
      first: segmentFromNumber(tli, a, segSize),
      last: segmentFromNumber(tli, b, segSize),
      count: b - a + 1,
    });
  };
  spans.forEach((span, i) => {
    const [spanFirst, spanLast] = spanRange(spans, i, segSize);
    const a = Math.max(from, spanFirst);
    const b = Math.min(to, spanLast);
    if (a > b) return;
    const list = present.get(span.timeline) ?? [];
    let cur = a;
    for (let k = lowerBound(list, a); k < list.length && list[k]! <= b; k++) {
      if (list[k]! > cur) push(span.timeline, cur, list[k]! - 1);
      cur = list[k]! + 1;
    }
    if (cur <= b) push(span.timeline, cur, b);
  });
  return gaps;
}

/** The last segment number reachable from `from` without crossing a gap (from - 1 when `from` is missing). */
export function contiguousEnd(gaps: readonly GapRange[], from: number, to: number): number {
  for (const g of gaps) {
    if (g.lastSegNo < from) continue;
    return g.firstSegNo <= from ? from - 1 : g.firstSegNo - 1;
  }
  return to;
}

/** Every missing name, up to `cap`. */
export function expandGaps(
  gaps: readonly GapRange[],
  segSize: number,
  cap: number,
): { names: string[]; truncated: boolean } {
  const names: string[] = [];
  for (const g of gaps) {
    for (let n = g.firstSegNo; n <= g.lastSegNo; n++) {
      if (names.length >= cap) return { names, truncated: true };
      names.push(segmentFromNumber(g.timeline, n, segSize));
    }
  }
  return { names, truncated: false };
}

/** `X` for one segment, `first..last (N segments)` for a run. */
export function formatGapRange(g: GapRange): string {
  return g.count === 1 ? g.first : `${g.first}..${g.last} (${g.count} segments)`;
}

/** One line per run; beyond `maxLines` runs, a last line counts the rest. */
export function formatGaps(gaps: readonly GapRange[], maxLines = 20): string[] {
  const lines = gaps.slice(0, maxLines).map(formatGapRange);
  if (gaps.length > maxLines) {
    const rest = gaps.slice(maxLines);
    lines.push(`... and ${rest.length} more runs (${rest.reduce((n, g) => n + g.count, 0)} segments)`);
  }
  return lines;
}
