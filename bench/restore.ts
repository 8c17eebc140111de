// bench/restore: one backup (pgbench scale 60 ≈ 1 GB, barman-cloud-backup -z) plus N archived WAL segments
// (barman-cloud-wal-archive -z, default 64) restored to the end of WAL by `pgdr restore` and by
// barman-cloud-restore + PostgreSQL with restore_command = barman-cloud-wal-restore; prints each total and the ratio,
// and the store's raw read rate of the same objects.
// Usage: node dist/bench/restore.js [--scale N] [--wal SEGMENTS] [--major 15|17] [--pgdr-runs N] [--skip-barman]
// (--pgdr-runs N: N pgdr restores of the same bucket; the median one is compared)
// (--progress-log FILE: the pgdr restores run with --progress-interval 5 and their stderr written to FILE, no terminal)
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { mapLimit } from '../src/common/map-limit.js';
import { decompressStream } from '../src/compression/codecs.js';
import { barmanCloud, barmanCloudOk, barmanEnv, walArchiveCommand } from '../test/helpers/barman.js';
import { listBarmanBackups, switchWalAndWait } from '../test/helpers/barman-bucket.js';
import { bucketStore } from '../test/helpers/bucket-copy.js';
import { PGDR_COMMAND_ENV, s3Args, s3Env } from '../test/helpers/cli.js';
import { pgbench, startPostgres } from '../test/helpers/postgres.js';
import { stopPgCtl } from '../test/helpers/restore-run.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { PGDR_EXE, PGDR_EXE_ENV } from './pgdr-exe.js';
import { measure } from './process-meter.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '60' },
    wal: { type: 'string', default: '64' },
    major: { type: 'string', default: '17' },
    // pgdr restores against the same bucket (runs vary: the machine is shared); the median one is compared.
    'pgdr-runs': { type: 'string', default: '1' },
    'skip-barman': { type: 'boolean', default: false },
    'progress-log': { type: 'string' },
  },
});
const scale = Number(values.scale);
const walSegments = Number(values.wal);
const major = Number(values.major) as 15 | 17;
const SEG = 16 * 1024 * 1024;

/**
 * The store's read rate, for "restore throughput near the store's read rate": the objects under `prefix` (the
 * backup's, or the WAL) fetched by one warm process, 4 at a time like pgdr's tar downloads, bodies counted and
 * dropped. No decompression and no disk: the rest of a restore's download stage is inflating and writing.
 */
async function storeReadRate(prefix: string): Promise<{ seconds: number; bytes: number; objects: number }> {
  const store = bucketStore(s3, BUCKET);
  try {
    const { objects } = await store.list(`${PREFIX}/${serverName}/${prefix}/`);
    settle();
    const t = performance.now();
    let bytes = 0;
    await mapLimit(objects, 4, async (o) => {
      for await (const chunk of await store.get(o.key)) bytes += (chunk as Buffer).length;
    });
    return { seconds: (performance.now() - t) / 1000, bytes, objects: objects.length };
  } finally {
    await store.close();
  }
}

/**
 * The floor under the download+extract stage: the backup's gzip objects (held in memory first) inflated by one
 * warm process with pgdr's codec, 4 at a time, output dropped. No store, no tar parsing, no disk.
 */
async function inflateFloor(): Promise<number> {
  const store = bucketStore(s3, BUCKET);
  try {
    const { objects } = await store.list(`${PREFIX}/${serverName}/base/`);
    const gz = objects.filter((o) => o.key.endsWith('.gz'));
    const bodies = await Promise.all(gz.map((o) => store.getBuffer(o.key)));
    const t = performance.now();
    await mapLimit(bodies, 4, async (b) => {
      const inflate = decompressStream('gzip');
      inflate.resume();
      await new Promise<void>((resolve, reject) => {
        inflate.on('end', resolve).on('error', reject);
        inflate.end(b);
      });
    });
    return (performance.now() - t) / 1000;
  } finally {
    await store.close();
  }
}

// Each timed restore starts with no dirty pages left by the set-up or by the run before (as bench/wal does), so
// neither tool pays for write-back it did not cause.
function settle(): void {
  execFileSync('sync');
}

