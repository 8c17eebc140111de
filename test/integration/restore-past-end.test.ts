// Targets that can only be found by replaying: a transaction id or a restore point name that the archived WAL
// does not hold. PostgreSQL replays everything and stops; pgdr must report that as a failed recovery with a
// hint, never as a restore that reached its target.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ERRORS } from '../../src/errors.js';
import { type BarmanBucket, buildBarmanBucket } from '../helpers/barman-bucket.js';
import { pgdrRestore, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'pastend';

describe('pgdr restore: an xid or restore point beyond the archived WAL', () => {
  let s3: S3rverHandle;
  let bucket: BarmanBucket;
  let root: string;
  const target = () => ({
    endpoint: s3.endpoint,
    destination: bucket.destination,
    serverName: 'pg17',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
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
});
