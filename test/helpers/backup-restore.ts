// Restores a backup with the real barman-cloud-restore (tablespaces relocated next to the new data folder) and
// replays the archived WAL with barman-cloud-wal-restore: the proof that what pgdr writes, barman restores.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { chownToServerUser, resolveServerUser } from '../../src/postgres/os-user.js';
import { type BarmanStore, barmanCloud, walRestoreCommand } from './barman.js';
import { type PgMajor, startPostgres, type TestPostgres } from './postgres.js';

export async function restoreWithBarmanCloud(options: {
  readonly major: PgMajor;
  readonly s3: BarmanStore;
  readonly destination: string;
  readonly serverName: string;
  readonly backupId: string;
  /** Tablespace names to relocate (to a folder next to the restored data folder). */
  readonly tablespaces?: readonly string[];
}): Promise<TestPostgres> {
  const { s3 } = options;
  const restoreCommand = walRestoreCommand(s3, options.destination, options.serverName);
  const user = await resolveServerUser();
  const restored = await startPostgres({
    major: options.major,
    settings: { restore_command: restoreCommand },
    fillPgdata: async (pgdata) => {
      const moves = (options.tablespaces ?? []).map((name) => [name, join(dirname(pgdata), `ts-${name}`)]);
      const args = [
        ...moves.flatMap(([name, dir]) => ['--tablespace', `${name}:${dir}`]),
        options.destination,
        options.serverName,
        options.backupId,
        pgdata,
      ];
      const r = await barmanCloud('restore', args, s3);
      if (r.code !== 0) throw new Error(`barman-cloud-restore exited ${r.code}:\n${r.stderr}`);
      for (const [, dir] of moves) await chownToServerUser(dir!, user, true);
      await fsp.writeFile(`${pgdata}/recovery.signal`, '');
    },
  });
  try {
    await restored.server.waitForRecoveryEnd({ timeoutSeconds: 120 });
  } catch (e) {
    await restored.cleanup();
    throw e;
  }
  return restored;
}

/** Row count and an md5 over every row in id order: equal only when the contents are equal. */
export async function tableDigest(
  db: Pick<TestPostgres, 'query'>,
  table: string,
): Promise<{ rows: number; md5: string | null }> {
  const [r] = await db.query<{ n: string; m: string | null }>(
    `SELECT count(*) AS n, md5(string_agg(t::text, ',' ORDER BY id)) AS m FROM ${table} t`,
  );
  return { rows: Number(r?.n), md5: r?.m ?? null };
}
