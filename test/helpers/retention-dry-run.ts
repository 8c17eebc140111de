// What a dry run of each tool says it would delete, as comparable sorted key lists relative to the destination.

export interface Deletion {
  readonly backups: string[];
  readonly backupObjects: string[];
  readonly wal: string[];
}

/** The keys in barman-cloud-backup-delete --dry-run output ("Skipping deletion of objects [...]"). */
export function barmanDryRun(stdout: string, prefix: string): Deletion {
  const keys = [...stdout.matchAll(/'([^']+)'/g)].map((m) => m[1]!.slice(prefix.length + 1));
  const backupObjects = keys.filter((k) => k.includes('/base/'));
  return {
    backups: backupObjects.flatMap((k) => /base\/(\d{8}T\d{6})\/backup\.info$/.exec(k)?.[1] ?? []),
    backupObjects: backupObjects.sort(),
    wal: keys.filter((k) => k.includes('/wals/')).sort(),
  };
}

/** The same from `pgdr ... --dry-run --format json`. */
export function pgdrDryRun(stdout: string): Deletion {
  const r = JSON.parse(stdout) as {
    deleted: { backupId: string; objects: { key: string }[]; wal: { key: string }[] }[];
  };
  return {
    backups: r.deleted.map((d) => d.backupId),
    backupObjects: r.deleted.flatMap((d) => d.objects.map((o) => o.key)).sort(),
    wal: r.deleted.flatMap((d) => d.wal.map((o) => o.key)).sort(),
  };
}
