// `pgdr check` as an engine function (the drill's preflight calls it): named pre-recovery checks over the
// bucket and, when a connection is given, the archiving primary. Never throws for a finding; a check that could
// not run is reported as skipped, never as a pass.
import { formatDuration } from '../common/duration.js';
import { DEFAULT_OBJECTIVES } from '../config/objectives.js';
import { checkWalArchive } from '../engine/check-wal-archive.js';
import { inspectServer, type StatusResult } from '../engine/status.js';
import { isPgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { accessChecks } from './access-checks.js';
import { backupAgeCheck, backupsCheck, walAgeCheck, walContinuityCheck } from './bucket-checks.js';
import { type CheckResult, type ChecksReport, outcome, skipped, timed } from './check-result.js';
import { postgresChecks } from './postgres-checks.js';
import { uploadSettingsCheck } from './upload-check.js';

const DEFAULT_MAX_WAL_AGE_MS = DEFAULT_OBJECTIVES.rpoMs;
const DEFAULT_MAX_BACKUP_AGE_MS = DEFAULT_OBJECTIVES.backupAgeMs;

export interface RunChecksOptions {
  readonly store: ObjectStore;
  readonly serverName: string;
  readonly now?: () => Date;
  readonly maxWalAgeMs?: number;
  /** Where maxWalAgeMs comes from, for the finding (default: --max-wal-age). */
  readonly maxWalAgeBasis?: string;
  readonly maxBackupAgeMs?: number;
  /** The primary that archives into serverName: adds archiver health, backlog and identity checks. */
  readonly connection?: string | undefined;
  /** The serverName a new (e.g. restored) cluster will archive to: its WAL archive must be empty. */
  readonly newClusterServerName?: string | undefined;
  readonly signal?: AbortSignal;
}

export interface RunChecksReport extends ChecksReport {
  readonly serverName: string;
  readonly destination: string;
  /** What the bucket checks were judged on, for callers (the drill) that go on to restore. */
  readonly status: StatusResult | null;
}

const BUCKET_CHECKS = ['backups', 'wal-continuity', 'wal-age', 'backup-age'];

export async function runChecks(o: RunChecksOptions): Promise<RunChecksReport> {
  const now = o.now ?? (() => new Date());
  const startedAt = now();
  const checks: CheckResult[] = [];
  const access = await accessChecks(o.store, o.signal);
  checks.push(...access.checks);
  const upload = access.ok ? await uploadSettingsCheck(o.store, o.serverName, o.signal) : undefined;
  if (upload !== undefined) checks.push(upload);
  let status: StatusResult | null = null;
  let pg: Awaited<ReturnType<typeof postgresChecks>> | undefined;
  if (!access.ok) {
    for (const n of BUCKET_CHECKS) checks.push(skipped(n, 'not run: the object store cannot be used'));
  } else {
    const found = await timed('backups', async () => {
      try {
        status = await inspectServer({
          store: o.store,
          serverName: o.serverName,
          now: now(),
          maxWalAgeMs: o.maxWalAgeMs,
          maxBackupAgeMs: o.maxBackupAgeMs,
          signal: o.signal,
        });
        return backupsCheck(status);
      } catch (e) {
        o.signal?.throwIfAborted();
        if (isPgdrError(e, 'NO_BACKUPS')) return { status: 'fail', finding: e.message, hint: e.hint ?? '' };
        throw e;
      }
    });
    checks.push(found);
    // The primary's archive_timeout sets the RPO limit, so it is read before the WAL age is judged.
    if (o.connection !== undefined) {
      pg = await postgresChecks({ connection: o.connection, status, now, signal: o.signal });
    }
    const s = status as StatusResult | null;
    if (s) {
      checks.push(await timed('wal-continuity', () => walContinuityCheck(s)));
      const { ms, basis } = walAgeLimit(o.maxWalAgeMs, pg?.archiveTimeoutMs, o.maxWalAgeBasis);
      checks.push(await timed('wal-age', () => walAgeCheck(s, ms, basis)));
      checks.push(
        await timed('backup-age', () => backupAgeCheck(s, o.maxBackupAgeMs ?? DEFAULT_MAX_BACKUP_AGE_MS)),
      );
    } else {
      for (const n of BUCKET_CHECKS.slice(1)) checks.push(skipped(n, 'not run: no backups to judge'));
    }
  }
  if (o.newClusterServerName !== undefined) {
    checks.push(
      access.ok
        ? await timed('archive-destination', () =>
            destinationCheck(o.store, o.newClusterServerName!, o.signal),
          )
        : skipped('archive-destination', 'not run: the object store cannot be used'),
    );
  }
  if (o.connection !== undefined) {
    pg ??= await postgresChecks({ connection: o.connection, status, now, signal: o.signal });
    checks.push(...pg.checks);
  }
  return {
    result: outcome(checks),
    checks,
    startedAt,
    finishedAt: now(),
    serverName: o.serverName,
    destination: o.store.displayUrl,
    status,
  };
}

function walAgeLimit(
  flag: number | undefined,
  archiveTimeoutMs: number | undefined,
  basis = '--max-wal-age',
) {
  if (flag !== undefined) return { ms: flag, basis };
  if (archiveTimeoutMs !== undefined) {
    const t = formatDuration(archiveTimeoutMs);
    return { ms: archiveTimeoutMs + 60_000, basis: `the server's archive_timeout ${t} + 1m` };
  }
  return { ms: DEFAULT_MAX_WAL_AGE_MS, basis: 'archive_timeout 5m (default) + 1m; see --max-wal-age' };
}

/** CloudNativePG's bootstrap check ("WAL archive check failed"): a new cluster must not archive over old WAL. */
async function destinationCheck(store: ObjectStore, serverName: string, signal?: AbortSignal) {
  try {
    await checkWalArchive({ store, serverName, signal });
    return {
      status: 'pass' as const,
      finding: `${serverName}/wals/ is empty: a new cluster may archive there`,
      hint: '',
    };
  } catch (e) {
    if (!isPgdrError(e, 'ARCHIVE_NOT_EMPTY')) throw e;
    const n = (e.details?.walFiles as number | undefined) ?? 0;
    return {
      status: 'fail' as const,
      finding: `${e.message} (${n} WAL file(s) under ${serverName}/wals/)`,
      hint: `use a new serverName for the new cluster (e.g. ${serverName}-2) or another destinationPath`,
      value: n,
    };
  }
}
