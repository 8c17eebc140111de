// `pgdr wal archive`, `wal restore`, `backup create` and `restore` against an object store that stalls or
// trickles (test/helpers/fault-proxy.ts in front of s3rver): each ends with STORE_UNREACHABLE (10) or
// STORE_ERROR (14) and says what timed out, within its short configured deadlines (a hang is caught by the
// test's own timeout, not by measuring). And a restore whose tar download is reset midway still succeeds.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type ArchivingPrimary, archivingPrimary } from '../helpers/archiving-primary.js';
import { type CliResult, runPgdr } from '../helpers/cli.js';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../helpers/fault-proxy.js';
import { pgdrRestore, queryRestored, s3Target, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'deadlines';
const SERVER = 'main';
const WAL_SERVER = 'walsrv';
const SEGMENT = '000000010000000000000042';
const TIMEOUTS = '  timeouts: { connect: 1s, request: 1s, operation: 3s, command: 5s }';
/** Every case must end well before this; a hang fails the test here. */
const HANG_MS = 90_000;

const STALL: FaultRule['action'] = { kind: 'stall' };
const TRICKLE: FaultRule['action'] = { kind: 'trickle', intervalMs: 300 };
/** Requests for keys below prefix: objects (`/bucket/key`) and listings (`/bucket?...&prefix=...`). */
const under = (prefix: string): RegExp => new RegExp(`^/${BUCKET}(/|\\?(.*&)?prefix=)${prefix}`);

const FAULTS = [
  ['stalls', STALL],
  ['trickles', TRICKLE],
] as const;

describe('commands against an object store that stalls or trickles', { timeout: 900_000 }, () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  let root: string;
  let primary: ArchivingPrimary;
  /** The primary's configuration with short timeouts (postgres settings included, for backup create). */
  let short: string;
  let segment: string;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    proxy = await startFaultProxy(s3.port);
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-deadlines-'));
    await fsp.chmod(root, 0o755);
    primary = await archivingPrimary({
      s3: { ...s3, endpoint: proxy.endpoint },
      bucket: BUCKET,
      root,
      serverName: SERVER,
    });
    const full = await fsp.readFile(primary.full, 'utf8');
    short = join(root, 'short.yaml');
    await fsp.writeFile(short, full.replace('objectStore:\n', `objectStore:\n${TIMEOUTS}\n`));
    segment = join(root, SEGMENT);
    await fsp.writeFile(segment, Buffer.alloc(64 * 1024, 7));
  });
  after(async () => {
    proxy?.setRules([]);
    await stopAllRestored();
    await primary?.primary.cleanup();
    await proxy?.close();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });
  beforeEach(() => proxy.setRules([]));

  const pgdr = (args: string[]): Promise<CliResult> => runPgdr(args, { timeoutMs: HANG_MS });

  /** Ended with 10 or 14 (never killed by the hang timeout), naming the request and the deadline. */
  function assertTimedOut(r: CliResult, request: RegExp): void {
    assert.ok(r.code === 10 || r.code === 14, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, request);
    assert.match(r.stderr, /objectStore\.timeouts\.(request|operation|command)/);
  }

  const walArchive = () => pgdr(['wal', 'archive', '--config', short, '--server-name', WAL_SERVER, segment]);
  const walRestore = () =>
    pgdr([
      'wal',
      'restore',
      '--config',
      short,
      '--server-name',
      WAL_SERVER,
      '--max-parallel',
      '1',
      SEGMENT,
      join(root, `restored-${Date.now()}`),
    ]);
  const walPaths = under(`dr/${WAL_SERVER}/`);
  const walRequest = new RegExp(
    `(ListObjectsV2|HeadObject|GetObject) on s3://${BUCKET}/dr/${WAL_SERVER}/wals/0000000100000000/`,
  );

  for (const [how, action] of FAULTS) {
    it(`wal archive: the store ${how}`, async () => {
      proxy.setRules([{ path: walPaths, action }]);
      assertTimedOut(await walArchive(), walRequest);
    });
  }

  it('wal archive: only the upload stalls', async () => {
    proxy.setRules([{ method: 'PUT', path: walPaths, action: STALL }]);
    assertTimedOut(
      await walArchive(),
      new RegExp(`PutObject on s3://${BUCKET}/dr/${WAL_SERVER}/wals/0000000100000000/${SEGMENT}\\.gz`),
    );
  });

  it('wal archive succeeds once the store answers again (so wal restore has something to fetch)', async () => {
    const r = await walArchive();
    assert.equal(r.code, 0, r.stderr);
  });

  for (const [how, action] of FAULTS) {
    it(`wal restore: the store ${how}`, async () => {
      proxy.setRules([{ path: walPaths, action }]);
      assertTimedOut(await walRestore(), walRequest);
    });
  }

  it('wal restore: only the download of the segment trickles (the command budget ends it)', async () => {
    proxy.setRules([{ method: 'GET', path: new RegExp(`${SEGMENT}\\.gz$`), action: TRICKLE }]);
    const r = await walRestore();
    assertTimedOut(
      r,
      new RegExp(`GetObject on s3://${BUCKET}/dr/${WAL_SERVER}/wals/0000000100000000/${SEGMENT}\\.gz`),
    );
  });

  for (const [how, action] of FAULTS) {
    it(`backup create: the store ${how}`, async () => {
      proxy.setRules([{ path: under(`dr/${SERVER}/base/`), action }]);
      const r = await pgdr(['backup', 'create', '--config', short]);
      assertTimedOut(
        r,
        new RegExp(
          `(ListObjectsV2|PutObject|UploadPart|CreateMultipartUpload|GetObject) on s3://${BUCKET}/dr/${SERVER}/base/`,
        ),
      );
    });
  }

  const tars = new RegExp(`/${BUCKET}/dr/${SERVER}/base/[^/]+/data.*\\.tar`);
  for (const [how, action] of FAULTS) {
    it(`restore: the tar download ${how}`, async () => {
      proxy.setRules([{ method: 'GET', path: tars, action }]);
      const r = await pgdr(['restore', join(root, `r-${how}`), '--config', short]);
      assertTimedOut(r, new RegExp(`GetObject on s3://${BUCKET}/dr/${SERVER}/base/`));
    });
  }

  it('restore: a tar download reset midway once is resumed and the restore succeeds', async () => {
    proxy.setRules([
      {
        method: 'GET',
        path: tars,
        ranged: false,
        times: 1,
        action: { kind: 'reset', afterBytes: 512 * 1024 },
      },
    ]);
    const r = await pgdrRestore(s3Target(s3, `s3://${BUCKET}/dr`, SERVER, proxy.endpoint), [
      join(root, 'r-reset-once'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const resumed = proxy.requests.filter((q) => q.range !== undefined && tars.test(q.path));
    assert.equal(resumed.length, 1, JSON.stringify(proxy.requests.filter((q) => tars.test(q.path))));
    const [row] = await queryRestored<{ n: string }>(r.json!, 'SELECT count(*) AS n FROM t');
    assert.equal(Number(row!.n), 100);
  });

  it('restore: a tar download reset on every attempt ends after the bounded resumes', async () => {
    proxy.setRules([{ method: 'GET', path: tars, action: { kind: 'reset', afterBytes: 64 * 1024 } }]);
    const r = await pgdr(['restore', join(root, 'r-reset-always'), '--config', primary.cfg]);
    assert.equal(r.code, 10, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `GetObject on s3://${BUCKET}/dr/${SERVER}/base/.*failed \\(ECONNRESET\\); the download broke off at byte \\d+ of \\d+, after resuming it 5 times \\(at most 5\\)`,
      ),
    );
  });
});
