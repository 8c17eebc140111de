// Full and incremental backup rows, and the change between them: one row on every 50th page of
// pgbench_accounts, so 2% of the table's pages hold a changed row, spread evenly over it (PostgreSQL also
// writes each new row version elsewhere and its index entry: the WAL summaries count what it modified).
import { join } from 'node:path';
import { listBarmanBackups, switchWalAndWait } from '../test/helpers/barman-bucket.js';
import type { TestPostgres } from '../test/helpers/postgres.js';
import { attempt, barmanArgs, barmanDir, type MatrixContext, SERVER_NAME } from './matrix-context.js';
import { cell, dirBytes, unknownOption } from './matrix-step.js';
import type { Cell, MatrixPath, Outcome, Tool } from './matrix-table.js';
import { PGDR_EXE, PGDR_EXE_ENV } from './pgdr-exe.js';
import { measure } from './process-meter.js';

export interface BackupIds {
  pgdrFull?: string;
  pgbackrestFull?: string;
  barmanFull?: string;
  /** Stored bytes of each full backup: what a full restore downloads. */
  bytes: { pgdr?: number; pgBackRest?: number; 'barman-cloud'?: number };
}

/** The first row of every 50th page of pgbench_accounts (a TID scan: no pass over the table). */
export const TWO_PERCENT_OF_PAGES =
  "ctid = ANY (ARRAY(SELECT format('(%s,1)', p)::tid FROM generate_series(0, pg_relation_size('pgbench_accounts') / current_setting('block_size')::int - 1, 50) AS p))";

export async function changeTwoPercent(db: TestPostgres): Promise<number> {
  const [r] = await db.query<{ n: string }>(
    `WITH u AS (UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE ${TWO_PERCENT_OF_PAGES} RETURNING 1) SELECT count(*) AS n FROM u`,
  );
  return Number(r?.n);
}

/** `pgdr backup create` with this config (the matrix's, or the PostgreSQL 17 row's), its phases logged. */
export async function pgdrBackup(config: string, extra: string[]) {
  const args = [
    'backup',
    'create',
    ...extra,
    '--config',
    config,
    '--immediate-checkpoint',
    '--format',
    'json',
    // Stage notes as timestamped JSON lines: where the seconds went, beside pgBackRest's info log.
    '--log-format',
    'json',
    '--verbose',
  ];
  const spawned = Date.now();
  const m = await measure(PGDR_EXE, args, { env: { ...process.env, ...PGDR_EXE_ENV } });
  if (m.code === 0) {
    logPhases(extra, m.stdout);
    logStages(m.stderr, spawned, m.seconds);
  }
  return m;
}

/** The stage notes as seconds since the process was spawned (its start-up included), and when it ended. */
function logStages(stderr: string, spawned: number, seconds: number): void {
  const stages = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { time: string; event: string; message?: string })
    .filter((e) => e.event === 'stage');
  for (const e of stages)
    console.error(
      `    pgdr +${((Date.parse(e.time) - spawned) / 1000).toFixed(2)} s: ${e.message?.slice(0, 140)}`,
    );
  console.error(`    pgdr +${seconds.toFixed(2)} s: process ended`);
}

/** pgdr's own phase times and, for an incremental, what it referenced: what bounded the row, on stderr. */
function logPhases(extra: readonly string[], stdout: string): void {
  const out = JSON.parse(stdout) as Record<string, unknown> & { timings: Record<string, number> };
  const phases = Object.entries(out.timings).map(([k, v]) => `${k} ${v.toFixed(2)} s`);
  const inc =
    out.incremental_level === undefined
      ? ''
      : `; ${out.incremental_level} level, ${out.referenced_files} files referenced (${mb(out.referenced_bytes)} MB)${out.block_files ? `, ${out.block_files} files as blocks` : ''}`;
  console.error(
    `    pgdr backup create ${extra.join(' ')}: ${phases.join(', ')}; read ${mb(out.data_bytes)} MB, stored ${mb(out.stored_bytes)} MB${inc}`,
  );
}

const mb = (n: unknown) => (Number(n) / 1e6).toFixed(1);

/** What `pgdr backup create --format json` prints that the rows use. */
export interface PgdrBackupOut {
  readonly backup_id: string;
  readonly stored_bytes: number;
  readonly incremental_level?: string;
  readonly fallback_reason?: string;
}

/**
 * One measured pgdr backup as a row's outcome (bytes: what it uploaded); "not available" when this build
 * refuses a flag given.
 */
export async function pgdrBackupRow(
  config: string,
  extra: string[],
  basisBytes: number,
): Promise<{ outcome: Outcome; out?: PgdrBackupOut }> {
  let out: PgdrBackupOut | undefined;
  let refused: string | undefined;
  const c = await cell(
    async () => {
      const m = await pgdrBackup(config, extra);
      refused = extra.find((a) => a.startsWith('--') && unknownOption(m.stdout, m.stderr, a));
      if (refused === undefined && m.code !== 0)
        throw new Error(`pgdr backup create ${extra.join(' ')}: ${m.stderr}`);
      if (refused === undefined) out = JSON.parse(m.stdout) as PgdrBackupOut;
      return m;
    },
    { basisBytes, bytes: async () => out?.stored_bytes },
  );
  if (refused !== undefined)
    return { outcome: { status: 'not available', why: `this pgdr has no backup create ${refused}` } };
  return { outcome: { status: 'ok', cell: c }, ...(out ? { out } : {}) };
}

