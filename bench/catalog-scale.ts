// Catalog cost at scale: `status`, `backup list`, `check`, `retention apply --dry-run` and `serve` on an archive
// of --wal WAL objects (default 100,000) and --backups backups (default 60), on file:// and on s3rver.
// The objects are tiny fakes with barman-cloud's names; each backup has a backup.info that parses, a .backup
// label in wals/ and a small data.tar. Three segments are left out, so status has gaps to find.
// The s3rver archive is written straight into s3rver's on-disk layout (KEY._S3rver_object, .md5 and
// ._S3rver_metadata.json, which is how its filesystem store keeps an object): uploading 100,000 objects through
// its HTTP API would take minutes and measure s3rver, not pgdr. s3rver lists common prefixes wrongly and pages
// in the file system's order; the test child (test/helpers/s3rver-child.ts) lists in key order and folds common
// prefixes itself, reading the folders below the prefix (one key of each folder under a common prefix).
// Counting: for s3rver, a proxy in front of it counts requests (LIST = GET with list-type, GET, HEAD); for
// file://, the CLI counts store calls when PGDR_STORE_CALLS_FILE is set (a list() is one call, whatever size).
// Each command runs as its own process (dist/src/cli/bin.js): wall time and peak RSS of the process.
// On s3rver, a first row times a plain ListObjectsV2 loop over <server>/wals/ (bench/raw-list.ts): what the
// store alone takes to list the WAL, below which no pgdr command that lists it can go.
// Usage: node dist/bench/catalog-scale.js [--wal 100000] [--backups 60] [--stores file,s3] [--refreshes 4]
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGDR_BIN, s3Env } from '../test/helpers/cli.js';
import {
  fakeArchive,
  fakeSegment,
  missingSegments,
  writeFakeFs,
  writeFakeS3rver,
} from '../test/helpers/fake-archive.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { measure } from './process-meter.js';
import { rawListLoop } from './raw-list.js';

const { values } = parseArgs({
  options: {
    wal: { type: 'string' },
    backups: { type: 'string' },
    stores: { type: 'string' },
    refreshes: { type: 'string' },
    label: { type: 'string' },
  },
});
const WAL = Number(values.wal ?? 100_000);
const BACKUPS = Number(values.backups ?? 60);
const STORES = (values.stores ?? 'file,s3').split(',');
const REFRESHES = Number(values.refreshes ?? 4);
const SERVER = 'pg';
const BUCKET = 'bench';
interface Counts {
  list: number;
  get: number;
  head: number;
  other: number;
}

/** A proxy in front of s3rver counting the requests pgdr makes (the Host header passes unchanged: SigV4). */
async function countingProxy(target: number): Promise<{ port: number; take(): Counts; close(): void }> {
  let counts: Counts = { list: 0, get: 0, head: 0, other: 0 };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && /[?&]list-type=/.test(url)) counts.list++;
    else if (req.method === 'GET') counts.get++;
    else if (req.method === 'HEAD') counts.head++;
    else counts.other++;
    const up = http.request(
      { host: '127.0.0.1', port: target, method: req.method, path: url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    take() {
      const c = counts;
      counts = { list: 0, get: 0, head: 0, other: 0 };
      return c;
    },
    close: () => server.close(),
  };
}

function progress(r: Row): void {
  process.stderr.write(
    `${r.store} ${r.command}: ${r.seconds.toFixed(2)} s, ${r.peakRssMiB.toFixed(0)} MiB, LIST ${r.list} GET ${r.get} (exit ${r.exit})\n`,
  );
}

interface Row {
  store: string;
  command: string;
  seconds: number;
  peakRssMiB: number;
  exit: number | null;
  list: number | null;
  get: number | null;
  head: number | null;
  note: string;
}

interface Target {
  readonly name: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  /** Store calls of the last command. */
  take(): Promise<Counts | undefined>;
  /** Archives one more segment (between two serve refreshes). */
  addSegment(index: number): Promise<void>;
}

const COMMANDS: Array<{ name: string; args: string[] }> = [
  { name: 'status', args: ['status', '-o', 'json'] },
  { name: 'backup list', args: ['backup', 'list', '-o', 'json'] },
  { name: 'check', args: ['check', '-o', 'json'] },
  {
    name: 'retention --dry-run',
    args: ['retention', 'apply', '--dry-run', '--policy', 'RECOVERY WINDOW OF 30 DAYS', '-q', '-o', 'json'],
  },
];

/** What the command found, to compare runs: the verdict, the number of backups, of obsolete backups. */
function summary(command: string, stdout: string): string {
  try {
    const j = JSON.parse(stdout) as { verdict?: { text?: string }; backups_list?: unknown[] };
    if (command === 'status') return (j.verdict?.text ?? '').slice(0, 40);
    if (command === 'backup list') return `${j.backups_list?.length} backups`;
    if (command.startsWith('retention')) return `${(stdout.match(/"OBSOLETE"/g) ?? []).length} obsolete`;
    return '';
  } catch {
    return 'output is not JSON';
  }
}

async function runCommands(t: Target): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of COMMANDS) {
    await t.take();
    const m = await measure(process.execPath, [PGDR_BIN, ...c.args, ...t.args], { env: t.env });
    const n = await t.take();
    if (m.code === 4 || m.code === null) process.stderr.write(`${c.name} failed (${m.code}): ${m.stderr}\n`);
    rows.push({
      store: t.name,
      command: c.name,
      seconds: m.seconds,
      peakRssMiB: m.peakRssMiB,
      exit: m.code,
      list: n?.list ?? null,
      get: n?.get ?? null,
      head: n?.head ?? null,
      note: summary(c.name, m.stdout),
    });
    progress(rows.at(-1)!);
  }
  rows.push(...(await runServe(t)));
  return rows;
}

