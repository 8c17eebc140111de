// WAL rate and bucket growth over time, from what the bucket lists today: each WAL object's size at its archive
// time and each backup's size at its end time. Objects already deleted (retention) are not counted, so the
// early part of the curve is what is still kept, not what was ever written.
import type { BackupInfo } from '../catalog/backup-info.js';
import type { WalCatalog } from '../catalog/wal-catalog.js';
import { maxOf, minOf } from '../common/extremes.js';
import type { GrowthView } from './dashboard-types.js';

const MIN = 60_000;
/** Bucket widths to choose from: the first that gives at most MAX_POINTS points over the span. */
const WIDTHS = [
  10_000,
  30_000,
  MIN,
  5 * MIN,
  15 * MIN,
  60 * MIN,
  360 * MIN,
  1440 * MIN,
  10080 * MIN,
  43200 * MIN,
];
const MAX_POINTS = 60;
const DAY = 1440 * MIN;

export function growthView(
  wal: WalCatalog,
  backups: readonly BackupInfo[],
  sizes: ReadonlyMap<string, number>,
  now: Date,
): GrowthView | null {
  const events: Array<{ t: number; wal: number; backup: number }> = [];
  for (const o of [...wal.objects, ...wal.unknown])
    events.push({ t: o.lastModified.getTime(), wal: o.size, backup: 0 });
  for (const b of backups) {
    const size = sizes.get(b.backupId);
    const at = b.endTime ?? b.beginTime;
    if (size !== undefined && at) events.push({ t: at.date.getTime(), wal: 0, backup: size });
  }
  if (!events.length) return null;
  const end = Math.max(now.getTime(), maxOf(events.map((e) => e.t)));
  const start = minOf(events.map((e) => e.t));
  const width = WIDTHS.find((w) => (end - start) / w <= MAX_POINTS) ?? WIDTHS.at(-1)!;
  const first = Math.floor(start / width) * width;
  const n = Math.floor((end - first) / width) + 1;
  const walBytes = new Array<number>(n).fill(0);
  const added = new Array<number>(n).fill(0);
  for (const e of events) {
    const i = Math.min(n - 1, Math.floor((e.t - first) / width));
    walBytes[i]! += e.wal;
    added[i]! += e.wal + e.backup;
  }
  let total = 0;
  const points = walBytes.map((w, i) => {
    total += added[i]!;
    return { start: new Date(first + i * width).toISOString(), walBytes: w, totalBytes: total };
  });
  const dayAgo = now.getTime() - DAY;
  const lastDay = wal.objects.filter((o) => o.lastModified.getTime() > dayAgo);
  const walLastDay = lastDay.reduce((a, o) => a + o.size, 0);
  return {
    bucketMs: width,
    points,
    totalBytes: total,
    walBytes: events.reduce((a, e) => a + e.wal, 0),
    walBytesLastDay: walLastDay,
  };
}
