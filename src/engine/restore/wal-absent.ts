// The negative cache of a restore: WAL names PostgreSQL asks restore_command for that the archive, as listed
// for the plan, does not hold. Each such question otherwise starts a `pgdr wal restore` process only to hear
// "not found" (exit 1): the probes for the next timeline's history file at start-up, when the WAL runs out
// and at promotion, and for the parent timeline's history file when the new timeline's is written.
// Only history files: one appears only when some server is promoted onto this archive, which a restore of
// the plan's timeline does not follow anyway. Segments are never listed: a live source may still archive the
// next one while we replay, and recovery to 'latest' should then get it.
import type { WalCatalog } from '../../catalog/wal-catalog.js';
import { historyFileName } from '../../catalog/wal-name.js';

/** History files of timelines 1 to (newest timeline in the archive) + 1 that the archive does not hold. */
export function absentHistoryFiles(wal: Pick<WalCatalog, 'objects' | 'unknown'>): string[] {
  const held = new Set<string>();
  let newest = 1;
  for (const o of wal.objects) {
    newest = Math.max(newest, o.timeline);
    if (o.kind === 'history') held.add(o.name);
  }
  const out: string[] = [];
  for (let tli = 1; tli <= newest + 1; tli++) {
    const name = historyFileName(tli);
    // An object the catalog could not classify might still be what barman-cloud-wal-restore would serve.
    if (!held.has(name) && !wal.unknown.some((u) => u.key.includes(name))) out.push(name);
  }
  return out;
}
