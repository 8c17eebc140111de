// bench/backup: one pgbench database (scale 60 ≈ 1 GB) backed up by pgdr and by barman-cloud-backup -z to the
// same s3rver, with `tar | gzip -1` of the same files (serial and one pipeline per core) as the ceiling, and
// pgBackRest vs pgdr on file:// when pgbackrest is installed. Usage: node dist/bench/backup.js [--scale N] [--major 15|17]
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXCLUDE, PGDATA_EXCLUDE } from '../src/engine/backup/path-filter.js';
import { planParts } from '../src/engine/backup/plan-parts.js';
import { walkTree } from '../src/engine/backup/walk-tree.js';
import { barmanEnv, walArchiveCommand } from '../test/helpers/barman.js';
import { switchWalAndWait } from '../test/helpers/barman-bucket.js';
import { pgbench, startPostgres } from '../test/helpers/postgres.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { runPgbackrest } from './pgbackrest.js';
import { PGDR_EXE, PGDR_EXE_ENV } from './pgdr-exe.js';
import { type Measured, measure } from './process-meter.js';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '60' }, major: { type: 'string', default: '15' } },
});
const scale = Number(values.scale);
// 15 by default: Debian bookworm's pgBackRest (2.45) does not know PostgreSQL 17.
const major = Number(values.major) as 15 | 17;
const cores = availableParallelism();
const MB = 1e6;

