// Full and incremental backup rows, and the change between them: ~2% of pgbench_accounts' rows, all those on
// every 50th page, so 2% of the table's pages are changed, spread evenly over it.
import { join } from 'node:path';
import { listBarmanBackups } from '../test/helpers/barman-bucket.js';
import { PGDR_BIN } from '../test/helpers/cli.js';
import { attempt, barmanArgs, barmanDir, type MatrixContext, SERVER_NAME } from './matrix-context.js';
import { cell, dirBytes, unknownOption } from './matrix-step.js';
import type { Cell } from './matrix-table.js';
import { measure } from './process-meter.js';

export interface BackupIds {
  pgdrFull?: string;
  pgbackrestFull?: string;
  barmanFull?: string;
  /** Stored bytes of each full backup: what a full restore downloads. */
  bytes: { pgdr?: number; pgBackRest?: number; 'barman-cloud'?: number };
}

export async function changeTwoPercent(ctx: MatrixContext): Promise<number> {
  const [r] = await ctx.pg.query<{ n: string }>(
    'WITH u AS (UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE (ctid::text::point)[0]::bigint % 50 = 0 RETURNING 1) SELECT count(*) AS n FROM u',
  );
  return Number(r?.n);
}

async function pgdrBackup(ctx: MatrixContext, extra: string[]) {
  const args = [
    PGDR_BIN,
    'backup',
    'create',
    ...extra,
    '--config',
    ctx.pgdr.config,
    '--immediate-checkpoint',
    '--format',
    'json',
  ];
  return measure(process.execPath, args);
}

/** A pgBackRest backup of this type; bytes: what its repository's backup folder grew by. */
async function pgbackrestBackup(ctx: MatrixContext, type: 'full' | 'incr'): Promise<Cell> {
  const br = ctx.pgbackrest!;
  const size = () => dirBytes(join(br.repo, 'backup'));
  const before = await size();
  return cell(() => br.run([`--type=${type}`, 'backup']), {
    basisBytes: ctx.dataBytes,
    bytes: async () => (await size()) - before,
  });
}

async function latestPgbackrestLabel(ctx: MatrixContext): Promise<string> {
  const m = await ctx.pgbackrest!.run(['info', '--output=json']);
  const info = JSON.parse(m.stdout) as { backup: { label: string }[] }[];
  return info[0]!.backup.at(-1)!.label;
}

export async function fullBackups(ctx: MatrixContext, ids: BackupIds): Promise<void> {
  const basisBytes = ctx.dataBytes;
  await attempt(ctx, 'full backup', 'pgdr', async () => {
    let stored: number | undefined;
    const c = await cell(
      async () => {
        const m = await pgdrBackup(ctx, []);
        if (m.code !== 0) throw new Error(`pgdr backup create: ${m.stderr}`);
        const out = JSON.parse(m.stdout) as { backup_id: string; stored_bytes: number };
        ids.pgdrFull = out.backup_id;
        stored = out.stored_bytes;
        return m;
      },
      { basisBytes, bytes: async () => stored },
    );
    ids.bytes.pgdr = stored;
    return { status: 'ok', cell: c };
  });
  const br = ctx.pgbackrest;
  if (br) {
    await attempt(ctx, 'full backup', 'pgBackRest', async () => {
      const c = await pgbackrestBackup(ctx, 'full');
      ids.pgbackrestFull = await latestPgbackrestLabel(ctx);
      ids.bytes.pgBackRest = c.bytes;
      return { status: 'ok', cell: c };
    });
  }
  await attempt(ctx, 'full backup', 'barman-cloud', async () => {
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
  await attempt(ctx, 'incremental backup', 'pgdr', async () => {
    let stored: number | undefined;
    let refused = false;
    const c = await cell(
      async () => {
        const m = await pgdrBackup(ctx, ['--incremental']);
        if (unknownOption(m.stdout, m.stderr, '--incremental')) refused = true;
        else if (m.code !== 0) throw new Error(`pgdr backup create --incremental: ${m.stderr}`);
        else stored = (JSON.parse(m.stdout) as { stored_bytes: number }).stored_bytes;
        return m;
      },
      { basisBytes, bytes: async () => stored },
    );
    if (refused) return { status: 'not available', why: 'this pgdr has no backup create --incremental' };
    return { status: 'ok', cell: c };
  });
  const br = ctx.pgbackrest;
  if (br) {
    await attempt(ctx, 'incremental backup', 'pgBackRest', async () => ({
      status: 'ok',
      cell: await pgbackrestBackup(ctx, 'incr'),
    }));
  }
  await attempt(ctx, 'incremental backup', 'barman-cloud', async () => ({
    status: 'n/a',
    why: 'barman-cloud has no incremental backup',
  }));
}
