// `pgdr retention apply` and `pgdr backup delete`: barman-cloud-backup-delete's -r and -b. The decisions are
// pure (catalog/retention*.ts); this file reads the bucket, refuses what barman refuses, and deletes in barman's
// order: per backup (oldest first) its files, then backup.info (so a failed run can be retried), then its WAL.

import { type BackupCatalog, listBackups, resolveBackupOrIncremental } from '../catalog/backup-catalog.js';
import type { BackupInfo } from '../catalog/backup-info.js';
import { INCREMENTAL_FOLDER } from '../catalog/incremental-chain.js';
import { keepStatus, type RetentionStatus } from '../catalog/retention.js';
import { chainDeletionOrder, chainRetentionReport } from '../catalog/retention-chains.js';
import { type DeletionStep, planDeletions } from '../catalog/retention-wal.js';
import { listWal } from '../catalog/wal-catalog.js';
import { mapLimit } from '../common/map-limit.js';
import type { RetentionPolicy } from '../config/retention-policy.js';
import { PgdrError } from '../errors.js';
import type { ProgressSink } from '../progress/events.js';
import type { ListResult, ServerTarget } from '../storage/object-store.js';

const LIST_CONCURRENCY = 8;

export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

interface DeletedBackup {
  readonly backupId: string;
  readonly status: string;
  /** Tars and any other object of the backup; backup.info is last. */
  readonly objects: readonly StoredObject[];
  readonly removeUntil: string | null;
  readonly wal: readonly StoredObject[];
}

interface ReportRow {
  readonly backupId: string;
  readonly backupStatus: string;
  readonly endTime: string | null;
  readonly retention: RetentionStatus;
}

export interface RetentionResult {
  readonly serverName: string;
  /** null for `backup delete`. */
  readonly policy: string | null;
  readonly minimumRedundancy: number;
  readonly dryRun: boolean;
  readonly report: readonly ReportRow[];
  readonly deleted: readonly DeletedBackup[];
}

interface CommonOptions extends ServerTarget {
  readonly minimumRedundancy: number;
  readonly dryRun: boolean;
  /** A note per backup deleted and the backups done of those to delete (src/progress). */
  readonly progress?: ProgressSink | undefined;
}

export interface ApplyRetentionOptions extends CommonOptions {
  readonly policy: RetentionPolicy;
  readonly now: Date;
}

export interface DeleteBackupOptions extends CommonOptions {
  /** ID, latest/oldest/last-failed or a backup name. */
  readonly ref: string;
}

export async function applyRetention(o: ApplyRetentionOptions): Promise<RetentionResult> {
  const catalog = await readCatalog(o);
  const incs = await readCatalog(o, INCREMENTAL_FOLDER);
  const statuses = chainRetentionReport(catalog.backups, incs.backups, o.policy, {
    minimumRedundancy: o.minimumRedundancy,
    now: o.now,
  });
  const all = [...catalog.backups, ...incs.backups].sort((a, b) => (a.backupId < b.backupId ? -1 : 1));
  const report = all.map((b) => row(b, statuses.get(b.backupId) ?? '-'));
  const order = chainDeletionOrder(statuses, new Set(incs.backups.map((b) => b.backupId)));
  // Incrementals first (newest first), so a chain never loses a link that a later one still needs; their WAL
  // goes with the full backups, judged with the incrementals that stay.
  const gone = new Set(order.incrementals);
  const deleted: DeletedBackup[] = [];
  for (const id of order.incrementals) {
    const backup = incs.backups.find((b) => b.backupId === id)!;
    deleted.push(await deleteStep(o, { backup, wal: noWal(id) }, undefined, INCREMENTAL_FOLDER));
  }
  const kept = { ...catalog, backups: all.filter((b) => !gone.has(b.backupId)) };
  deleted.push(...(await execute(o, kept, order.fulls, false)));
  return { ...summary(o), policy: o.policy.text, report, deleted };
}

function noWal(backupId: string): DeletionStep['wal'] {
  return {
    backupId,
    removeWals: false,
    removeUntil: null,
    removeBefore: null,
    protectedTimelines: [],
    protectedRanges: [],
    objects: [],
  };
}

export async function deleteBackup(o: DeleteBackupOptions): Promise<RetentionResult> {
  const catalog = await readCatalog(o);
  const incs = await readCatalog(o, INCREMENTAL_FOLDER);
  const { backup: b, incremental } = resolveBackupOrIncremental(catalog, incs, o.ref);
  if (b.keepAnnotation !== null) {
    throw new PgdrError(
      'REFUSED',
      `backup ${b.backupId} has a keep request (${keepStatus(b)}): not deleting it`,
      {
        hint: `release it first: pgdr backup keep ${b.backupId} --release`,
      },
    );
  }
  const children = incs.backups.filter((x) => x.parentBackupId === b.backupId);
  if (children.length > 0) {
    throw new PgdrError(
      'REFUSED',
      `backup ${b.backupId} is the parent of incremental backup(s) ${children.map((x) => x.backupId).join(', ')}: not deleting it`,
      { hint: 'retention apply removes a chain whole once none of it is needed' },
    );
  }
  // An incremental no later one builds on: its folder alone. Its WAL goes with the full backups (retention).
  if (incremental) {
    const step = { backup: b, wal: noWal(b.backupId) };
    const deleted = [await deleteStep(o, step, undefined, INCREMENTAL_FOLDER)];
    return { ...summary(o), policy: null, report: [], deleted };
  }
  const done = catalog.backups.filter((x) => x.status === 'DONE').length;
  // barman's `delete` rule (minimum_redundancy >= DONE backups refuses), with at least one DONE backup kept.
  const floor = Math.max(o.minimumRedundancy, 1);
  if (b.status === 'DONE' && floor >= done) {
    throw new PgdrError(
      'REFUSED',
      `backup ${b.backupId} is one of the last ${done} DONE backup(s) (minimum redundancy ${floor}): not deleting it`,
      { hint: 'take a new backup first (pgdr backup create), or lower --minimum-redundancy' },
    );
  }
  const deleted = await execute(o, catalog, [b.backupId], true);
  return { ...summary(o), policy: null, report: [], deleted };
}