const s3 = await startS3rver({ buckets: ['bench'] });
const destination = 's3://bench/pg';
const serverName = 'bench';
const pg = await startPostgres({
  major,
  archiveCommand: walArchiveCommand({ s3, destination, serverName }),
});
const rows: { name: string; m: Measured; stored?: number }[] = [];
try {
  console.error(`pgbench -i -s ${scale} ...`);
  await pgbench({ connectionString: pg.connectionString, init: { scale } });
  await pg.query('CHECKPOINT');
  // Every tool's pg_backup_stop waits for the archiver: start each with no archiving backlog.
  await switchWalAndWait(pg, 600_000);
  const entries = await walkTree(pg.pgdata, { exclude: [...PGDATA_EXCLUDE, ...EXCLUDE] });
  const dataBytes = entries.reduce((n, e) => n + e.size, 0);
  console.error(`data: ${(dataBytes / MB).toFixed(0)} MB in ${entries.length} entries; ${cores} cores`);

  const pgdrConfig = async (name: string, dest: string) => {
    const file = join(pg.dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
    const lines = [
      `serverName: ${serverName}`,
      'objectStore:',
      `  destinationPath: ${dest}`,
      ...(dest.startsWith('s3://') ? [`  endpointURL: ${s3.endpoint}`] : []),
      `  data: { compression: gzip, jobs: ${cores} }`,
      'postgres:',
      `  connection: ${pg.connectionString}`,
      `  pgdata: ${pg.pgdata}`,
    ];
    await fsp.writeFile(file, `${lines.join('\n')}\n`);
    return file;
  };
  const env = { ...barmanEnv(s3) };
  const pgdr = async (name: string, dest: string, extra: string[] = []) => {
    const args = ['backup', 'create', '--config', await pgdrConfig(name, dest)];
    const m = await measure(PGDR_EXE, [...args, '--immediate-checkpoint', '--format', 'json', ...extra], {
      env: { ...env, ...PGDR_EXE_ENV },
    });
    if (m.code !== 0) throw new Error(`pgdr failed: ${m.stderr}`);
    const out = JSON.parse(m.stdout);
    rows.push({ name, m, stored: out.stored_bytes });
    const phases = Object.entries(out.timings as Record<string, number>).map(
      ([k, v]) => `${k} ${v.toFixed(2)}s`,
    );
    console.error(`  ${name}: ${phases.join(', ')}; tars: ${out.objects.length}`);
    await switchWalAndWait(pg, 600_000);
  };

  console.error('pgdr backup create (gzip level 1) ...');
  await pgdr('pgdr gzip-1 -> s3rver', destination);
  console.error('pgdr backup create (gzip level 6) ...');
  await pgdr('pgdr gzip-6 -> s3rver', destination, ['--compression-level', '6']);

  console.error('barman-cloud-backup -z ...');
  const conn = ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres'];
  const endpoint = ['--cloud-provider', 'aws-s3', '--endpoint-url', s3.endpoint];
  const b = await measure(
    'barman-cloud-backup',
    [...endpoint, '-z', '--immediate-checkpoint', ...conn, destination, serverName],
    {
      env,
    },
  );
  if (b.code !== 0) throw new Error(`barman-cloud-backup failed: ${b.stderr}`);
  await switchWalAndWait(pg, 600_000);
  rows.push({ name: 'barman-cloud-backup -z (gzip 9) -> s3rver', m: b, stored: storedBytes(s3.dir) });

  // The ceiling reads and compresses the same files, discarding the output.
  const lists = planParts('data', entries, cores).map((p) => p.entries.map((e) => e.name));
  const listFiles = await Promise.all(
    lists.map(async (l, i) => {
      const f = join(pg.dir, `list-${i}`);
      await fsp.writeFile(f, `${l.join('\n')}\n`);
      return f;
    }),
  );
  const tarGzip = (f: string) => `tar -C '${pg.pgdata}' --no-recursion -cf - -T '${f}' | gzip -1 | wc -c`;
  const all = join(pg.dir, 'list-all');
  await fsp.writeFile(all, `${lists.flat().join('\n')}\n`);
  rows.push({ name: 'tar | gzip -1 (1 pipeline)', m: await measure('bash', ['-c', tarGzip(all)]) });
  const parallel = `${listFiles.map((f) => `(${tarGzip(f)}) &`).join(' ')} wait`;
  rows.push({ name: `tar | gzip -1 (${cores} pipelines)`, m: await measure('bash', ['-c', parallel]) });

  const repo = await fsp.mkdtemp(join(pg.dir, 'repo-'));
  await pgdr('pgdr gzip-1 -> file://', `file://${repo}`);
  const br = await runPgbackrest({ pg, cores });
  if (br) rows.push({ name: 'pgBackRest gz-1 -> posix repo', m: br });
  else console.error('pgbackrest is not installed: its row is missing');

  const base = rows[0]!.m.seconds;
  console.log(
    `\nbench/backup: pgbench scale ${scale}, ${(dataBytes / MB).toFixed(0)} MB of files, ${cores} cores`,
  );
  console.log(
    'tool                                        seconds    MB/s  peak RSS MiB  stored MB  x pgdr-gzip1',
  );
  for (const r of rows) {
    const cols = [
      r.name.padEnd(42),
      r.m.seconds.toFixed(1).padStart(8),
      (dataBytes / MB / r.m.seconds).toFixed(0).padStart(7),
      r.m.peakRssMiB.toFixed(0).padStart(13),
      (r.stored === undefined ? '-' : (r.stored / MB).toFixed(0)).padStart(10),
      (r.m.seconds / base).toFixed(2).padStart(13),
    ];
    console.log(cols.join(' '));
  }
} finally {
  await pg.cleanup();
  await s3.stop();
}

// The newest base-backup objects in s3rver's folder: what barman just stored (its tars end in .tar.gz._S3rver_object).
function storedBytes(dir: string): number {
  const out = execFileSync('bash', [
    '-c',
    `find '${dir}' -path '*/base/*' -name '*.tar.gz._S3rver_object' -newermt '-10 minutes' -printf '%T@ %s %p\\n' | sort -n`,
  ]).toString();
  const lines = out.trim().split('\n').filter(Boolean);
  const last = lines.at(-1)?.split(' ')[2] ?? '';
  const id = /base\/(\d{8}T\d{6})\//.exec(last)?.[1];
  return lines.filter((l) => id && l.includes(`/${id}/`)).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
}
