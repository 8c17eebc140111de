// Splits a tree into the tars uploaded in parallel: `<name>.tar*` then `<name>_0001.tar*`, ... Each part is a
// complete tar; barman-cloud-restore extracts the main one first, then the others in key order, so directory
// entries stay in the first part (modes and owners set before files land in them).
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

export function planParts(group: string, entries: readonly TreeEntry[], maxParts: number): PartPlan[] {
  const total = entries.reduce((n, e) => n + e.size, 0);
  const count = Math.max(1, Math.min(maxParts, Math.ceil(total / MIN_PART_BYTES)));
  const parts: PartPlan[] = Array.from({ length: count }, (_, index) => ({
    group,
    index,
    entries: [],
    bytes: 0,
  }));
  const files: TreeEntry[] = [];
  for (const e of entries) {
    if (e.type === 'dir') parts[0]!.entries.push(e);
    else files.push(e);
  }
  // Largest first into the lightest part: balanced within one file's size. Ties go to the later part, so the
  // main tar (which also waits for pg_control and backup_label) stays the lightest.
  files.sort((a, b) => b.size - a.size);
  for (const f of files) {
    let best = parts[count - 1]!;
    for (const p of parts) if (p.bytes < best.bytes) best = p;
    best.entries.push(f);
    best.bytes += f.size;
  }
  return parts;
}
