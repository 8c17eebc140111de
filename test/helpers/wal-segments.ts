// Real WAL segments for WAL tests and the benchmark: a throw-away PostgreSQL 17 writes them under load and we
// copy the completed ones out of pg_wal (wal_keep_size stops checkpoints from recycling them first).
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRows, pgbench, startPostgres } from './postgres.js';

export interface WalSegments {
  readonly dir: string;
  /** Segment names in order, each a complete 16 MiB file in dir. */
  readonly names: readonly string[];
  cleanup(): Promise<void>;
}

/**
 * At least `count` consecutive segments. `full` fills them with pgbench traffic (realistic compression
 * ratios); otherwise each holds some inserts and ends in a pg_switch_wal (zero tail), which is quicker.
 * `bigRecord` adds, before the first switch, one 40 MB record (a logical decoding message): it spans three
 * segments at least, one of them from its first page to its last.
 */
export async function generateWalSegments(options: {
  count: number;
  full?: boolean;
  bigRecord?: boolean;
}): Promise<WalSegments> {
  const pg = await startPostgres({ major: 17, settings: { wal_keep_size: '4GB', max_wal_size: '4GB' } });
  const dir = await mkdtemp(join(tmpdir(), 'pgdr-wal-'));
  try {
    const first = await currentSegment(pg);
    if (options.full) {
      // pgbench -i writes roughly one 16 MiB segment per scale unit (COPY + indexes + vacuum).
      await pgbench({
        connectionString: pg.connectionString,
        init: { scale: Math.max(1, options.count - 4) },
      });
      while ((await segmentsSince(pg, first)) < options.count + 1) {
        await pgbench({ connectionString: pg.connectionString, run: { transactions: 3000, clients: 4 } });
      }
    }
    if (options.bigRecord) {
      await loadRows({ db: pg, rows: 20_000 });
      await pg.query("SELECT pg_logical_emit_message(false, 'pgdr', repeat('x', 40000000))");
    }
    while ((await segmentsSince(pg, first)) < options.count + 1) {
      await loadRows({ db: pg, rows: 20_000 });
      await pg.query('SELECT pg_current_xact_id()');
      await pg.query('SELECT pg_switch_wal()');
    }
    const last = await currentSegment(pg);
    const names: string[] = [];
    const rows = await pg.query<{ name: string }>(
      "SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' AND name >= $1 AND name < $2 ORDER BY name",
      [first, last],
    );
    for (const r of rows) {
      await copyFile(join(pg.pgdata, 'pg_wal', r.name), join(dir, r.name));
      names.push(r.name);
    }
    return { dir, names, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  } finally {
    await pg.cleanup();
  }
}

async function currentSegment(pg: {
  query: (sql: string) => Promise<Record<string, unknown>[]>;
}): Promise<string> {
  const [r] = await pg.query('SELECT pg_walfile_name(pg_current_wal_lsn()) AS name');
  return String(r?.name);
}

async function segmentsSince(
  pg: { query: (sql: string) => Promise<Record<string, unknown>[]> },
  first: string,
): Promise<number> {
  const now = await currentSegment(pg);
  return (
    Number.parseInt(now.slice(16), 16) -
    Number.parseInt(first.slice(16), 16) +
    256 * (Number.parseInt(now.slice(8, 16), 16) - Number.parseInt(first.slice(8, 16), 16))
  );
}