function summary(o: CommonOptions): Pick<RetentionResult, 'serverName' | 'minimumRedundancy' | 'dryRun'> {
  return { serverName: o.serverName, minimumRedundancy: o.minimumRedundancy, dryRun: o.dryRun };
}

function row(b: BackupInfo, retention: RetentionStatus): ReportRow {
  return {
    backupId: b.backupId,
    backupStatus: b.status,
    endTime: b.endTime?.date.toISOString() ?? null,
    retention,
  };
}

async function readCatalog(o: CommonOptions, folder?: string): Promise<BackupCatalog> {
  const catalog = await listBackups(o.store, o.serverName, {
    signal: o.signal,
    ...(folder ? { folder } : {}),
  });
  if (catalog.unreadable.length > 0) {
    const list = catalog.unreadable.map((id) => `${id} (${catalog.errors.get(id)})`).join(', ');
    throw new PgdrError('CATALOG_INVALID', `cannot read the backup.info of: ${list}`, {
      hint: 'unsafe to delete anything while the catalog cannot be read (barman-cloud-backup-delete refuses too)',
      details: { unreadable: catalog.unreadable },
    });
  }
  return catalog;
}

async function execute(
  o: CommonOptions,
  catalog: BackupCatalog,
  ids: readonly string[],
  skipWalCleanupIfStandalone: boolean,
): Promise<DeletedBackup[]> {
  if (ids.length === 0) return [];
  const wal = await listWal(o.store, o.serverName, { signal: o.signal });
  const steps = planDeletions(catalog.backups, wal.objects, ids, { skipWalCleanupIfStandalone });
  const snapshot = steps.find((s) => s.backup.snapshotsInfo !== null);
  if (snapshot) {
    throw new PgdrError(
      'REFUSED',
      `backup ${snapshot.backup.backupId} is a snapshot backup: pgdr cannot delete snapshots`,
      {
        hint: 'delete it with barman-cloud-backup-delete, which also deletes the cloud snapshots',
      },
    );
  }
  const out: DeletedBackup[] = [];
  const task = o.dryRun ? 'retention (dry run)' : 'retention';
  const tick = () =>
    o.progress?.emit({ type: 'items', task, unit: 'backups', done: out.length, total: steps.length });
  tick();
  // The folders are listed ahead, a few at a time (a round trip each on a remote store); deleting stays in order.
  const listings = await mapLimit(steps, LIST_CONCURRENCY, (step) =>
    o.store.list(backupDir(o, step), { signal: o.signal }),
  );
  for (const [i, step] of steps.entries()) {
    const d = await deleteStep(o, step, listings[i]!);
    o.progress?.emit({
      type: 'stage',
      message: `${o.dryRun ? 'would delete' : 'deleted'} backup ${d.backupId}: ${d.objects.length} object(s), ${d.wal.length} WAL object(s)`,
    });
    out.push(d);
    tick();
  }
  return out;
}

function backupDir(o: CommonOptions, step: DeletionStep, folder = 'base'): string {
  return `${o.serverName}/${folder}/${step.backup.backupId}/`;
}

async function deleteStep(
  o: CommonOptions,
  step: DeletionStep,
  listed?: ListResult,
  folder = 'base',
): Promise<DeletedBackup> {
  const dir = backupDir(o, step, folder);
  listed ??= await o.store.list(dir, { signal: o.signal });
  // barman leaves annotations/ alone (it never lists them); backup.info goes last so a failed run can resume.
  const files = listed.objects.filter(
    (x) => x.key !== `${dir}backup.info` && !x.key.startsWith(`${dir}annotations/`),
  );
  const info = listed.objects.filter((x) => x.key === `${dir}backup.info`);
  const wal = step.wal.objects.map((w) => ({ key: w.key, size: w.size }));
  if (!o.dryRun) {
    if (o.signal?.aborted) throw new PgdrError('ABORTED', 'deletion interrupted', { cause: o.signal.reason });
    await o.store.delete(
      files.map((x) => x.key),
      { signal: o.signal },
    );
    await o.store.delete(
      info.map((x) => x.key),
      { signal: o.signal },
    );
    if (wal.length > 0)
      await o.store.delete(
        wal.map((w) => w.key),
        { signal: o.signal },
      );
  }
  return {
    backupId: step.backup.backupId,
    status: step.backup.status,
    objects: [...files, ...info].map((x) => ({ key: x.key, size: x.size })),
    removeUntil: step.wal.removeUntil,
    wal,
  };
}
