// pgBackRest as the reference: process-max = cores, gz level 1, posix repository. runPgbackrest (bench/backup)
// takes one full backup with archive check off (WAL goes to the barman bucket there); the matrix keeps a stanza
// whose WAL pgBackRest archives itself (archive-async) and runs every command as PostgreSQL's OS user, who owns
// the repository. Returns undefined when pgbackrest is not installed.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { chownToServerUser, resolveServerUser } from '../src/postgres/os-user.js';
import type { TestPostgres } from '../test/helpers/postgres.js';
import { type Measured, type MeasureOptions, measure } from './process-meter.js';

export function pgbackrestInstalled(): boolean {
  try {
    execFileSync('pgbackrest', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface PgbackrestStanza {
  readonly dir: string;
  readonly repo: string;
  readonly conf: string;
  /** `pgbackrest --config=... --stanza=bench ...args` as the server user, measured; throws unless it exits 0. */
  run(args: readonly string[], options?: MeasureOptions): Promise<Measured>;
  /** The same, returning whatever it exits with. */
  tryRun(args: readonly string[], options?: MeasureOptions): Promise<Measured>;
}

export async function pgbackrestStanza(o: {
  pg: TestPostgres;
  cores: number;
  /** Folder to hold the repository, spool, lock and configuration (handed to the server user). */
  dir: string;
  /** archive-check on and archive-async (push and get), as a production stanza would run. */
  archive: boolean;
}): Promise<PgbackrestStanza> {
  const user = await resolveServerUser();
  await fsp.mkdir(o.dir, { recursive: true });
  const conf = join(o.dir, 'pgbackrest.conf');
  const repo = join(o.dir, 'repo');
  const lines = [
    '[global]',
    `repo1-path=${repo}`,
    `process-max=${o.cores}`,
    'compress-type=gz',
    'compress-level=1',
    'start-fast=y',
    'repo1-retention-full=99',
    ...(o.archive ? ['archive-async=y', `spool-path=${join(o.dir, 'spool')}`] : ['archive-check=n']),
    'log-level-console=warn',
    'log-level-file=off',
    `lock-path=${join(o.dir, 'lock')}`,
    '[bench]',
    `pg1-path=${o.pg.pgdata}`,
    `pg1-port=${o.pg.port}`,
    `pg1-socket-path=${join(o.pg.dir, 's')}`,
    'pg1-user=postgres',
  ];
  await fsp.writeFile(conf, `${lines.join('\n')}\n`);
  await chownToServerUser(o.dir, user, true);
  const as = user === null ? {} : { uid: user.uid, gid: user.gid };
  const env = user === null ? process.env : { ...process.env, HOME: user.home, USER: user.name };
  const tryRun = (args: readonly string[], options: MeasureOptions = {}) =>
    measure('pgbackrest', [`--config=${conf}`, '--stanza=bench', ...args], { env, ...as, ...options });
  const run = async (args: readonly string[], options: MeasureOptions = {}) => {
    const m = await tryRun(args, options);
    if (m.code !== 0) throw new Error(`pgbackrest ${args.join(' ')} failed: ${m.stderr}${m.stdout}`);
    return m;
  };
  await run(['stanza-create']);
  return { dir: o.dir, repo, conf, run, tryRun };
}

export async function runPgbackrest(o: { pg: TestPostgres; cores: number }): Promise<Measured | undefined> {
  if (!pgbackrestInstalled()) return undefined;
  const dir = await fsp.mkdtemp(join(o.pg.dir, 'pgbackrest-'));
  const stanza = await pgbackrestStanza({ ...o, dir, archive: false });
  return stanza.run(['--type=full', 'backup']);
}
