// What every part of the matrix shares: the source database, the three repositories (pgdr on file://, pgBackRest
// on a posix folder, barman-cloud on s3rver: the only store barman-cloud has here), the user PostgreSQL runs as,
// and the rows collected so far.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ServerUser } from '../src/postgres/os-user.js';
import { PGDR_COMMAND_ENV } from '../test/helpers/cli.js';
import type { TestPostgres } from '../test/helpers/postgres.js';
import type { S3rverHandle } from '../test/helpers/s3rver.js';
import type { ArchiveSwitch } from './matrix-archive.js';
import type { MatrixPath, MatrixRow, Outcome, Tool } from './matrix-table.js';
import type { PgbackrestStanza } from './pgbackrest.js';

export const SERVER_NAME = 'bench';
export const BUCKET = 'bench';

export interface MatrixContext {
  readonly pg: TestPostgres;
  readonly s3: S3rverHandle;
  /** Scratch folder readable by the server user. */
  readonly work: string;
  readonly cores: number;
  /** Size of the data directory's files: what MB/s of backup and restore rows is computed over. */
  dataBytes: number;
  readonly pgdr: { readonly config: string; readonly repo: string; readonly walParallel: number };
  readonly barman: {
    readonly destination: string;
    readonly env: NodeJS.ProcessEnv;
    readonly skipBackup: boolean;
    /** The restore rows run (--rows): a skipped barman-cloud backup is still taken for them. */
    readonly restoreRows: boolean;
  };
  readonly pgbackrest: PgbackrestStanza | undefined;
  readonly user: ServerUser | null;
  /** archive_command: every archiver, or one tool's alone while its backup row runs. */
  readonly archive: ArchiveSwitch;
  readonly rows: MatrixRow[];
}

export function record(ctx: MatrixContext, path: MatrixPath, tool: Tool, outcome: Outcome): void {
  ctx.rows.push({ path, tool, outcome });
  const o = outcome;
  console.error(
    `  ${path} / ${tool}: ${o.status === 'ok' ? `${o.cell.seconds.toFixed(2)} s, ${o.cell.peakRssMB.toFixed(0)} MB RSS` : `${o.status} (${o.why})`}`,
  );
}

/** Runs a step; a thrown error becomes a "failed" row, so one tool's failure does not end the run. */
export async function attempt(
  ctx: MatrixContext,
  path: MatrixPath,
  tool: Tool,
  fn: () => Promise<Outcome>,
): Promise<void> {
  try {
    record(ctx, path, tool, await fn());
  } catch (e) {
    record(ctx, path, tool, {
      status: 'failed',
      why: String((e as Error).message ?? e)
        .split('\n')
        .slice(0, 3)
        .join(' '),
    });
  }
}

/** s3rver's bytes of objects under the barman server folder's `sub` (base, wals). */
export const barmanDir = (ctx: MatrixContext, sub: string): string =>
  join(ctx.s3.dir, BUCKET, 'pg', SERVER_NAME, sub);

/** pgdr's environment: nothing of ours (no AWS_* keys) but PATH, HOME and this checkout's pgdr executable. */
export const PGDR_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ...PGDR_COMMAND_ENV,
};

export const barmanArgs = (ctx: MatrixContext): string[] => [
  '--cloud-provider',
  'aws-s3',
  '--endpoint-url',
  ctx.s3.endpoint,
];

/** pgdr's configuration for a bench server: gzip level 1 (the default) for WAL and data, a file:// repository. */
export async function writePgdrConfig(
  file: string,
  o: { repo: string; walParallel: number; jobs: number; pg: TestPostgres },
): Promise<void> {
  const text = [
    `serverName: ${SERVER_NAME}`,
    'objectStore:',
    `  destinationPath: file://${o.repo}`,
    `  wal: { compression: gzip, maxParallel: ${o.walParallel} }`,
    `  data: { compression: gzip, jobs: ${o.jobs} }`,
    'postgres:',
    `  connection: ${o.pg.connectionString}`,
    `  pgdata: ${o.pg.pgdata}`,
    '',
  ];
  await fsp.writeFile(file, text.join('\n'), { mode: 0o644 });
}

/** A fresh folder under work owned by the server user (mode 0700, as a data directory must be). */
export async function serverFolder(ctx: MatrixContext, name: string): Promise<string> {
  const dir = join(ctx.work, name);
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { mode: 0o700 });
  if (ctx.user) await fsp.chown(dir, ctx.user.uid, ctx.user.gid);
  return dir;
}
