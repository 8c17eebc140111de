// A PostgreSQL primary (17 unless told) archiving through `pgdr wal archive` into s3rver (or any store given as
// StoreAccess: the GCS fake), with table t (100 rows) and one pgdr base backup: the starting point of the
// standby, promotion, failback and end-to-end tests.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { backupCreate } from './backup-create.js';
import { tableDigest } from './backup-restore.js';
import { switchWalAndWait } from './barman-bucket.js';
import { PGDR_BIN } from './cli.js';
import { loadRows, type PgMajor, startPostgres, type TestPostgres } from './postgres.js';
import type { S3rverHandle } from './s3rver.js';
import { s3StoreLines } from './server-config.js';

export interface ArchivingPrimary {
  readonly primary: TestPostgres;
  /** The store-only configuration (what archive_command and the standby commands read). */
  readonly cfg: string;
  /** The same plus postgres.connection/pgdata of the primary. */
  readonly full: string;
}

/** Where the primary archives: the objectStore lines naming the destination, endpoint and credentials. */
export interface StoreAccess {
  /** Writes the credential files into root (readable by the server's OS user) and returns the lines. */
  lines(root: string): Promise<string[]>;
}

export function s3Access(s3: S3rverHandle, bucket: string): StoreAccess {
  return {
    lines: (root) => s3StoreLines(s3, `s3://${bucket}/dr`, root),
  };
}

/**
 * A primary (17 unless told) archiving through `pgdr wal archive` with the configuration `cfg`: serverName and
 * the objectStore section `store`; `full` adds the primary's postgres section. Files go into root, which must be
 * reachable by the server's OS user (0755).
 */
export async function configuredPrimary(o: {
  root: string;
  serverName: string;
  store: readonly string[];
  major?: PgMajor;
}): Promise<ArchivingPrimary> {
  const cfg = join(o.root, 'pgdr.yaml');
  await fsp.writeFile(cfg, [`serverName: ${o.serverName}`, ...o.store, ''].join('\n'), { mode: 0o644 });
  const primary = await startPostgres({
    major: o.major ?? 17,
    archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${cfg} %p`,
  });
  const full = join(o.root, 'pgdr-primary.yaml');
  const pg = ['postgres:', `  connection: ${primary.connectionString}`, `  pgdata: ${primary.pgdata}`];
  await fsp.writeFile(full, [`serverName: ${o.serverName}`, ...o.store, ...pg, ''].join('\n'));
  return { primary, cfg, full };
}

/** configuredPrimary, with table t and one base backup. */
export async function archivingPrimary(
  o: ({ s3: S3rverHandle; bucket: string } | { access: StoreAccess }) & {
    root: string;
    serverName: string;
    major?: PgMajor;
  },
): Promise<ArchivingPrimary> {
  const { root } = o;
  const access = 'access' in o ? o.access : s3Access(o.s3, o.bucket);
  const store = [
    'objectStore:',
    ...(await access.lines(root)),
    '  wal: { compression: gzip, maxParallel: 4 }',
    '  data: { compression: gzip, jobs: 2, immediateCheckpoint: true }',
  ];
  const made = await configuredPrimary({ ...o, store });
  const { primary, full } = made;
  await primary.query('CREATE TABLE t (id int)');
  await primary.query('INSERT INTO t SELECT generate_series(1, 100)');
  await backupCreate(full);
  await switchWalAndWait(primary);
  return made;
}

/**
 * Rows a restore can only get by replaying the archived WAL: written after the backup, their WAL switched
 * and archived, then the primary stopped and removed. Returns the rows' digest, to compare with the restored.
 */
export async function rowsOnlyInWal(src: TestPostgres): Promise<{ rows: number; md5: string | null }> {
  await loadRows({ db: src, rows: 5000 });
  const digest = await tableDigest(src, 'pgdr_load');
  await switchWalAndWait(src);
  await src.cleanup();
  return digest;
}
