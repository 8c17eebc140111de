// The block-level rows, pgdr only: PostgreSQL 17 (the embedded package; Debian's pgBackRest 2.45 stops at 15)
// with summarize_wal = on, the same pgbench scale and the same change as the PostgreSQL 15 rows: a full backup,
// then `backup create --incremental --incremental-level block`. The incremental goal compares these two rows'
// uploaded bytes: only block level can upload less than the changed relation files.
import { join } from 'node:path';
import { switchWalAndWait } from '../test/helpers/barman-bucket.js';
import { PGDR_EXE } from '../test/helpers/cli.js';
import { pgbench, startPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { changeTwoPercent, pgdrBackupRow } from './matrix-backup.js';
import { attempt, type MatrixContext, record, serverFolder, writePgdrConfig } from './matrix-context.js';
import { dataDirBytes } from './matrix-step.js';
import { type ChangedPages, changedPagesText, type MatrixPath } from './matrix-table.js';

export const BLOCK_MAJOR = 17;

const PATHS: readonly MatrixPath[] = [
  'full backup (PostgreSQL 17)',
  'incremental backup (block level, PostgreSQL 17)',
];

/**
 * The rows; a server that cannot be set up fails the rows not yet recorded, and the run goes on to its table.
 * Returns what the change modified, when the WAL summaries could say.
 */
export async function blockLevelRows(ctx: MatrixContext, scale: number): Promise<ChangedPages | undefined> {
  try {
    return await rows(ctx, scale);
  } catch (e) {
    const why = `PostgreSQL ${BLOCK_MAJOR} setup: ${String((e as Error).message ?? e).split('\n')[0]}`;
    for (const path of PATHS)
      if (!ctx.rows.some((r) => r.path === path)) record(ctx, path, 'pgdr', { status: 'failed', why });
    return undefined;
  }
}

async function rows(ctx: MatrixContext, scale: number): Promise<ChangedPages | undefined> {
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
    const [from] = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const changed = await changeTwoPercent(db);
    const [to] = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    // The change's WAL is archived before the backup starts, as for the PostgreSQL 15 rows.
    await switchWalAndWait(db, 600_000);
    console.error(
      `changed ${changed} rows of pgbench_accounts (one on every 50th page); block-level incremental ...`,
    );
    await attempt(ctx, PATHS[1]!, 'pgdr', async () => {
      const args = ['--incremental', '--incremental-level', 'block'];
      const { outcome, out } = await pgdrBackupRow(config, args, basisBytes);
      // A backup that fell back to file level is not a figure for this row.
      if (out && out.incremental_level !== 'block')
        throw new Error(`the backup stayed ${out.incremental_level} level: ${out.fallback_reason}`);
      return outcome;
    });
    // Counted after the backup: the summaries end at checkpoints, and the backup's own one closes the change's.
    const pages = await changedPages(db, from!.lsn, to!.lsn, basisBytes).catch((e) => {
      console.error(`  could not count the changed pages: ${String((e as Error).message ?? e)}`);
      return undefined;
    });
    if (pages) console.error(`  ${changedPagesText(pages)}`);
    return pages;
  } finally {
    await db.cleanup();
  }
}

/** Distinct blocks of the WAL summaries covering [from, to), the change's WAL, by relation of this database. */
async function changedPages(
  db: TestPostgres,
  from: string,
  to: string,
  dataBytes: number,
): Promise<ChangedPages> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [s] = await db.query<{ done: boolean }>(
      'SELECT summarized_lsn >= $1::pg_lsn AS done FROM pg_get_wal_summarizer_state()',
      [to],
    );
    if (s?.done) break;
    if (Date.now() > deadline) throw new Error(`the WAL summarizer did not reach ${to} in 120 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const rows = await db.query<{ name: string; blocks: string }>(
    `WITH s AS (
       SELECT * FROM pg_available_wal_summaries() WHERE end_lsn > $1::pg_lsn AND start_lsn < $2::pg_lsn),
     b AS (
       SELECT DISTINCT c.reldatabase, c.relfilenode, c.relforknumber, c.relblocknumber
       FROM s, pg_wal_summary_contents(s.tli, s.start_lsn, s.end_lsn) c WHERE NOT c.is_limit_block),
     r AS (
       SELECT relname::text AS name, pg_relation_filenode(oid) AS filenode,
         (SELECT oid FROM pg_database WHERE datname = current_database()) AS db
       FROM pg_class WHERE pg_relation_filenode(oid) IS NOT NULL)
     SELECT coalesce(r.name, 'other relations') AS name, count(*) AS blocks
     FROM b LEFT JOIN r ON r.db = b.reldatabase AND r.filenode = b.relfilenode
     GROUP BY 1 ORDER BY 2 DESC`,
    [from, to],
  );
  const relations = rows.map((r) => ({ name: r.name, blocks: Number(r.blocks) }));
  return {
    blocks: relations.reduce((n, r) => n + r.blocks, 0),
    total: Math.round(dataBytes / 8192),
    relations,
  };
}
