// A PostgreSQL primary (17 unless told) archiving through `pgdr wal archive` into s3rver (or any store given as
// StoreAccess: the GCS fake), with table t (100 rows) and one pgdr base backup: the starting point of the
// standby, promotion, failback and end-to-end tests.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { tableDigest } from './backup-restore.js';
import { switchWalAndWait } from './barman-bucket.js';
import { PGDR_BIN, runPgdr } from './cli.js';
import { loadRows, type PgMajor, startPostgres, type TestPostgres } from './postgres.js';
import type { S3rverHandle } from './s3rver.js';

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
    async lines(root) {
      await fsp.writeFile(join(root, 'key-id'), s3.accessKeyId, { mode: 0o644 });
      await fsp.writeFile(join(root, 'secret'), s3.secretAccessKey, { mode: 0o644 });
      return [
        `  destinationPath: s3://${bucket}/dr`,
        `  endpointURL: ${s3.endpoint}`,
        '  s3Credentials:',
        `    accessKeyId: {file: ${join(root, 'key-id')}}`,
        `    secretAccessKey: {file: ${join(root, 'secret')}}`,
      ];
    },
  };
}

/** Files go into root, which must be reachable by the server's OS user (0755). */
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
  const cfg = join(root, 'pgdr.yaml');
  await fsp.writeFile(cfg, [`serverName: ${o.serverName}`, ...store, ''].join('\n'), { mode: 0o644 });
  const primary = await startPostgres({
    major: o.major ?? 17,
    archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${cfg} %p`,
  });
  await primary.query('CREATE TABLE t (id int)');
  await primary.query('INSERT INTO t SELECT generate_series(1, 100)');
  const full = join(root, 'pgdr-primary.yaml');
  const pg = ['postgres:', `  connection: ${primary.connectionString}`, `  pgdata: ${primary.pgdata}`];
  await fsp.writeFile(full, [`serverName: ${o.serverName}`, ...store, ...pg, ''].join('\n'));
  const b = await runPgdr(['backup', 'create', '--config', full], { timeoutMs: 300_000 });
  assert.equal(b.code, 0, b.stderr);
  await switchWalAndWait(primary);
  return { primary, cfg, full };
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
