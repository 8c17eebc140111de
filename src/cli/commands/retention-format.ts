// Output of `retention apply` and `backup delete`: every object that goes (or would go with --dry-run), with
// counts and sizes, so a dry run is a complete preview rather than a summary.
import type { RetentionResult, StoredObject } from '../../engine/retention.js';
import { bytes, isoSeconds, table } from '../output.js';

export function retentionTotals(r: RetentionResult): { backups: number; objects: number; bytes: number } {
  const all = r.deleted.flatMap((d) => [...d.objects, ...d.wal]);
  return { backups: r.deleted.length, objects: all.length, bytes: sum(all) };
}

export function retentionJson(r: RetentionResult): Record<string, unknown> {
  return { ...r, totals: retentionTotals(r) };
}

export function retentionText(r: RetentionResult, destination: string): string {
  const out: string[] = [];
  const verb = r.dryRun ? 'Would delete' : 'Deleted';
  if (r.policy !== null) {
    out.push(
      `Policy: ${r.policy} (minimum redundancy ${r.minimumRedundancy}) for ${r.serverName} in ${destination}`,
    );
    const rows = r.report.map((b) => [
      b.backupId,
      b.backupStatus,
      b.endTime === null ? '-' : isoSeconds(new Date(b.endTime)),
      b.retention,
    ]);
    out.push(rows.length ? table(['Backup ID', 'Status', 'End Time', 'Retention'], rows) : 'No backups.', '');
  }
  if (r.deleted.length === 0) out.push('Nothing to delete.');
  for (const d of r.deleted) {
    out.push(`${verb} backup ${d.backupId} (${d.status}): ${count(d.objects)}`);
    for (const o of d.objects) out.push(`  ${o.key}  ${bytes(o.size)}`);
    const until =
      d.removeUntil === null
        ? ' (an earlier backup still needs all later WAL)'
        : ` (WAL before the begin_wal of ${d.removeUntil})`;
    out.push(`${verb} ${count(d.wal, 'WAL object')}${until}`);
    for (const o of d.wal) out.push(`  ${o.key}  ${bytes(o.size)}`);
  }
  if (r.deleted.length > 0) {
    const t = retentionTotals(r);
    out.push(
      `Total: ${verb.toLowerCase()} ${t.backups} backup(s), ${t.objects} object(s), ${bytes(t.bytes)}`,
    );
  }
  if (r.dryRun) out.push('Dry run: nothing was deleted.');
  return out.join('\n');
}

function count(objects: readonly StoredObject[], what = 'object'): string {
  return `${objects.length} ${what}${objects.length === 1 ? '' : 's'}, ${bytes(sum(objects))}`;
}

function sum(objects: readonly StoredObject[]): number {
  return objects.reduce((n, o) => n + o.size, 0);
}