/** serve: the first refresh, then REFRESHES more with one new segment archived before each. */
async function runServe(t: Target): Promise<Row[]> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [PGDR_BIN, 'serve', '--port', '0', '--refresh', '1s', ...t.args], {
    env: t.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /pgdr serve: (http:\/\/\S+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const rows: Row[] = [];
  for (let i = 0; i <= REFRESHES; i++) {
    if (i > 0) {
      await t.addSegment(WAL + i);
      await new Promise((r) => setTimeout(r, 1100));
    }
    await t.take();
    const started = process.hrtime.bigint();
    const res = await fetch(`${url}api/status`);
    await res.text();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const n = await t.take();
    const hwm = /VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'));
    rows.push({
      store: t.name,
      command: i === 0 ? 'serve first refresh' : `serve refresh ${i}`,
      seconds,
      peakRssMiB: Number(hwm?.[1] ?? 0) / 1024,
      exit: res.status,
      list: n?.list ?? null,
      get: n?.get ?? null,
      head: n?.head ?? null,
      note: i === 0 ? '' : '1 new segment',
    });
    progress(rows.at(-1)!);
  }
  child.kill('SIGTERM');
  return rows;
}

async function fileTarget(root: string, now: Date): Promise<Target> {
  const repo = join(root, 'repo');
  await writeFakeFs(repo, fakeArchive({ serverName: SERVER, wal: WAL, backups: BACKUPS, now }));
  const callsFile = join(root, 'calls.json');
  return {
    name: 'file://',
    args: ['--destination-path', `file://${repo}`, '--server-name', SERVER],
    env: { ...process.env, PGDR_STORE_CALLS_FILE: callsFile },
    async take() {
      try {
        const c = JSON.parse(await readFile(callsFile, 'utf8')) as Counts;
        await rm(callsFile);
        return { list: c.list, get: c.get, head: c.head, other: 0 };
      } catch {
        return undefined;
      }
    },
    addSegment: (i) => writeFakeFs(repo, [fakeSegment(SERVER, i)]),
  };
}

async function s3Target(now: Date): Promise<Target & { stop(): Promise<void>; raw(): Promise<Row> }> {
  const s3 = await startS3rver({ buckets: [BUCKET] });
  const bucketDir = join(s3.dir, BUCKET, 'cat');
  await writeFakeS3rver(bucketDir, fakeArchive({ serverName: SERVER, wal: WAL, backups: BACKUPS, now }));
  const proxy = await countingProxy(s3.port);
  return {
    name: 's3rver',
    args: [
      '--endpoint-url',
      `http://127.0.0.1:${proxy.port}`,
      '--destination-path',
      `s3://${BUCKET}/cat`,
      '--server-name',
      SERVER,
    ],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...s3Env(s3) },
    take: async () => proxy.take(),
    addSegment: (i) => writeFakeS3rver(bucketDir, [fakeSegment(SERVER, i)]),
    async raw() {
      const r = await rawListLoop({ ...s3, bucket: BUCKET, prefix: `cat/${SERVER}/wals/` });
      return {
        store: 's3rver',
        command: 'raw ListObjectsV2 of wals/',
        seconds: r.seconds,
        peakRssMiB: 0,
        exit: 0,
        list: r.pages,
        get: 0,
        head: 0,
        note: `${r.keys} keys, no pgdr`,
      };
    },
    async stop() {
      proxy.close();
      await s3.stop();
    },
  };
}

function table(rows: Row[]): string {
  const head = ['store', 'command', 'seconds', 'peak RSS MiB', 'exit', 'LIST', 'GET', 'HEAD', 'note'];
  const body = rows.map((r) => [
    r.store,
    r.command,
    r.seconds.toFixed(2),
    r.peakRssMiB.toFixed(0),
    String(r.exit),
    String(r.list ?? '-'),
    String(r.get ?? '-'),
    String(r.head ?? '-'),
    r.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pgdr-catalog-scale-'));
  const now = new Date();
  const rows: Row[] = [];
  try {
    if (STORES.includes('file')) {
      const t0 = Date.now();
      const t = await fileTarget(root, now);
      process.stderr.write(`file:// archive built in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      rows.push(...(await runCommands(t)));
    }
    if (STORES.includes('s3')) {
      const t0 = Date.now();
      const t = await s3Target(now);
      process.stderr.write(`s3rver archive built in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      try {
        rows.push(await t.raw());
        progress(rows.at(-1)!);
        rows.push(...(await runCommands(t)));
      } finally {
        await t.stop();
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  process.stdout.write(`${table(rows)}\n`);
  const result = {
    when: now.toISOString(),
    label: values.label ?? null,
    cores: availableParallelism(),
    loadavg: loadavg(),
    walObjects: WAL - missingSegments(WAL).length + BACKUPS,
    backups: BACKUPS,
    rows,
  };
  await mkdir(new URL('../../bench/results/', import.meta.url), { recursive: true });
  const file = new URL(
    `../../bench/results/catalog-scale-${now.toISOString().replace(/[:.]/g, '-')}.json`,
    import.meta.url,
  );
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`written: ${file.pathname}\n`);
}

await main();
