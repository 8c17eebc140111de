// pgBackRest as the reference: full backup, process-max = cores, gz level 1, posix repository, archive check
// off (WAL goes to the barman bucket here). Returns undefined when pgbackrest is not installed.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { TestPostgres } from '../test/helpers/postgres.js';
import { type Measured, measure } from './process-meter.js';

export async function runPgbackrest(o: { pg: TestPostgres; cores: number }): Promise<Measured | undefined> {
  try {
    execFileSync('pgbackrest', ['version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = await fsp.mkdtemp(join(o.pg.dir, 'pgbackrest-'));
  const conf = join(dir, 'pgbackrest.conf');
  const lines = [
    '[global]',
    `repo1-path=${join(dir, 'repo')}`,
    `process-max=${o.cores}`,
    'compress-type=gz',
    'compress-level=1',
    'start-fast=y',
    'archive-check=n',
    'log-level-console=warn',
    'log-level-file=off',
    `lock-path=${join(dir, 'lock')}`,
    '[bench]',
    `pg1-path=${o.pg.pgdata}`,
    `pg1-port=${o.pg.port}`,
    `pg1-socket-path=${join(o.pg.dir, 's')}`,
    'pg1-user=postgres',
  ];
  await fsp.writeFile(conf, `${lines.join('\n')}\n`);
  const base = [`--config=${conf}`, '--stanza=bench'];
  const created = await measure('pgbackrest', [...base, 'stanza-create']);
  if (created.code !== 0)
    throw new Error(`pgbackrest stanza-create failed: ${created.stderr}${created.stdout}`);
  const m = await measure('pgbackrest', [...base, '--type=full', 'backup']);
  if (m.code !== 0) throw new Error(`pgbackrest backup failed: ${m.stderr}${m.stdout}`);
  return m;
}
