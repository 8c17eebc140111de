// `pgdr wal verify` on real buckets in s3rver: the WAL pgdr archived from a PostgreSQL 17 (a record longer
// than a segment included), the timeline 2 WAL of a standby promoted from it (a first segment holding pages of
// both timelines, the history file), and the WAL the real barman-cloud-wal-archive archived from a
// PostgreSQL 15. Each passes; after one byte is flipped in one object, verify exits 51 naming it.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compressBuffer, decompressBuffer } from '../../src/compression/codecs.js';
import { stripCompressionSuffix } from '../../src/compression/suffixes.js';
import type { WalVerifyReport } from '../../src/engine/wal-verify/report.js';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { buildBarmanBucket, switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'walverify';
const SERVER = 'prim';
/** Where archivingPrimary's destination path puts its servers in the bucket. */
const PREFIX = 'dr';

describe('pgdr wal verify on buckets written by pgdr and barman-cloud (s3rver)', () => {
  let s3: S3rverHandle;
  let root: string;
  let cfg: string;
  let primary: TestPostgres;
  let env: NodeJS.ProcessEnv;
  let standby: { pgCtl: string; pgdata: string; connectionString: string } | undefined;

  const pgdr = (args: string[]) => runPgdr([...args, '--config', cfg], { env, timeoutMs: 300_000 });
  const verifyJson = async (args: string[], code: number) => {
    const r = await pgdr(['wal', 'verify', '--format', 'json', ...args]);
    assert.equal(r.code, code, `${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as WalVerifyReport;
  };
  /** Flips one byte inside the first WAL record of a segment object (its CRC field), in place. */
  const flipFirstRecord = async (key: string) => {
    const store = bucketStore(s3, BUCKET);
    try {
      const { compression } = stripCompressionSuffix(key);
      const wal = await decompressBuffer(compression, await store.getBuffer(key));
      assert.equal(wal.readUInt16LE(2) & 1, 0, 'the first record starts after the long header');
      wal[60] = wal[60]! ^ 0x01;
      await store.put(key, await compressBuffer(compression, wal));
    } finally {
      await store.close();
    }
  };
  const segmentKeys = async (prefix: string) => {
    const store = bucketStore(s3, BUCKET);
    try {
      return (await store.list(prefix)).objects
        .map((o) => o.key)
        .filter((k) => /\/[0-9A-F]{24}(\.partial)?(\.\w+)?$/.test(k));
    } finally {
      await store.close();
    }
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-walverify-'));
    await fsp.chmod(root, 0o755);
    env = { XDG_STATE_HOME: join(root, 'state') };
    ({ primary, cfg } = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER }));
  });
  after(async () => {
    if (standby) await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('passes the WAL pgdr archived (PostgreSQL 17), and timeline 2 of a promoted standby', async () => {
    // A streaming standby: promoted in the middle of a segment, so timeline 2 starts inside a segment that
    // holds timeline 1 pages, and timeline 1 ends with a .partial.
    const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres`;
    const r = await pgdr([
      'replica',
      'create',
      join(root, 'standby'),
      '--primary-conninfo',
      conninfo,
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    standby = JSON.parse(r.stdout);
    await primary.query("SELECT pg_logical_emit_message(false, 'pgdr', repeat('x', 40000000))");
    await primary.query('INSERT INTO t SELECT generate_series(101, 200)');
    await switchWalAndWait(primary);
    await until('the standby to replay the new rows', async () =>
      Number((await q<{ n: string }>(standby!.connectionString, 'SELECT count(*) AS n FROM t'))[0]!.n) === 200
        ? true
        : undefined,
    );
    const ok = await verifyJson([], 0);
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.postgresMajor, 17);
    const [t1] = ok.timelines;
    assert.ok(t1 && t1.segments >= 4 && t1.records > 1000 && t1.backupLabels >= 1, JSON.stringify(t1));
    const text = await pgdr(['wal', 'verify']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /OK: every WAL object is intact/);

    await primary.query('INSERT INTO t SELECT generate_series(201, 300)');
    await until('the standby to stream the rows', async () =>
      Number((await q<{ n: string }>(standby!.connectionString, 'SELECT count(*) AS n FROM t'))[0]!.n) === 300
        ? true
        : undefined,
    );
    const p = await pgdr(['replica', 'promote', join(root, 'standby'), '--yes', '--format', 'json']);
    assert.equal(p.code, 0, p.stderr);
    const { newServerName } = JSON.parse(p.stdout) as { newServerName: string };
    await q(standby!.connectionString, 'INSERT INTO t SELECT generate_series(1000, 1100)');
    await q(standby!.connectionString, 'SELECT pg_switch_wal()');
    await until('a timeline 2 segment and the timeline 1 .partial in the archive', async () => {
      const keys = await segmentKeys(`${PREFIX}/${newServerName}/wals/`);
      return keys.some((k) => k.includes('/00000002')) && keys.some((k) => k.includes('.partial'))
        ? true
        : undefined;
    });
    const tl2 = await verifyJson(['--server-name', newServerName], 0);
    console.log('DEBUG', JSON.stringify(tl2), JSON.stringify(ok.timelines));
    assert.deepEqual(tl2.failures, []);
    const t2 = tl2.timelines.find((t) => t.timeline === 2);
    assert.ok(
      t2 && t2.segments >= 1 && t2.historyFiles === 1 && t2.records > 0,
      JSON.stringify(tl2.timelines),
    );
    assert.deepEqual((await verifyJson(['--server-name', newServerName, '--timeline', '2'], 0)).failures, []);
  });

  it('fails (51) once a byte is flipped in one object, naming it and the LSN', async () => {
    const keys = await segmentKeys(`${PREFIX}/${SERVER}/wals/`);
    const store = bucketStore(s3, BUCKET);
    let key: string | undefined;
    try {
      // A segment starting with a record of its own, not with the continuation of one.
      for (const k of keys) {
        const wal = await decompressBuffer(stripCompressionSuffix(k).compression, await store.getBuffer(k));
        if ((wal.readUInt16LE(2) & 1) === 0) key = k;
      }
    } finally {
      await store.close();
    }
    assert.ok(key, keys.join('\n'));
    await flipFirstRecord(key);
    const bad = await verifyJson([], 51);
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.failures.map((f) => [`${PREFIX}/${f.key}`, f.offset]),
      [[key, 40]],
    );
    assert.match(bad.failures[0]!.message, /fails its CRC/);
    const text = await pgdr(['wal', 'verify']);
    assert.equal(text.code, 51);
    assert.ok(
      text.stdout.includes(
        `${key.slice(PREFIX.length + 1)} at LSN ${bad.failures[0]!.lsn} (offset 40): record of`,
      ),
      text.stdout,
    );
  });

  it('passes WAL archived by barman-cloud-wal-archive from PostgreSQL 15, and fails (51) after a flip', async () => {
    const bucket = await buildBarmanBucket({
      major: 15,
      s3,
      bucket: BUCKET,
      prefix: 'barman',
      serverName: 'pg15',
      backups: 1,
    });
    const args = [
      'wal',
      'verify',
      '--format',
      'json',
      ...s3Args({ endpoint: s3.endpoint, destination: bucket.destination, serverName: 'pg15' }),
    ];
    const run = () => runPgdr(args, { env: s3Env(s3) });
    const good = await run();
    assert.equal(good.code, 0, `${good.stdout}\n${good.stderr}`);
    const report = JSON.parse(good.stdout) as WalVerifyReport;
    assert.equal(report.postgresMajor, 15);
    assert.equal(report.systemIdentifier, bucket.systemId);
    assert.ok((report.timelines[0]?.records ?? 0) > 1000);

    const keys = await segmentKeys('barman/pg15/wals/');
    const key = keys.at(-1)!;
    await flipFirstRecord(key);
    const bad = await run();
    assert.equal(bad.code, 51, bad.stderr);
    const failed = JSON.parse(bad.stdout) as WalVerifyReport;
    assert.deepEqual(
      failed.failures.map((f) => `barman/${f.key}`),
      [key],
    );
  });

  it('answers in JSON when it cannot run (a timeline without WAL: exit 1)', async () => {
    const r = await pgdr(['wal', 'verify', '--timeline', '9', '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { error: { code: number; name: string; message: string } };
    assert.equal(out.error.code, 1);
    assert.equal(out.error.name, 'NOT_FOUND');
    assert.match(out.error.message, /timeline 9 has no WAL/);
  });
});
