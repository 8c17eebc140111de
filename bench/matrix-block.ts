// The block-level rows, pgdr only: PostgreSQL 17 (the embedded package; Debian's pgBackRest 2.45 stops at 15)
// with summarize_wal = on, the same pgbench scale and the same change as the PostgreSQL 15 rows: a full backup,
// then `backup create --incremental --incremental-level block`. The incremental goal compares these two rows'
// uploaded bytes: only block level can upload less than the changed relation files.
import { join } from 'node:path';
import { switchWalAndWait } from '../test/helpers/barman-bucket.js';
import { PGDR_EXE } from '../test/helpers/cli.js';
import { pgbench, startPostgres } from '../test/helpers/postgres.js';
import { changeTwoPercent, pgdrBackupRow } from './matrix-backup.js';
import { attempt, type MatrixContext, record, serverFolder, writePgdrConfig } from './matrix-context.js';
import { dataDirBytes } from './matrix-step.js';
import type { MatrixPath } from './matrix-table.js';

export const BLOCK_MAJOR = 17;

const PATHS: readonly MatrixPath[] = [
  'full backup (PostgreSQL 17)',
  'incremental backup (block level, PostgreSQL 17)',
];

/** The rows; a server that cannot be set up fails the rows not yet recorded, and the run goes on to its table. */
export async function blockLevelRows(ctx: MatrixContext, scale: number): Promise<void> {
  try {
    await rows(ctx, scale);
  } catch (e) {
    const why = `PostgreSQL ${BLOCK_MAJOR} setup: ${String((e as Error).message ?? e).split('\n')[0]}`;
    for (const path of PATHS)
      if (!ctx.rows.some((r) => r.path === path)) record(ctx, path, 'pgdr', { status: 'failed', why });
  }
}

async function rows(ctx: MatrixContext, scale: number): Promise<void> {
  const repo = await serverFolder(ctx, 'pgdr-repo-17');
  const config = join(ctx.work, 'pgdr-17.yaml');
  const db = await startPostgres({
    major: BLOCK_MAJOR,
    settings: { summarize_wal: 'on' },
    archiveCommand: `PGDR_COMMAND='${PGDR_EXE}' '${PGDR_EXE}' wal archive --config '${config}' %p`,
  });
  try {
    await writePgdrConfig(config, { repo, walParallel: ctx.pgdr.walParallel, jobs: ctx.cores, pg: db });
    console.error(`pgbench -i -s ${scale} on PostgreSQL ${BLOCK_MAJOR} (summarize_wal = on) ...`);
    await pgbench({ connectionString: db.connectionString, init: { scale } });
    await switchWalAndWait(db, 600_000);
    const basisBytes = await dataDirBytes(db.pgdata);
    await attempt(ctx, PATHS[0]!, 'pgdr', async () => (await pgdrBackupRow(config, [], basisBytes)).outcome);
    const changed = await changeTwoPercent(db);
    // The change's WAL is archived before the backup starts, as for the PostgreSQL 15 rows.
    await switchWalAndWait(db, 600_000);
    console.error(
      `changed ${changed} rows of pgbench_accounts (every 50th page); block-level incremental ...`,
    );
    await attempt(ctx, PATHS[1]!, 'pgdr', async () => {
      const args = ['--incremental', '--incremental-level', 'block'];
      const { outcome, out } = await pgdrBackupRow(config, args, basisBytes);
      // A backup that fell back to file level is not a figure for this row.
      if (out && out.incremental_level !== 'block')
        throw new Error(`the backup stayed ${out.incremental_level} level: ${out.fallback_reason}`);
      return outcome;
    });
  } finally {
    await db.cleanup();
  }
}
