// WAL benchmark: the same real segments (pgbench on PostgreSQL 17) archived and restored, one command per
// segment as PostgreSQL calls them, by pgdr and by barman-cloud-wal-archive/-restore 3.4, on one s3rver.
// pgdr runs as PostgreSQL runs it: the `pgdr` executable (bin/pgdr), which answers calls done ahead in sh.
// Before each restore call the bench removes RECOVERYXLOG, as PostgreSQL does, for both tools.
// Usage: node dist/bench/wal.js [--segments 32] [--parallel 8] [--segments-dir DIR]
// (--segments-dir: reuse segments generated earlier, e.g. for profiling; default: generate them now)
// Levels: pgdr gzip level 1 (its WAL default; gzip-6 and zstd-3 rows for comparison); barman-cloud-wal-archive
// 3.4 --gzip uses Python's GzipFile default, level 9 (it has no level option).
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compressBuffer } from '../src/compression/codecs.js';
import { S3ObjectStore } from '../src/storage/s3/s3-store.js';
import { barmanEnv } from '../test/helpers/barman.js';
import { PGDR_EXE, s3Env } from '../test/helpers/cli.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { generateWalSegments } from '../test/helpers/wal-segments.js';

const { values } = parseArgs({
  options: { segments: { type: 'string' }, parallel: { type: 'string' }, 'segments-dir': { type: 'string' } },
});
const COUNT = Number(values.segments ?? 32);
const PARALLEL = Number(values.parallel ?? 8);
const BUCKET = 'bench';
const DEST = `s3://${BUCKET}/wal`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code}\n${err}`)),
    );
  });
}

// Each measurement starts with no dirty pages left by the one before (copied segments, spooled files), so
// neither tool pays for the other's write-back.
async function timed(fn: () => Promise<void>): Promise<number> {
  await run('sync', [], process.env);
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const s3 = await startS3rver({ buckets: [BUCKET] });
const given = values['segments-dir'];
if (given === undefined)
  console.error(`generating ${COUNT} real WAL segments with pgbench on PostgreSQL 17 ...`);
const segs =
  given === undefined
    ? await generateWalSegments({ count: COUNT, full: true })
    : {
        dir: given,
        names: (await readdir(given)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort(),
        cleanup: async () => {},
      };
const names = segs.names.slice(0, COUNT);
const work = await mkdtemp(join(tmpdir(), 'pgdr-bench-'));
const pgdrEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...s3Env(s3) };
const storeArgs = (server: string) => [
  '--endpoint-url',
  s3.endpoint,
  '--destination-path',
  DEST,
  '--server-name',
  server,
];
const bEnv = barmanEnv(s3);
const bArgs = ['--cloud-provider', 'aws-s3', '--endpoint-url', s3.endpoint];
const rows: [string, number][] = [];
const mib = names.length * 16;

try {
  // PostgreSQL's view: pg_wal with .ready files, one archive_command at a time, .ready -> .done on success.
  // level undefined: pgdr's own default (gzip 1 for WAL), as `archive_command = 'pgdr wal archive %p'` runs it.
  const archivePgdr = async (server: string, parallel: number, level?: number, compression = 'gzip') => {
    const pgWal = join(work, `pg_wal-${server}`);
    await mkdir(join(pgWal, 'archive_status'), { recursive: true });
    for (const n of names) {
      await copyFile(join(segs.dir, n), join(pgWal, n));
      await writeFile(join(pgWal, 'archive_status', `${n}.ready`), '');
    }
    return timed(async () => {
      for (const n of names) {
        const args = [
          'wal',
          'archive',
          '--compression',
          compression,
          ...(level === undefined ? [] : ['--compression-level', String(level)]),
          '--max-parallel',
          String(parallel),
          ...storeArgs(server),
        ];
        await run(PGDR_EXE, [...args, join(pgWal, n)], pgdrEnv);
        await rename(join(pgWal, 'archive_status', `${n}.ready`), join(pgWal, 'archive_status', `${n}.done`));
      }
    });
  };
  const DEF = 'archive pgdr gzip-1 (default)';
  rows.push([`${DEF} maxParallel 1`, await archivePgdr('pgdr-p1', 1)]);
  rows.push([`${DEF} maxParallel ${PARALLEL}`, await archivePgdr('pgdr-pn', PARALLEL)]);
  rows.push([`archive pgdr gzip-6 maxParallel ${PARALLEL}`, await archivePgdr('pgdr-l6', PARALLEL, 6)]);
  rows.push([
    `archive pgdr zstd-3 maxParallel ${PARALLEL} (barman 3.4 cannot read it)`,
    await archivePgdr('pgdr-zstd', PARALLEL, 3, 'zstd'),
  ]);
  rows.push([
    'archive barman-cloud-wal-archive --gzip (level 9)',
    await timed(async () => {
      for (const n of names)
        await run('barman-cloud-wal-archive', [...bArgs, '--gzip', DEST, 'barman', join(segs.dir, n)], bEnv);
    }),
  ]);

  const restorePgdr = async (parallel: number) => {
    const pgWal = join(work, `restore-${parallel}`);
    await mkdir(pgWal, { recursive: true });
    return timed(async () => {
      for (const n of names) {
        const args = [
          'wal',
          'restore',
          '--max-parallel',
          String(parallel),
          ...storeArgs('pgdr-p1'),
          n,
          join(pgWal, 'RECOVERYXLOG'),
        ];
        await rm(join(pgWal, 'RECOVERYXLOG'), { force: true });
        await run(PGDR_EXE, args, pgdrEnv);
      }
    });
  };
  rows.push(['restore pgdr maxParallel 1', await restorePgdr(1)]);
  rows.push([`restore pgdr maxParallel ${PARALLEL} (prefetch)`, await restorePgdr(PARALLEL)]);
  rows.push([
    'restore barman-cloud-wal-restore',
    await timed(async () => {
      for (const n of names) {
        await rm(join(work, 'RECOVERYXLOG'), { force: true });
        await run(
          'barman-cloud-wal-restore',
          [...bArgs, DEST, 'barman', n, join(work, 'RECOVERYXLOG')],
          bEnv,
        );
      }
    }),
  ]);

  // Measured last: the segments held in memory here would slow every process this one spawns (page tables).
  // The store's ceiling: the same gzip bodies PUT from one warm process, PARALLEL at a time.
  const store = S3ObjectStore.fromConfig({
    destinationPath: DEST,
    endpointURL: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    wal: { compression: 'gzip', maxParallel: PARALLEL },
    data: { compression: 'gzip', jobs: 1, immediateCheckpoint: false },
  });
  // Compression alone bounds archiving with gzip: every segment compressed in one warm process on all cores
  // (the threadpool), nothing uploaded. Its rate over the PUT ceiling is the best any gzip archiver can reach.
  const raw = await Promise.all(names.map((n) => readFile(join(segs.dir, n))));
  let bodies: Buffer[] = [];
  rows.push([
    `floor: gzip-1 of every segment, warm process, ${availableParallelism()} cores, no upload`,
    await timed(async () => {
      bodies = await Promise.all(raw.map((b) => compressBuffer('gzip', b, { level: 1 })));
    }),
  ]);
  const putAll = (prefix: string, of: readonly Buffer[]) => async () => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < names.length; i = next++) await store.put(`${prefix}/${names[i]}`, of[i]!);
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  };
  // Two readings of "the store's raw PUT rate": the bodies pgdr stores (gzip-1), and the segments as they are.
  rows.push([
    `raw PUT ceiling (warm process, ${PARALLEL} concurrent, pre-compressed gzip-1)`,
    await timed(putAll('raw-gz', bodies)),
  ]);
  rows.push([
    `raw PUT, uncompressed 16 MiB segments (warm process, ${PARALLEL} concurrent)`,
    await timed(putAll('raw-16m', raw)),
  ]);
  await store.close();

  const rate = (label: string) => names.length / rows.find(([l]) => l.startsWith(label))![1];
  console.log(
    `${names.length} segments (${mib} MiB), s3rver on 127.0.0.1, one process per segment unless noted`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const [label, secs] of rows) {
    console.log(
      `${label.padEnd(66)} ${secs.toFixed(2).padStart(7)} s  ${(names.length / secs).toFixed(2).padStart(7)} seg/s`,
    );
  }
  const barmanA = rate('archive barman');
  const barmanR = rate('restore barman');
  const x = (v: number) => `${v.toFixed(1)}x`;
  console.log(
    'compression: pgdr gzip level 1 (default) or as labelled; barman-cloud-wal-archive --gzip level 9',
  );
  console.log(
    `archive ratio pgdr/barman: default p1 ${x(rate(`${DEF} maxParallel 1`) / barmanA)}, default p${PARALLEL} ${x(rate(`${DEF} maxParallel ${PARALLEL}`) / barmanA)}, gzip-6 p${PARALLEL} ${x(rate(`archive pgdr gzip-6 maxParallel ${PARALLEL}`) / barmanA)}`,
  );
  console.log(
    `archive default p${PARALLEL} / raw PUT ceiling: ${(rate(`${DEF} maxParallel ${PARALLEL}`) / rate('raw PUT ceiling')).toFixed(2)} (gzip-1 compression alone / ceiling: ${(rate('floor') / rate('raw PUT ceiling')).toFixed(2)}; compression then PUT: ${(1 / (1 / rate('floor') + 1 / rate('raw PUT ceiling')) / rate('raw PUT ceiling')).toFixed(2)}); / uncompressed PUT rate: ${(rate(`${DEF} maxParallel ${PARALLEL}`) / rate('raw PUT, uncompressed')).toFixed(2)}`,
  );
  console.log(
    `restore ratio pgdr/barman: p1 ${x(rate('restore pgdr maxParallel 1') / barmanR)}, p${PARALLEL} ${x(rate(`restore pgdr maxParallel ${PARALLEL}`) / barmanR)}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
  await segs.cleanup();
  await s3.stop();
}
