// The starting point of the failback tests: a PostgreSQL 17 primary archiving into s3rver, and a pgdr standby
// that has replayed rows written after it was made. Each test file gets its own bucket, folder and state.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archivingPrimary } from './archiving-primary.js';
import { switchWalAndWait } from './barman-bucket.js';
import { type CliResult, runPgdr } from './cli.js';
import { q, until } from './poll.js';
import type { TestPostgres } from './postgres.js';
import { stopPgCtl } from './restore-run.js';
import { type S3rverHandle, startS3rver } from './s3rver.js';
import { assertStableCommands } from './stable-commands.js';

export interface FailbackScenario {
  readonly s3: S3rverHandle;
  readonly root: string;
  /** Store-only configuration, and the same with the primary's connection. */
  readonly cfg: string;
  readonly full: string;
  readonly primary: TestPostgres;
  /** XDG_STATE_HOME of this scenario (the replica registry). */
  readonly env: NodeJS.ProcessEnv;
  readonly standby: { pgCtl: string; pgdata: string; connectionString: string };
  /** The folder the failback restores into (missing until then). */
  readonly target: string;
  readonly pgdr: (args: string[], config?: string) => Promise<CliResult>;
  /** Stops every server and removes the bucket and folder. */
  readonly cleanup: () => Promise<void>;
}

/** After a failback under the original serverName: every old WAL object byte for byte, timeline 3 added (returned). */
export function assertTimeline3Added(
  oldWal: ReadonlyMap<string, string>,
  now: ReadonlyMap<string, string>,
): string[] {
  for (const [k, body] of oldWal) assert.equal(now.get(k), body, `${k} unchanged`);
  const added = [...now.keys()].filter((k) => !oldWal.has(k));
  assert.ok(
    added.some((k) => /\/00000003\.history(\.gz)?$/.test(k)),
    added.join('\n'),
  );
  assert.ok(
    added.some((k) => /\/00000003[0-9A-F]{16}(\.gz)?$/.test(k)),
    added.join('\n'),
  );
  return added;
}

export const countRows = async (conn: string): Promise<number> =>
  Number((await q<{ n: string }>(conn, 'SELECT count(*) AS n FROM t'))[0]!.n);

/** Table t holds 100 rows at the backup; `upTo` more (101..upTo) are written and replayed by the standby. */
export async function failbackScenario(o: {
  bucket: string;
  serverName: string;
  upTo: number;
}): Promise<FailbackScenario> {
  const s3 = await startS3rver({ buckets: [o.bucket] });
  const root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-fb-'));
  await fsp.chmod(root, 0o755);
  const env = { XDG_STATE_HOME: join(root, 'state') };
  const { primary, cfg, full } = await archivingPrimary({
    s3,
    bucket: o.bucket,
    root,
    serverName: o.serverName,
  });
  const pgdr = (args: string[], config = cfg) =>
    runPgdr([...args, '--config', config], { env, timeoutMs: 600_000 });
  const r = await pgdr(['replica', 'create', join(root, 'standby'), '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const standby = JSON.parse(r.stdout) as FailbackScenario['standby'];
  assert.equal((await assertStableCommands(standby.pgdata)).length, 1, 'the standby restore_command');
  await primary.query(`INSERT INTO t SELECT generate_series(101, ${o.upTo})`);
  await switchWalAndWait(primary);
  await until('the standby to replay the new rows', async () =>
    (await countRows(standby.connectionString)) === o.upTo ? true : undefined,
  );
  const target = join(root, 'back-home');
  const cleanup = async () => {
    await stopPgCtl(standby.pgCtl, target).catch(() => undefined);
    await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await primary.cleanup();
    await s3.stop();
    await fsp.rm(root, { recursive: true, force: true });
  };
  return { s3, root, cfg, full, primary, env, standby, target, pgdr, cleanup };
}
