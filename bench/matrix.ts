// bench/matrix: pgdr, pgBackRest and barman-cloud side by side on one pgbench database, in one run: WAL archive,
// WAL fetch, full and incremental backup, full and delta restore, end-to-end latest restore and PITR. Prints one
// table and the goals (pass/miss), and writes the run as JSON under --out.
// PostgreSQL 15 (Debian's): the newest major Debian's pgBackRest 2.45 supports. Then pgdr alone on PostgreSQL 17
// (bench/matrix-block.ts): full and block-level incremental backup, which the incremental goal is judged on.
import { promises as fsp } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveServerUser } from '../src/postgres/os-user.js';
import { barmanEnv, barmanShellCommand } from '../test/helpers/barman.js';
import { switchWalAndWait } from '../test/helpers/barman-bucket.js';
import { PGDR_EXE } from '../test/helpers/cli.js';
import { pgbench, startPostgres } from '../test/helpers/postgres.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { ArchiveSwitch } from './matrix-archive.js';
import { type BackupIds, changeTwoPercent, fullBackups, incrementalBackups } from './matrix-backup.js';
import { BLOCK_MAJOR, blockLevelRows } from './matrix-block.js';
import { BUCKET, type MatrixContext, SERVER_NAME, writePgdrConfig } from './matrix-context.js';
import { deltaRows, endToEndRows, filesOnlyRows, type Markers } from './matrix-restore.js';
import { parseRowGroups } from './matrix-rows.js';
import { dataDirBytes, dropCaches } from './matrix-step.js';
import { evaluateGoals, formatGoals, formatTable } from './matrix-table.js';
import { walRows } from './matrix-wal.js';
import { pgbackrestInstalled, pgbackrestStanza } from './pgbackrest.js';

const USAGE = `usage: bench/matrix [--scale 60|600] [--wal-segments N] [--wal-parallel N] [--skip-barman-gzip9]
       [--chained-archiving] [--rows wal,full-backup,incremental-backup,restore,block-level]
       [--out bench/results] [--note TEXT]
pgdr, pgBackRest and barman-cloud side by side on one pgbench database; docs/benchmarks.md says what each row
measures. Scale 60 is about 1 GB (6 minutes here), 600 about 10 GB.`;

