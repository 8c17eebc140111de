// Progress of `pgdr restore` as an operator sees it (PostgreSQL 17, s3rver): with stdout and stderr going to a
// file, timestamped lines with bytes, rate and ETA per download task and replay lines with LSNs; with
// --log-format json, JSON lines of the documented fields; on a terminal a bar drawn on the stream that is the
// terminal (stderr), not on a redirected one; -q prints none of it; NO_COLOR leaves no escape codes.
// --progress-interval 0s prints every update, so the number of lines does not depend on how fast this runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_BIN, PGDR_COMMAND_ENV } from '../helpers/cli.js';
import { loadRows, type TestPostgres } from '../helpers/postgres.js';
import { stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pgdrprog';
const TS = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
const SIZE = String.raw`\d+(\.\d)? (B|KiB|MiB|GiB)`;
const DOWNLOAD_LINE = new RegExp(
  String.raw`^${TS} download backup \d{8}T\d{6}: ${SIZE} / ${SIZE} \(\d+%\), (\? B|${SIZE})/s, ETA (\?|<1s|\d+[smhd]( \d+[smh])?)$`,
);
const REPLAY_LINE = new RegExp(
  String.raw`^${TS} replay: LSN [0-9A-F]+/[0-9A-F]+ of [0-9A-F]+/[0-9A-F]+ \(\d+%\), \d+ segment\(s\) left, (\? B|${SIZE})/s, ETA (\?|<1s|\d+[smhd]( \d+[smh])?)$`,
);
const ESCAPE = /\x1b/;

/** Runs a shell command line (redirections included) and waits for it; stdout and stderr come back. */
function sh(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn('sh', ['-c', line], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...PGDR_COMMAND_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('progress of pgdr restore: lines, JSON lines, a bar on the terminal, quiet, NO_COLOR (PostgreSQL 17)', {
  timeout: 20 * 60_000,
}, () => {
  let s3: S3rverHandle;
  let root: string;
  let cfg: string;
  let primary: TestPostgres;
  let n = 0;
  const restored: string[] = [];

  const pgdr = (dir: string, args: string) =>
    `${q(process.execPath)} ${q(PGDR_BIN)} restore ${q(dir)} --config ${q(cfg)} ${args}`;
  const nextDir = () => join(root, `r${++n}`);

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-progress-'));
    await fsp.chmod(root, 0o755);
    const p = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: 'prog' });
    primary = p.primary;
    cfg = p.cfg;
    // WAL after the backup, for replay to take several polls.
    await loadRows({ db: primary, rows: 100_000 });
    await switchWalAndWait(primary);
  });

  after(async () => {
    for (const dir of restored) await stopPgCtl(primary.bin.pgCtl, dir).catch(() => undefined);
    await primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('stdout and stderr to a file: download lines with bytes, rate and ETA, replay lines with LSNs', async () => {
    const dir = nextDir();
    const log = join(root, 'restore.log');
    const r = await sh(`${pgdr(dir, '--progress-interval 0s')} >${q(log)} 2>&1`, {});
    restored.push(dir);
    const text = await fsp.readFile(log, 'utf8');
    assert.equal(r.code, 0, text);
    const lines = text.split('\n');
    const downloads = lines.filter((l) => DOWNLOAD_LINE.test(l));
    assert.ok(downloads.length >= 3, `several download lines:\n${text}`);
    assert.ok(
      downloads.some((l) => /MiB\/s|KiB\/s/.test(l) && /ETA \d/.test(l)),
      'a measured rate and ETA',
    );
    assert.ok(
      downloads.some((l) => /\(100%\), .* ETA 0s$/.test(l)),
      'the finished download',
    );
    assert.ok(
      lines.some((l) => REPLAY_LINE.test(l)),
      `replay lines with LSNs:\n${lines.filter((l) => l.includes('replay')).join('\n')}`,
    );
    assert.match(text, new RegExp(`^${TS} starting PostgreSQL`, 'm'), 'stages timestamped');
    assert.match(text, /^Restore plan for /m, 'the result');
    assert.doesNotMatch(text, ESCAPE, 'no escape codes in a file');
  });

  it('--log-format json: one JSON object per line, with the documented fields', async () => {
    const dir = nextDir();
    const err = join(root, 'restore.jsonl');
    const r = await sh(
      `${pgdr(dir, '--log-format json --progress-interval 0s --format json')} 2>${q(err)}`,
      {},
    );
    restored.push(dir);
    assert.equal(r.code, 0, await fsp.readFile(err, 'utf8'));
    JSON.parse(r.out);
    const events = (await fsp.readFile(err, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) assert.ok(!Number.isNaN(Date.parse(String(e.time))), JSON.stringify(e));
    const bytes = events.filter((e) => e.event === 'bytes');
    assert.ok(bytes.length >= 3);
    for (const e of bytes) {
      assert.match(String(e.task), /^download backup \d{8}T\d{6}$/);
      assert.equal(typeof e.done, 'number');
      assert.equal(typeof e.total, 'number');
      for (const k of ['percent', 'rate', 'eta_seconds']) assert.ok(k in e, `${k} in ${JSON.stringify(e)}`);
      assert.equal(typeof e.finished, 'boolean');
    }
    assert.ok(bytes.some((e) => e.finished === true && e.done === e.total));
    const lsn = events.filter((e) => e.event === 'lsn');
    assert.ok(lsn.length >= 1, 'replay events');
    for (const e of lsn) {
      assert.equal(e.task, 'replay');
      assert.match(String(e.lsn), /^[0-9A-F]+\/[0-9A-F]+$/);
      assert.match(String(e.target_lsn), /^[0-9A-F]+\/[0-9A-F]+$/);
      assert.equal(typeof e.segments_left, 'number');
    }
    assert.ok(events.some((e) => e.event === 'stage' && /^starting PostgreSQL/.test(String(e.message))));
  });

  it('on a terminal: the bar is drawn on stderr when it is the terminal, and never into a redirected stream', async () => {
    // stdout to a file, stderr the terminal: the bar, on the terminal; the file holds the result only.
    const out = join(root, 'tty-stdout.txt');
    const dir1 = nextDir();
    const tty = await sh(`script -qc ${q(`${pgdr(dir1, '--no-start')} >${q(out)}`)} /dev/null`, {});
    assert.equal(tty.code, 0, tty.out);
    assert.match(tty.out, /\[(\x1b\[32m)?#*(\x1b\[0m)?\.*\] download backup/, 'a bar on the terminal');
    assert.match(tty.out, /\r\x1b\[2K/, 'redrawn in place');
    const result = await fsp.readFile(out, 'utf8');
    assert.match(result, /^Restore plan for /m);
    assert.doesNotMatch(result, /download backup|\r|\x1b/, 'no progress in the redirected stdout');
    // stdout the terminal, stderr to a file: timestamped lines in the file, no bar anywhere.
    const err = join(root, 'tty-stderr.txt');
    const dir2 = nextDir();
    const lines = await sh(`script -qc ${q(`${pgdr(dir2, '--no-start')} 2>${q(err)}`)} /dev/null`, {});
    assert.equal(lines.code, 0, lines.out);
    const logged = await fsp.readFile(err, 'utf8');
    assert.match(logged, new RegExp(`^${TS} download backup`, 'm'));
    assert.doesNotMatch(logged, /\r|\x1b|\[#|\[\./, 'no bar in the redirected stderr');
    assert.doesNotMatch(lines.out, /download backup/);
  });

  it('NO_COLOR on a terminal: the bar without a single escape code', async () => {
    const out = join(root, 'nocolor-stdout.txt');
    const tty = await sh(`script -qc ${q(`${pgdr(nextDir(), '--no-start')} >${q(out)}`)} /dev/null`, {
      NO_COLOR: '1',
    });
    assert.equal(tty.code, 0, tty.out);
    assert.match(tty.out, /\[[#.]+\] download backup/, 'still a bar');
    assert.doesNotMatch(tty.out, ESCAPE);
  });

  it('-q: the result and nothing else, on a terminal or not', async () => {
    const log = join(root, 'quiet.log');
    const r = await sh(`${pgdr(nextDir(), '--no-start -q')} >${q(log)} 2>&1`, {});
    const text = await fsp.readFile(log, 'utf8');
    assert.equal(r.code, 0, text);
    assert.match(text, /^Restore plan for /m);
    assert.doesNotMatch(text, /download backup|syncing|^\d{4}-/m);
    const tty = await sh(`script -qc ${q(pgdr(nextDir(), '--no-start --quiet'))} /dev/null`, {});
    assert.equal(tty.code, 0, tty.out);
    assert.doesNotMatch(tty.out, /download backup|\[#|\[\./);
  });
});
