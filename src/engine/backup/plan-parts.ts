// Splits a tree into the tars uploaded in parallel: `<name>.tar*` then `<name>_0001.tar*`, ... Each part is a
// complete tar; barman-cloud-restore extracts the main one first, then the others in key order, so directory
// entries stay in the first part (modes and owners set before files land in them).
//
// Large files (relation segments) go into tars of their own, about LARGE_PART_BYTES each, apart from the small
// files that change on every run (catalogs, pg_xact, free space and visibility maps): a delta restore leaves a
// tar in the store when every file in it already matches, so a table that did not change since the backup
// costs no download, whatever changed elsewhere.
import type { TreeEntry } from './walk-tree.js';

export interface PartPlan {
  /** 'data' or the tablespace OID. */
  readonly group: string;
  /** 0 for the main tar. */
  readonly index: number;
  readonly entries: TreeEntry[];
  /** Bytes of file data. */
  bytes: number;
}

/** Below this a part costs more in overhead than it saves in parallelism. */
const MIN_PART_BYTES = 8 * 1024 * 1024;
/** A file this large is kept apart from the small ones. */
export const LARGE_FILE_BYTES = 128 * 1024 * 1024;
/** Large files are packed up to this much per tar: one full relation segment each. */
export const LARGE_PART_BYTES = 1024 * 1024 * 1024;

export function planParts(group: string, entries: readonly TreeEntry[], maxParts: number): PartPlan[] {
  const dirs = entries.filter((e) => e.type === 'dir');
  const files = entries.filter((e) => e.type !== 'dir').sort((a, b) => b.size - a.size);
  const large = files.filter((f) => f.size >= LARGE_FILE_BYTES);
  const small = files.filter((f) => f.size < LARGE_FILE_BYTES);
  const smallBytes = small.reduce((n, e) => n + e.size, 0);
  const count = Math.max(1, Math.min(maxParts, Math.ceil(smallBytes / MIN_PART_BYTES)));
  const parts: PartPlan[] = Array.from({ length: count }, (_, index) => ({
    group,
    index,
    entries: [],
    bytes: 0,
  }));
  parts[0]!.entries.push(...dirs);
  // Largest first into the lightest part: balanced within one file's size. Ties go to the later part, so the
  // main tar (which also waits for pg_control and backup_label) stays the lightest.
  for (const f of small) {
    let best = parts[count - 1]!;
    for (const p of parts) if (p.bytes < best.bytes) best = p;
    add(best, f);
  }
  // First fit, largest first: a full segment fills a tar; smaller ones (a table's last segment, an index)
  // share one up to the same size, or up to a job's share of the tree when that is less, so that a small
  // database's few large files still restore in parallel (each tar is inflated by one thread).
  const total = smallBytes + large.reduce((n, f) => n + f.size, 0);
  const room = Math.min(LARGE_PART_BYTES, Math.ceil(total / Math.max(1, maxParts)));
  const packed: PartPlan[] = [];
  for (const f of large) {
    const fit = packed.find((p) => p.bytes + f.size <= room);
    if (fit !== undefined) add(fit, f);
    else {
      const p: PartPlan = { group, index: count + packed.length, entries: [], bytes: 0 };
      add(p, f);
      packed.push(p);
    }
  }
  return [...parts, ...packed];
}

function add(p: PartPlan, f: TreeEntry): void {
  p.entries.push(f);
  p.bytes += f.size;
}