function args() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (e) {
    console.error(`bench/matrix: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  scale: { type: 'string', default: '60' },
  'wal-segments': { type: 'string', default: '32' },
  'wal-parallel': { type: 'string', default: '8' },
  'skip-barman-gzip9': { type: 'boolean', default: false },
  // The backup rows keep archive_command's chain: each backup waits for all three archivers.
  'chained-archiving': { type: 'boolean', default: false },
  // Row groups to run (comma-separated); the incremental and restore rows bring the full backups they need.
  rows: { type: 'string', default: 'all' },
  out: { type: 'string', default: 'bench/results' },
  // Recorded in the JSON and printed with the table: e.g. "small scale, shared machine under load".
  note: { type: 'string', default: '' },
} as const;
const { values } = args();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const scale = Number(values.scale);
const walSegments = Number(values['wal-segments']);
const MAJOR = 15;
const groups = parseRowGroups(values.rows);
const cores = availableParallelism();
const started = new Date();

const user = await resolveServerUser();
const work = await fsp.mkdtemp(join(tmpdir(), 'pgdr-matrix-'));
await fsp.chmod(work, 0o755);
if (user) await fsp.chown(work, user.uid, user.gid);
const segDir = join(work, 'segments');
await fsp.mkdir(segDir);
if (user) await fsp.chown(segDir, user.uid, user.gid);
// archive_command runs this script: first a plain copy (to collect the segments the WAL rows replay), then
// the archivers (bench/matrix-archive.ts).
const archiveScript = join(work, 'archive.sh');
// Without the WAL rows nothing is collected: pgbench's WAL is not needed by any row.
const collect = groups.has('wal') ? `exec cp "$1" '${segDir}'/` : 'exit 0';
await fsp.writeFile(archiveScript, `#!/bin/sh\n${collect}\n`, { mode: 0o755 });
const s3 = await startS3rver({ buckets: [BUCKET] });
const pg = await startPostgres({
  major: MAJOR, // pgBackRest's backup refuses an archive_command that does not name it: the unused last word does.
  archiveCommand: `sh ${archiveScript} %p pgbackrest`,
});
const pgdrRepo = join(work, 'pgdr-repo');
await fsp.mkdir(pgdrRepo);
if (user) await fsp.chown(pgdrRepo, user.uid, user.gid);
const pgdrConfig = join(work, 'pgdr.yaml');
const walParallel = Number(values['wal-parallel']);
await writePgdrConfig(pgdrConfig, { repo: pgdrRepo, walParallel, jobs: cores, pg });
const pgbackrest = pgbackrestInstalled()
  ? await pgbackrestStanza({ pg, cores, dir: join(work, 'pgbackrest'), archive: true })
  : undefined;
const barmanDestination = `s3://${BUCKET}/pg`;
const barmanArchive = barmanShellCommand(s3, 'wal-archive', [
  '-z',
  barmanDestination,
  SERVER_NAME,
  '%p',
]).replace(/%p$/, '"$1"');
const pgdrArchive = `PGDR_COMMAND='${PGDR_EXE}' '${PGDR_EXE}' wal archive --config '${pgdrConfig}' "$1"`;
const brArchive = (o: string) =>
  `pgbackrest --config='${pgbackrest?.conf}' --stanza=bench${o} archive-push "$1"`;
const archive = new ArchiveSwitch(
  archiveScript,
  work,
  {
    lines: {
      pgdr: pgdrArchive,
      ...(pgbackrest ? { pgBackRest: brArchive('') } : {}),
      'barman-cloud': barmanArchive,
    },
    // A segment PostgreSQL no longer waits on: pgBackRest's async queue follows pg_wal's .ready files only.
    catchUp: {
      pgdr: pgdrArchive,
      ...(pgbackrest ? { pgBackRest: brArchive(' --no-archive-async') } : {}),
      'barman-cloud': barmanArchive,
    },
  },
  user,
  values['chained-archiving'],
);
const ctx: MatrixContext = {
  pg,
  s3,
  work,
  cores,
  dataBytes: 0,
  pgdr: { config: pgdrConfig, repo: pgdrRepo, walParallel },
  barman: {
    destination: barmanDestination,
    env: barmanEnv(s3),
    skipBackup: values['skip-barman-gzip9'],
    restoreRows: groups.has('restore'),
  },
  pgbackrest,
  user,
  archive,
  rows: [],
};
if (!ctx.pgbackrest)
  console.error('pgbackrest is not installed (bash scripts/setup.sh --bench): its rows are missing');

try {
  console.error(`pgbench -i -s ${scale} on PostgreSQL ${MAJOR} ...`);
  await pgbench({ connectionString: pg.connectionString, init: { scale } });
  await pg.query('CREATE TABLE bench_wal (id bigserial PRIMARY KEY, payload text)');
  const segments = async () => (await fsp.readdir(segDir)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
  while (groups.has('wal') && (await segments()).length < walSegments) {
    await pg.query(
      'INSERT INTO bench_wal (payload) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 20000) g',
    );
    await switchWalAndWait(pg, 600_000);
  }
  const names = (await segments()).slice(-walSegments);
  await archive.all();
  ctx.dataBytes = await dataDirBytes(pg.pgdata);
  console.error(`data: ${(ctx.dataBytes / 1e6).toFixed(0)} MB; ${names.length} WAL segments; ${cores} cores`);

  if (groups.has('wal')) {
    console.error('WAL archive and fetch ...');
    await walRows(ctx, segDir, names);
  }
  await fsp.rm(segDir, { recursive: true, force: true });
  await switchWalAndWait(pg, 600_000);

  const ids: BackupIds = { bytes: {} };
  if (groups.has('full-backup')) {
    console.error('full backups ...');
    await fullBackups(ctx, ids);
  }
  // The delta rows restore onto the changed source: the change happens even when no incremental row runs.
  if (groups.has('incremental-backup')) await incrementalRows(ctx);
  else if (groups.has('restore')) await change(ctx);
  if (groups.has('restore')) await restoreRows(ctx, ids);
  await pg.cleanup();
  const changedPages = groups.has('block-level') ? await blockLevelRows(ctx, scale) : undefined;

  const header = `bench/matrix: pgbench scale ${scale} (${(ctx.dataBytes / 1e6).toFixed(0)} MB of files), PostgreSQL ${MAJOR} (the newest major Debian's pgBackRest 2.45 supports), ${cores} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
  const compression = {
    pgdr: `gzip level 1 (WAL and data), data jobs ${cores}, wal.maxParallel ${walParallel}, repository file://`,
    pgBackRest: `gz level 1, process-max ${cores}, archive-async=y, repository posix`,
    'barman-cloud': 'gzip (-z: Python gzip, level 9), repository s3rver on 127.0.0.1',
  };
  const goals = evaluateGoals(ctx.rows, changedPages);
  const coldCache = dropCaches()
    ? 'each from an empty page cache (sync, then drop_caches)'
    : "page cache NOT dropped (not root): a restore right after another tool's may be favoured";
  console.log(`\n${header}`);
  if (values.note) console.log(`  note: ${values.note}`);
  for (const [k, v] of Object.entries(compression)) console.log(`  ${k}: ${v}`);
  console.log(
    `  WAL rows: ${names.length} segments of 16 MiB, one command per segment; pgdr/this < 1: pgdr faster`,
  );
  console.log(
    `  PostgreSQL ${BLOCK_MAJOR} rows: pgdr only (the embedded package, summarize_wal = on), same scale and change`,
  );
  console.log(`  restore rows: ${coldCache}\n`);
  console.log(formatTable(ctx.rows));
  console.log(`\ngoals:\n${formatGoals(goals)}`);
  await fsp.mkdir(values.out, { recursive: true });
  const file = join(values.out, `matrix-scale${scale}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = {
    date: started.toISOString(),
    note: values.note,
    scale,
    postgresMajor: MAJOR,
    blockLevelMajor: BLOCK_MAJOR,
    dataBytes: ctx.dataBytes,
    walSegments: names.length,
    cores: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadAverageAtEnd: loadavg(),
    compression,
    restoreRows: coldCache,
    rows: ctx.rows,
    goals,
  };
  await fsp.writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwritten: ${file}`);
} finally {
  await pg.cleanup();
  await s3.stop();
  await fsp.rm(work, { recursive: true, force: true });
}

/** The change, its WAL archived (not measured), then the incremental rows. */
async function incrementalRows(ctx: MatrixContext): Promise<void> {
  await change(ctx);
  console.error('incremental backups ...');
  await incrementalBackups(ctx);
}

/** 2% of the pages changed after the full backups, its WAL archived (not measured). */
async function change(ctx: MatrixContext): Promise<void> {
  const changed = await changeTwoPercent(ctx.pg);
  // The change's WAL goes through all three archivers first: a backup waits until its own WAL is archived,
  // and whichever tool went first would otherwise also wait out the change's backlog.
  const drain = process.hrtime.bigint();
  await switchWalAndWait(ctx.pg, 600_000);
  const drained = (Number(process.hrtime.bigint() - drain) / 1e9).toFixed(1);
  console.error(
    `changed ${changed} rows of pgbench_accounts (one on every 50th page), its WAL archived in ${drained} s (not measured)`,
  );
}

/** Marker rows for the PITR target, then every restore row from the full backups (the source stopped). */
async function restoreRows(ctx: MatrixContext, ids: BackupIds): Promise<void> {
  const { pg } = ctx;
  await pg.query('CREATE TABLE bench_marker (id int)');
  await pg.query('INSERT INTO bench_marker SELECT generate_series(1, 1000)');
  await switchWalAndWait(pg, 600_000);
  const [t] = await pg.query<{ t: string }>(
    "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t",
  );
  await new Promise((r) => setTimeout(r, 1500));
  await pg.query('INSERT INTO bench_marker SELECT generate_series(1001, 1500)');
  await switchWalAndWait(pg, 600_000);
  const markers: Markers = { atTarget: 1000, atEnd: 1500, targetTime: t!.t };
  await pg.stop();
  console.error('restores ...');
  await filesOnlyRows(ctx, ids);
  await deltaRows(ctx, ids);
  await endToEndRows(ctx, ids, markers);
}
