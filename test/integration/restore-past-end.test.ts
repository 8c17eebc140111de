// Failures only replay can find: a transaction id or a restore point name that the archived WAL does not hold,
// and WAL that is there but unreadable. PostgreSQL stops; pgdr must report a failed recovery with a hint, never
// a restore that reached its target, and never wait forever.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ERRORS } from '../../src/errors.js';
import { type BarmanBucket, buildBarmanBucket } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix } from '../helpers/bucket-copy.js';
import { pgdrRestore, s3Target, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pastend';

describe('pgdr restore: an xid or restore point beyond the archived WAL', () => {
  let s3: S3rverHandle;
  let bucket: BarmanBucket;
  let root: string;
  const target = (serverName = 'pg17') => s3Target(s3, bucket.destination, serverName);
  const newDir = async () => {
    const parent = await fsp.mkdtemp(join(root, 'r-'));
    await fsp.chmod(parent, 0o755);
    return join(parent, 'data');
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-pastend-'));
    await fsp.chmod(root, 0o755);
    bucket = await buildBarmanBucket({ major: 17, s3, bucket: BUCKET, prefix: 'p', serverName: 'pg17' });
  });

  after(async () => {
    await stopAllRestored();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  for (const [flag, value] of [
    ['--target-xid', '4000000000'],
    ['--target-name', 'never-created'],
  ] as const) {
    it(`${flag} ${value}: RECOVERY_FAILED naming why, not a success`, async () => {
      const dir = await newDir();
      const r = await pgdrRestore(target(), [dir, flag, value]);
      assert.equal(r.code, ERRORS.RECOVERY_FAILED.exitCode, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /recovery ended before configured recovery target was reached/);
      assert.match(r.stderr, /hint: .*not in the archived WAL/);
    });
  }

  it('latest, with the WAL unreadable from the backup start on: RECOVERY_FAILED, not a standby waiting forever', {
    timeout: 180_000,
  }, async () => {
    // The plan only sees that every segment is there. Replay cannot read the checkpoint record, which is
    // where a standby (restore.ts asks for latest as a standby that promotes) would retry for ever, had pgdr
    // asked for the promotion through pg_ctl promote: that refuses before the checkpoint record is read.
    await copyPrefix(s3, BUCKET, 'p/pg17', 'p/garbled');
    const store = bucketStore(s3, BUCKET);
    try {
      const { objects } = await store.list('p/garbled/wals/');
      const segs = objects.filter((o) => /\/[0-9A-F]{24}\.gz$/.test(o.key));
      assert.ok(segs.length > 0);
      const garbage = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x5a));
      for (const o of segs) await store.put(o.key, garbage);
    } finally {
      await store.close();
    }
    const r = await pgdrRestore(target('garbled'), [await newDir()]);
    assert.equal(r.code, ERRORS.RECOVERY_FAILED.exitCode, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /checkpoint record/);
  });
});
