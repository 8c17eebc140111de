// bench/delta-restore: `pgdr restore --delta` onto a stopped former primary against a full restore into an
// empty folder (files only, --no-start), both of the same backup, the way the matrix's restore rows take them:
// pgbench on PostgreSQL 15, a pgdr backup into a file:// repository, then a change (--change, below) and the
// server stopped. Each round copies the stopped data directory and times both restores with every pgdr given
// (--bin, repeatable: another checkout's bin/pgdr, or its dist/src/cli/bin.js to run it without bin/pgdr's node
// options), alternating them, so builds compare on one machine under the same load, each from an empty page
// cache; prints each time, the medians, the load average.
// Usage: node dist/bench/delta-restore.js --work DIR [--scale 20] [--jobs 4] [--change rows|pages|small]
//   [--rounds 3] [--bin A --bin B]
// (--work: the world is made there once and reused by later runs that give the same folder)
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chownToServerUser, resolveServerUser } from '../src/postgres/os-user.js';
import { configuredPrimary } from '../test/helpers/archiving-primary.js';
import { backupJson } from '../test/helpers/backup-create.js';
import { switchWalAndWait } from '../test/helpers/barman-bucket.js';
import { PGDR_COMMAND_ENV } from '../test/helpers/cli.js';
import { pgbench } from '../test/helpers/postgres.js';
import { changeTwoPercent } from './matrix-backup.js';
import { dropCaches } from './matrix-step.js';
import { PGDR_EXE, PGDR_EXE_ENV, pgdrArgv } from './pgdr-exe.js';
import { measure } from './process-meter.js';

const { values } = parseArgs({
  options: {
    work: { type: 'string' },
    scale: { type: 'string', default: '20' },
    // The backup's parts and the restore's parallelism (the matrix uses the core count).
    jobs: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    bin: { type: 'string', multiple: true },
    // rows: every 50th aid (a row on every page, so every page of the table changes); pages: one row on
    // every 50th page (the matrix's change: 2% of the pages, plus the new row versions and index entries);
    // small: every row of pgbench_branches, a few pages (a primary stopped soon after its backup).
    change: { type: 'string', default: 'rows' },
  },
});
if (values.work === undefined) throw new Error('--work DIR is required');
const work = values.work;
const bins = values.bin ?? [PGDR_EXE];

interface World {
  readonly pgdata: string;
  readonly config: string;
  readonly backupId: string;
}

/** The stopped source and its backup: made once per work folder. */
async function world(): Promise<World> {
  const state = join(work, 'world.json');
  if (existsSync(state)) return JSON.parse(await fsp.readFile(state, 'utf8')) as World;
  await fsp.mkdir(work, { recursive: true, mode: 0o755 });
  await fsp.chmod(work, 0o755);
  const repo = join(work, 'repo');
  await fsp.mkdir(repo, { mode: 0o755 });
  await chownToServerUser(repo, await resolveServerUser(), true);
  const store = [
    'objectStore:',
    `  destinationPath: file://${repo}`,
    '  wal: { compression: gzip, maxParallel: 4 }',
    `  data: { compression: gzip, jobs: ${Number(values.jobs)}, immediateCheckpoint: true }`,
  ];
  const made = await configuredPrimary({ root: work, serverName: 'bench', store, major: 15 });
  const db = made.primary;
  await pgbench({ connectionString: db.connectionString, init: { scale: Number(values.scale) } });
  await db.query('CHECKPOINT');
  const backup = await backupJson(made.full);
  if (values.change === 'small') await db.query('UPDATE pgbench_branches SET bbalance = bbalance + 1');
  else if (values.change === 'pages') await changeTwoPercent(db);
  else await db.query('UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 50 = 0');
  await switchWalAndWait(db);
  await db.stop();
  // The test server's folder goes when this process exits: the stopped source is kept as a copy.
  const pgdata = join(work, 'source');
  execFileSync('cp', ['-a', db.pgdata, pgdata]);
  const w: World = { pgdata, config: made.cfg, backupId: String(backup.backup_id) };
  await fsp.writeFile(state, JSON.stringify(w));
  return w;
}

/** Wall seconds, and CPU seconds (user + system, as GNU time counts them): the machine may be shared. */
async function timed(bin: string, args: string[]): Promise<{ wall: number; cpu: number }> {
  const cpuFile = join(work, 'cpu.txt');
  const m = await measure(
    '/usr/bin/time',
    ['-f', '%U %S', '-o', cpuFile, ...pgdrArgv(bin, ['restore', ...args, '--format', 'json']).flat()],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...PGDR_COMMAND_ENV, ...PGDR_EXE_ENV } },
  );
  if (m.code !== 0) throw new Error(`${bin} restore ${args.join(' ')}: ${m.stderr}`);
  const [user, sys] = (await fsp.readFile(cpuFile, 'utf8')).trim().split(' ').map(Number);
  return { wall: m.seconds, cpu: user! + sys! };
}

/** Each restore starts with nothing dirty and, as root, an empty page cache: the source copy just written would
 * otherwise be read from memory by the delta and not by the full restore. */
let cold = true;
function coldStart(): void {
  execFileSync('sync');
  cold = dropCaches() && cold;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const w = await world();
const times = new Map<string, { wall: number; cpu: number }[]>();
const note = (k: string, t: { wall: number; cpu: number }) => {
  times.set(k, [...(times.get(k) ?? []), t]);
  console.error(
    `  ${k}: ${t.wall.toFixed(2)} s, CPU ${t.cpu.toFixed(2)} s (load ${loadavg()[0]!.toFixed(2)})`,
  );
};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const bin of bins) {
    const common = ['--config', w.config, '--backup-id', w.backupId, '--no-start'];
    const delta = join(work, 'delta');
    execFileSync('rm', ['-rf', delta]);
    execFileSync('cp', ['-a', w.pgdata, delta]);
    coldStart();
    note(`${bin} delta`, await timed(bin, ['--delta', delta, ...common]));
    execFileSync('rm', ['-rf', delta]);
    const full = join(work, 'full');
    execFileSync('rm', ['-rf', full]);
    coldStart();
    note(`${bin} full`, await timed(bin, [full, ...common]));
    execFileSync('rm', ['-rf', full]);
  }
}
for (const [k, xs] of times) {
  const wall = median(xs.map((x) => x.wall)).toFixed(2);
  const cpu = median(xs.map((x) => x.cpu)).toFixed(2);
  console.log(`${k}: median ${wall} s, CPU ${cpu} s, of ${xs.length}`);
}
if (!cold) console.log('page cache not dropped (not root): restores may read from memory');
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
