// Builds a bucket exactly as barman-cloud writes it (real barman-cloud-backup and barman-cloud-wal-archive against
// a real PostgreSQL), so pgdr's readers and restores are tested against the genuine article, not our idea of it.
import { restoreWithBarmanCloud } from './backup-restore.js';
import { type BarmanStore, barmanCloudOk, destinationOf, walArchiveCommand } from './barman.js';
import { loadRows, type PgMajor, startPostgres, type TestPostgres } from './postgres.js';

export type BarmanCompression = 'gzip' | 'bzip2' | 'none';

export interface BuildBarmanBucketOptions {
  readonly major: PgMajor;
  /** An S3 endpoint (s3rver), or Azurite through a connection string. */
  readonly s3: BarmanStore;
  /** The bucket, or the Azure container. */
  readonly bucket: string;
  /** Path inside the bucket, without slashes at either end; may be ''. */
  readonly prefix: string;
  readonly serverName: string;
  readonly backups?: number;
  readonly compression?: BarmanCompression;
  /** Hand the still-archiving server back instead of removing it; the caller must then cleanup() it. */
  readonly keepRunning?: boolean;
}

export interface BarmanBucket {
  readonly destination: string;
  readonly serverName: string;
  /** Oldest first, as barman-cloud-backup-list reports them. */
  readonly backupIds: readonly string[];
  readonly systemId: string;
  readonly serverVersionNum: number;
  /** Rows in table pgdr_load committed before each backup started, in backup order. */
  readonly rowsAtBackup: readonly number[];
  /** Rows in pgdr_load once the last WAL was archived: what a restore to the end of WAL must show. */
  readonly finalRows: number;
  readonly lastArchivedWal: string;
  readonly server?: TestPostgres;
}

const COMPRESSION_FLAG: Record<BarmanCompression, string[]> = { gzip: ['-z'], bzip2: ['-j'], none: [] };

export async function buildBarmanBucket(options: BuildBarmanBucketOptions): Promise<BarmanBucket> {
  const { s3, serverName } = options;
  const compression = options.compression ?? 'gzip';
  const destination = destinationOf(s3, options.bucket, options.prefix);
  const archiveCommand = walArchiveCommand({ s3, destination, serverName, compression });
  const pg = await startPostgres({ major: options.major, archiveCommand, dataChecksums: true });
  try {
    const rowsAtBackup: number[] = [];
    let rows = await loadRows({ db: pg, rows: 1000 });
    await switchWalAndWait(pg);
    for (let i = 0; i < (options.backups ?? 2); i++) {
      rowsAtBackup.push(rows);
      const conn = ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres'];
      const args = [
        ...COMPRESSION_FLAG[compression],
        '--immediate-checkpoint',
        ...conn,
        destination,
        serverName,
      ];
      // Root reads every PGDATA file; barman needs both the files and a libpq connection.
      await barmanCloudOk('backup', args, s3);
      rows = await loadRows({ db: pg, rows: 500 });
      await switchWalAndWait(pg);
    }
    const backupIds = (await listBarmanBackups({ s3, destination, serverName })).map((b) => b.backup_id);
    const [sys] = await pg.query<{ system_identifier: string }>(
      'SELECT system_identifier FROM pg_control_system()',
    );
    const [ver] = await pg.query<{ server_version_num: string }>('SHOW server_version_num');
    const lastArchivedWal = await switchWalAndWait(pg);
    if (!options.keepRunning) await pg.cleanup();
    return {
      destination,
      serverName,
      backupIds,
      systemId: String(sys?.system_identifier),
      serverVersionNum: Number(ver?.server_version_num),
      rowsAtBackup,
      finalRows: rows,
      lastArchivedWal,
      ...(options.keepRunning ? { server: pg } : {}),
    };
  } catch (e) {
    await pg.cleanup();
    throw e;
  }
}

export interface BarmanBackupJson {
  readonly backup_id: string;
  readonly status: string;
  readonly begin_wal: string;
  readonly end_wal: string;
  readonly version: number;
  readonly systemid: string;
  readonly [field: string]: unknown;
}

export async function listBarmanBackups(options: {
  readonly s3: BarmanStore;
  readonly destination: string;
  readonly serverName: string;
}): Promise<BarmanBackupJson[]> {
  const args = ['--format', 'json', options.destination, options.serverName];
  const r = await barmanCloudOk('backup-list', args, options.s3);
  return (JSON.parse(r.stdout) as { backups_list: BarmanBackupJson[] }).backups_list;
}

/**
 * Closes the current WAL segment and waits until PostgreSQL reports it archived; returns its name. Fails fast
 * with the server's last archiver error when archiving fails.
 */
export async function switchWalAndWait(pg: TestPostgres, timeoutMs = 60_000): Promise<string> {
  // pg_switch_wal() does nothing after only "unimportant" records (e.g. the bgwriter's running-xacts), and the
  // segment it names would then never be archived: a commit record makes the switch real.
  await pg.query('SELECT pg_current_xact_id()');
  const [row] = await pg.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
  const wal = String(row?.wal);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [a] = await pg.query<{ last: string | null; failed: string; failed_wal: string | null }>(
      'SELECT last_archived_wal AS last, failed_count AS failed, last_failed_wal AS failed_wal FROM pg_stat_archiver',
    );
    if (a?.last && a.last.slice(0, 24) >= wal) return wal;
    if (Number(a?.failed) > 0 || Date.now() > deadline) {
      const why = Number(a?.failed) > 0 ? `archive_command failed for ${a?.failed_wal}` : 'timed out';
      throw new Error(`WAL ${wal} was not archived: ${why}\nserver log:\n${await pg.server.logTail(30)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Restores a backup with barman-cloud-restore and replays the archived WAL with barman-cloud-wal-restore to its
 * end, then starts the result (promoted): the reference a pgdr restore is compared with.
 */
export async function restoreWithBarman(options: {
  readonly major: PgMajor;
  readonly s3: BarmanStore;
  readonly bucket: Pick<BarmanBucket, 'destination' | 'serverName'>;
  readonly backupId: string;
}): Promise<TestPostgres> {
  const { bucket, ...rest } = options;
  return restoreWithBarmanCloud({ ...rest, destination: bucket.destination, serverName: bucket.serverName });
}

/**
 * Every key under prefix, through an anonymous ListObjectsV2 (no SDK needed). s3rver needs node's
 * --openssl-legacy-provider for continuation tokens (test/helpers/s3rver.ts starts it so).
 */
export async function listBucketKeys(options: {
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
}): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ 'list-type': '2', prefix: options.prefix });
    if (token !== undefined) q.set('continuation-token', token);
    const res = await fetch(`${options.endpoint}/${options.bucket}?${q}`);
    const xml = await res.text();
    if (!res.ok) throw new Error(`listing ${options.bucket}/${options.prefix} failed: ${res.status} ${xml}`);
    for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(decodeXml(m[1]!));
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
      ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1]
      : undefined;
  } while (token !== undefined);
  return keys;
}

function decodeXml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!,
  );
}