const BUCKET = 'bench';
const PREFIX = 'pg';
const s3 = await startS3rver({ buckets: [BUCKET] });
const destination = `s3://${BUCKET}/${PREFIX}`;
const serverName = 'bench';
const src = await startPostgres({
  major,
  archiveCommand: walArchiveCommand({ s3, destination, serverName }),
});
const work = await fsp.mkdtemp(join(src.dir, '..', 'pgdr-bench-restore-'));
await fsp.chmod(work, 0o755);
let finalRows = 0;
const pgdrRuns: { p: Awaited<ReturnType<typeof measure>>; stages: unknown; extracted: number }[] = [];
try {
  console.error(`pgbench -i -s ${scale} ...`);
  await pgbench({ connectionString: src.connectionString, init: { scale } });
  await switchWalAndWait(src, 600_000);
  const conn = ['-h', '127.0.0.1', '-p', String(src.port), '-U', 'postgres'];
  console.error('barman-cloud-backup -z ...');
  await barmanCloudOk('backup', ['-z', '--immediate-checkpoint', ...conn, destination, serverName], {
    ...s3,
    timeoutMs: 3_600_000,
  });
  console.error(`writing ${walSegments} WAL segments ...`);
  await src.query('CREATE TABLE bench_wal (id bigserial PRIMARY KEY, payload text)');
  const lsn = async () =>
    BigInt((await src.query<{ n: string }>("SELECT pg_current_wal_lsn() - '0/0' AS n"))[0]!.n);
  const start = await lsn();
  while ((await lsn()) - start < BigInt(walSegments * SEG)) {
    await src.query(
      'INSERT INTO bench_wal (payload) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 20000) g',
    );
  }
  finalRows = Number((await src.query<{ n: string }>('SELECT count(*) AS n FROM bench_wal'))[0]!.n);
  await switchWalAndWait(src, 1_800_000);
} finally {
  await src.cleanup();
}