/** A pgBackRest backup of this type; bytes: what its repository's backup folder grew by. */
async function pgbackrestBackup(ctx: MatrixContext, type: 'full' | 'incr'): Promise<Cell> {
  const br = ctx.pgbackrest!;
  const size = () => dirBytes(join(br.repo, 'backup'));
  const before = await size();
  const run = async () => {
    const m = await br.run([`--type=${type}`, 'backup', '--log-level-console=info']);
    logPgbackrestSteps(type, m.stdout);
    return m;
  };
  return cell(run, {
    basisBytes: ctx.dataBytes,
    bytes: async () => (await size()) - before,
  });
}

/**
 * pgBackRest's own step times (its info log: start, copy, stop, the archive check), as seconds since its first
 * line, on stderr beside pgdr's phases.
 */
function logPgbackrestSteps(type: string, stdout: string): void {
  const lines = stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /.test(l));
  const at = (l: string) => Date.parse(`${l.slice(0, 10)}T${l.slice(11, 23)}Z`);
  const t0 = lines.length > 0 ? at(lines[0]!) : 0;
  for (const l of lines) {
    const what = l.slice(24).replace(/^P\d+\s+INFO: /, '');
    console.error(`    pgbackrest ${type} +${((at(l) - t0) / 1000).toFixed(2)} s: ${what.slice(0, 140)}`);
  }
}

async function latestPgbackrestLabel(ctx: MatrixContext): Promise<string> {
  const m = await ctx.pgbackrest!.run(['info', '--output=json']);
  const info = JSON.parse(m.stdout) as { backup: { label: string }[] }[];
  return info[0]!.backup.at(-1)!.label;
}

/**
 * A backup row run with only this tool's archiver in archive_command (bench/matrix-archive.ts): a backup waits
 * for its own WAL to be archived, not for the other tools' archivers.
 */
function backupRow(ctx: MatrixContext, path: MatrixPath, tool: Tool, row: () => Promise<Outcome>) {
  return attempt(ctx, path, tool, () =>
    ctx.archive.alone(tool, () => switchWalAndWait(ctx.pg, 600_000), row),
  );
}

export async function fullBackups(ctx: MatrixContext, ids: BackupIds): Promise<void> {
  const basisBytes = ctx.dataBytes;
  await backupRow(ctx, 'full backup', 'pgdr', async () => {
    const { outcome, out } = await pgdrBackupRow(ctx.pgdr.config, [], basisBytes);
    ids.pgdrFull = out?.backup_id;
    ids.bytes.pgdr = out?.stored_bytes;
    return outcome;
  });
  const br = ctx.pgbackrest;
  if (br) {
    await backupRow(ctx, 'full backup', 'pgBackRest', async () => {
      const c = await pgbackrestBackup(ctx, 'full');
      ids.pgbackrestFull = await latestPgbackrestLabel(ctx);
      ids.bytes.pgBackRest = c.bytes;
      return { status: 'ok', cell: c };
    });
  }
  await backupRow(ctx, 'full backup', 'barman-cloud', async () => {
    if (ctx.barman.skipBackup && !ctx.barman.restoreRows)
      return { status: 'skipped', why: '--skip-barman-gzip9 (and no restore rows that would need it)' };
    if (ctx.barman.skipBackup) {
      // barman-cloud-restore rows still need a backup: taken outside the measurement.
      await barmanBackup(ctx);
      ids.barmanFull = (await listBarmanBackups(barmanList(ctx)))[0]?.backup_id;
      return {
        status: 'skipped',
        why: '--skip-barman-gzip9 (a backup was still taken, unmeasured, for the restore rows)',
      };
    }
    const size = () => dirBytes(barmanDir(ctx, 'base'), '._S3rver_object');
    const before = await size();
    const c = await cell(() => barmanBackup(ctx), { basisBytes, bytes: async () => (await size()) - before });
    ids.barmanFull = (await listBarmanBackups(barmanList(ctx)))[0]?.backup_id;
    ids.bytes['barman-cloud'] = c.bytes;
    return { status: 'ok', cell: c };
  });
}

const barmanList = (ctx: MatrixContext) => ({
  s3: ctx.s3,
  destination: ctx.barman.destination,
  serverName: SERVER_NAME,
});

async function barmanBackup(ctx: MatrixContext) {
  const conn = ['-h', '127.0.0.1', '-p', String(ctx.pg.port), '-U', 'postgres'];
  const m = await measure(
    'barman-cloud-backup',
    [...barmanArgs(ctx), '-z', '--immediate-checkpoint', ...conn, ctx.barman.destination, SERVER_NAME],
    { env: ctx.barman.env },
  );
  if (m.code !== 0) throw new Error(`barman-cloud-backup: ${m.stderr}`);
  return m;
}

export async function incrementalBackups(ctx: MatrixContext): Promise<void> {
  const basisBytes = ctx.dataBytes;
  await backupRow(
    ctx,
    'incremental backup',
    'pgdr',
    async () => (await pgdrBackupRow(ctx.pgdr.config, ['--incremental'], basisBytes)).outcome,
  );
  const br = ctx.pgbackrest;
  if (br) {
    await backupRow(ctx, 'incremental backup', 'pgBackRest', async () => ({
      status: 'ok',
      cell: await pgbackrestBackup(ctx, 'incr'),
    }));
  }
  await attempt(ctx, 'incremental backup', 'barman-cloud', async () => ({
    status: 'n/a',
    why: 'barman-cloud has no incremental backup',
  }));
}