try {
  const runs: string[] = [];
  for (let i = 0; i < Number(values['pgdr-runs']); i++) {
    const variant = `run ${i + 1}`;
    console.error(`pgdr restore (${variant}) ...`);
    const dir = join(work, `pgdr-${i}`);
    const t = { endpoint: s3.endpoint, destination, serverName };
    settle();
    const progress = values['progress-log'] ? ['--progress-interval', '5s'] : [];
    const p = await measure(PGDR_EXE, ['restore', dir, ...s3Args(t), '--format', 'json', ...progress], {
      env: { ...process.env, ...PGDR_COMMAND_ENV, ...PGDR_EXE_ENV, ...s3Env(s3) },
    });
    if (values['progress-log']) await fsp.appendFile(values['progress-log'], p.stderr + p.stdout);
    if (p.code !== 0) throw new Error(`pgdr restore failed: ${p.stderr}`);
    const out = JSON.parse(p.stdout);
    const c = new pg.Client({ connectionString: out.server.connectionString });
    await c.connect();
    const cmdline = await c.query(
      "SELECT name, setting, unit FROM pg_settings WHERE source = 'command line' ORDER BY name",
    );
    await c.end();
    await stopPgCtl(out.server.pgCtl, out.server.pgdata);
    const log = await fsp.readFile(out.server.logFile, 'utf8');
    const notes = log
      .split('\n')
      .filter((l) =>
        /restartpoint|checkpoint (starting|complete)|redo done|syncing data|archive recovery complete/.test(
          l,
        ),
      );
    console.error(`  ${variant}: ${p.seconds.toFixed(1)} s, stages ${JSON.stringify(out.timings)}`);
    console.error(
      `  command line: ${cmdline.rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`).join(' ')}`,
    );
    for (const n of notes) console.error(`    ${n}`);
    runs.push(`${variant} ${p.seconds.toFixed(1)} s ${JSON.stringify(out.timings)}`);
    pgdrRuns.push({ p, stages: out.timings, extracted: out.download.extractedBytes });
    await fsp.rm(dir, { recursive: true, force: true });
  }
  console.log(`pgdr runs:\n${runs.join('\n')}`);
  const sorted = [...pgdrRuns].sort((a, b) => a.p.seconds - b.p.seconds);
  // The upper median: with an even count, the slower of the two middle runs.
  const { p, stages: pgdrStages, extracted } = sorted[Math.floor(sorted.length / 2)]!;
  const spread =
    sorted.length > 1
      ? ` (median of ${sorted.length} runs, ${sorted[0]!.p.seconds.toFixed(1)}-${sorted.at(-1)!.p.seconds.toFixed(1)} s)`
      : '';
  const MiB = 1024 * 1024;
  const readLines: string[] = [];
  const stage = (pgdrStages as { downloadSeconds: number }).downloadSeconds;
  for (const [prefix, what] of [
    ['base', 'the backup (what the download+extract stage reads)'],
    ['wals', 'the WAL'],
  ] as const) {
    const r = await storeReadRate(prefix);
    readLines.push(
      `store read rate, ${what}: ${r.objects} objects, ${(r.bytes / MiB).toFixed(0)} MiB in ${r.seconds.toFixed(2)} s = ${(r.bytes / MiB / r.seconds).toFixed(0)} MiB/s` +
        (prefix === 'base'
          ? `; pgdr's download+extract stage: ${stage.toFixed(2)} s (${(stage / r.seconds).toFixed(1)}x that: it also inflates and writes the files), ${(extracted / MiB).toFixed(0)} MiB of files restored = ${(extracted / MiB / stage).toFixed(0)} MiB/s`
          : ''),
    );
  }
  const floor = await inflateFloor();
  readLines.push(
    `floor: inflating the backup's gzip objects alone (in memory, warm process, output dropped): ${floor.toFixed(2)} s; the download+extract stage is ${(stage / floor).toFixed(1)}x that`,
  );
  const readLine = `${readLines.join('\n')}\n(one warm process, 4 objects at a time)`;
  console.error(readLine);
  if (!values['skip-barman']) {
    console.error('barman-cloud-restore + barman-cloud-wal-restore ...');
    const env = barmanEnv(s3);
    const creds = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION'].map(
      (k) => `${k}=${env[k]}`,
    );
    const restoreCommand = `${creds.join(' ')} barman-cloud-wal-restore --cloud-provider aws-s3 --endpoint-url ${s3.endpoint} ${destination} ${serverName} %f %p`;
    // barman 3.4's restore knows no 'latest': look the id up first, outside the timed part.
    const [backup] = await listBarmanBackups({ s3, destination, serverName });
    settle();
    const t0 = performance.now();
    const barman = await startPostgres({
      major,
      settings: { restore_command: restoreCommand, fsync: 'on' },
      fillPgdata: async (pgdata) => {
        const r = await barmanCloud('restore', [destination, serverName, backup!.backup_id, pgdata], {
          ...s3,
          timeoutMs: 3_600_000,
        });
        if (r.code !== 0) throw new Error(`barman-cloud-restore exited ${r.code}: ${r.stderr}`);
        await fsp.writeFile(join(pgdata, 'recovery.signal'), '');
      },
    });
    try {
      await barman.server.waitForRecoveryEnd({ timeoutSeconds: 3600 });
      const barmanSeconds = (performance.now() - t0) / 1000;
      const rows = Number((await barman.query<{ n: string }>('SELECT count(*) AS n FROM bench_wal'))[0]!.n);
      if (rows !== finalRows)
        console.error(`warning: barman path recovered ${rows} rows, expected ${finalRows}`);
      console.log(
        `\nbench/restore: pgbench scale ${scale} + ${walSegments} WAL segments, PostgreSQL ${major}`,
      );
      console.log('path                                              seconds  peak RSS MiB');
      console.log(
        `pgdr restore (to end of WAL, promoted)            ${p.seconds.toFixed(1).padStart(7)}  ${p.peakRssMiB.toFixed(0).padStart(12)}${spread}`,
      );
      console.log(
        `barman-cloud-restore + barman-cloud-wal-restore   ${barmanSeconds.toFixed(1).padStart(7)}             -`,
      );
      console.log(`pgdr stages: ${JSON.stringify(pgdrStages)}`);
      console.log(`ratio barman / pgdr: ${(barmanSeconds / p.seconds).toFixed(2)}x`);
      console.log(readLine);
      console.log(
        'compression: both read the same objects (barman-cloud-backup -z, barman-cloud-wal-archive -z: gzip level 9)',
      );
    } finally {
      await barman.cleanup();
    }
  }
} finally {
  await fsp.rm(work, { recursive: true, force: true });
  await s3.stop();
}
