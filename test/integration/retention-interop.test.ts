// Acceptance of retention: on copies of one bucket written by the real barman-cloud 3.4 tools, pgdr and
// barman-cloud-backup-delete agree on what a policy deletes (dry run, object by object) and leave the same keys.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { barmanCloud, barmanCloudOk } from '../helpers/barman.js';
import { type BarmanBackupJson, buildBarmanBucket, listBarmanBackups } from '../helpers/barman-bucket.js';
import { copyPrefix, keysUnder, putGzip, rewriteBackupInfo } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { barmanDryRun, pgdrDryRun } from '../helpers/retention-dry-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'retention';
const SERVER = 'pg';
const DAY = 86_400_000;
// End times rewritten to these ages (days) for backups 1..3; the 4th stays as taken (now).
const AGES = [50, 35, 20];

describe('retention on a bucket written by barman-cloud', () => {
  let s3: S3rverHandle;
  let backups: BarmanBackupJson[];
  let copies = 0;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    const built = await buildBarmanBucket({
      major: 17,
      s3,
      bucket: BUCKET,
      prefix: 'src',
      serverName: SERVER,
      backups: 4,
    });
    assert.equal(built.backupIds.length, 4);
    for (const [i, age] of AGES.entries()) {
      const end = new Date(Date.now() - age * DAY).toISOString().replace('T', ' ').replace('Z', '000+00:00');
      await rewriteBackupInfo(
        s3,
        BUCKET,
        `src/${SERVER}/base/${built.backupIds[i]}/backup.info`,
        'end_time',
        end,
      );
    }
    // Sorts before every segment of timeline 1: deleted unless .history files are exempt, as they must be.
    await putGzip(s3, BUCKET, `src/${SERVER}/wals/00000001.history.gz`, '');
    backups = await listBarmanBackups({ s3, destination: `s3://${BUCKET}/src`, serverName: SERVER });
  });
  after(async () => s3?.stop());

  const dest = (prefix: string) => `s3://${BUCKET}/${prefix}`;
  const pgdr = (prefix: string, args: string[]) =>
    runPgdr([...args, ...s3Args({ endpoint: s3.endpoint, destination: dest(prefix), serverName: SERVER })], {
      env: s3Env(s3),
    });
  const ids = () => backups.map((b) => b.backup_id);

  /** Two identical copies of the source: one for barman, one for pgdr. */
  async function twoCopies(): Promise<[string, string]> {
    copies++;
    const pair: [string, string] = [`c${copies}-barman`, `c${copies}-pgdr`];
    for (const p of pair) await copyPrefix(s3, BUCKET, 'src', p);
    return pair;
  }

  /** Dry runs agree and delete nothing; then real runs leave the same keys. Returns the remaining keys. */
  async function compare(
    barmanArgs: string[],
    pgdrArgs: string[],
    pair: [string, string],
    /** The backups barman's dry run must name (so an empty parse cannot pass). */
    deletes: string[],
  ): Promise<string[]> {
    const [b, p] = pair;
    const before = await keysUnder(s3, BUCKET, p);
    const theirs = await barmanCloudOk('backup-delete', ['--dry-run', ...barmanArgs, dest(b), SERVER], s3);
    const ours = await pgdr(p, [...pgdrArgs, '--dry-run', '--format', 'json']);
    assert.equal(ours.code, 0, ours.stderr);
    const expected = barmanDryRun(theirs.stdout, b);
    assert.deepEqual(expected.backups, deletes, theirs.stdout);
    assert.deepEqual(pgdrDryRun(ours.stdout), expected);
    assert.deepEqual(await keysUnder(s3, BUCKET, p), before, 'a dry run deleted something');
    assert.deepEqual(await keysUnder(s3, BUCKET, b), before, 'a barman dry run deleted something');

    await barmanCloudOk('backup-delete', [...barmanArgs, dest(b), SERVER], s3);
    const real = await pgdr(p, pgdrArgs);
    assert.equal(real.code, 0, real.stderr);
    const left = await keysUnder(s3, BUCKET, p);
    assert.deepEqual(left, await keysUnder(s3, BUCKET, b));
    for (const k of [...expected.backupObjects, ...expected.wal])
      assert.ok(!left.includes(k), `${k} is still there`);
    return left;
  }

  /** The remaining backups, and no WAL before the oldest one's begin_wal on its timeline; .history stays. */
  function checkRemaining(left: string[], remaining: string[]): void {
    const inBucket = left.flatMap((k) => /^pg\/base\/(\d{8}T\d{6})\/backup\.info$/.exec(k)?.[1] ?? []);
    assert.deepEqual(inBucket, remaining);
    const oldest = backups.find((b) => b.backup_id === remaining[0])!;
    const segs = left.flatMap((k) => /^pg\/wals\/[0-9A-F]{16}\/([0-9A-F]{24})/.exec(k)?.[1] ?? []);
    assert.ok(segs.length > 0);
    const tli = oldest.begin_wal.slice(0, 8);
    assert.deepEqual(
      segs.filter((s) => s.startsWith(tli) && s < oldest.begin_wal),
      [],
    );
    assert.ok(segs.includes(oldest.begin_wal), `${oldest.begin_wal} is gone`);
    assert.ok(left.includes('pg/wals/00000001.history.gz'));
  }

  it('REDUNDANCY 2: same backups and WAL deleted as barman-cloud-backup-delete', async () => {
    const table = await pgdr('src', ['retention', 'apply', '--policy', 'REDUNDANCY 2', '--dry-run']);
    assert.equal(table.code, 0, table.stderr);
    for (const id of ids().slice(0, 2))
      assert.match(table.stdout, new RegExp(`^Would delete backup ${id} \\(DONE\\): \\d+ objects`, 'm'));
    assert.match(
      table.stdout,
      /^Would delete \d+ WAL objects, [\d.]+ [KM]?i?B \(WAL before the begin_wal of /m,
    );
    assert.match(
      table.stdout,
      /^Total: would delete 2 backup\(s\), \d+ object\(s\), .*\nDry run: nothing was deleted\.$/m,
    );
    const left = await compare(
      ['-r', 'REDUNDANCY 2'],
      ['retention', 'apply', '--policy', 'REDUNDANCY 2'],
      await twoCopies(),
      ids().slice(0, 2),
    );
    checkRemaining(left, ids().slice(2));
  });

  it('RECOVERY WINDOW (1m = 31 days): the first backup before the window stays', async () => {
    const pair = await twoCopies();
    const left = await compare(
      ['-r', 'RECOVERY WINDOW OF 1 MONTHS'],
      ['retention', 'apply', '--policy', '1m'],
      pair,
      ids().slice(0, 1),
    );
    // Ages 50, 35, 20, 0 days: the 35-day-old backup reaches 31 days back, the 50-day-old one goes.
    checkRemaining(left, ids().slice(1));
  });

  it('a keep written by pgdr is read by barman and the other way round; both respect it alike', async () => {
    const pair = await twoCopies();
    const [b, p] = pair;
    // The oldest backup kept standalone (pgdr writes it in both copies), the second kept full by barman.
    for (const prefix of pair) {
      const k = await pgdr(prefix, ['backup', 'keep', ids()[0]!, '--target', 'standalone']);
      assert.equal(k.code, 0, k.stderr);
    }
    const status = await barmanCloudOk('backup-keep', ['--status', dest(b), SERVER, ids()[0]!], s3);
    assert.equal(status.stdout.trim(), 'Keep: standalone');
    await barmanCloudOk('backup-keep', ['--target', 'full', dest(b), SERVER, ids()[1]!], s3);
    const ours = await pgdr(b, ['backup', 'keep', ids()[1]!, '--status']);
    assert.equal(ours.stdout.trim(), 'Keep: full');
    const listed = await pgdr(b, ['backup', 'list']);
    assert.match(listed.stdout, new RegExp(`^${ids()[1]}\\s.*KEEP:FULL`, 'm'));
    // Released again: the copies must be identical before the comparison.
    await barmanCloudOk('backup-keep', ['--release', dest(b), SERVER, ids()[1]!], s3);
    assert.equal((await pgdr(b, ['backup', 'keep', ids()[1]!, '--status'])).stdout.trim(), 'Keep: nokeep');

    // REDUNDANCY 1 deletes backups 2 and 3; the standalone backup keeps its own WAL range only.
    const left = await compare(
      ['-r', 'REDUNDANCY 1'],
      ['retention', 'apply', '--policy', 'REDUNDANCY 1'],
      pair,
      ids().slice(1, 3),
    );
    const inBucket = left.flatMap((k) => /^pg\/base\/(\d{8}T\d{6})\/backup\.info$/.exec(k)?.[1] ?? []);
    assert.deepEqual(inBucket, [ids()[0], ids()[3]]);
    const first = backups[0]!;
    assert.ok(left.some((k) => k.includes(first.begin_wal)));
    assert.ok(left.some((k) => k.includes(first.end_wal)));

    // A kept backup cannot be deleted by ID: the hint says how to release it.
    const refused = await pgdr(p, ['backup', 'delete', ids()[0]!]);
    assert.equal(refused.code, 23, refused.stderr);
    assert.match(refused.stderr, new RegExp(`hint: .*pgdr backup keep ${ids()[0]} --release`));
  });

  it('backup delete ID: same objects as barman-cloud-backup-delete -b, oldest and middle backups', async () => {
    const pair = await twoCopies();
    // The second backup first: an older DONE backup still needs all WAL, so none goes.
    const left = await compare(['-b', ids()[1]!], ['backup', 'delete', ids()[1]!], pair, [ids()[1]!]);
    assert.equal(
      left.filter((k) => k.includes('/wals/')).length,
      (await keysUnder(s3, BUCKET, 'src')).filter((k) => k.includes('/wals/')).length,
    );
    const left2 = await compare(['-b', ids()[0]!], ['backup', 'delete', 'oldest'], pair, [ids()[0]!]);
    checkRemaining(left2, ids().slice(2));
  });

  it('both refuse to delete anything while a backup.info cannot be read', async () => {
    const pair = await twoCopies();
    for (const prefix of pair)
      await rewriteBackupInfo(
        s3,
        BUCKET,
        `${prefix}/${SERVER}/base/${ids()[2]}/backup.info`,
        'end_time',
        'garbage',
      );
    const theirs = await barmanCloud('backup-delete', ['-r', 'REDUNDANCY 1', dest(pair[0]), SERVER], s3);
    assert.notEqual(theirs.code, 0);
    const before = await keysUnder(s3, BUCKET, pair[1]);
    const ours = await pgdr(pair[1], ['retention', 'apply', '--policy', 'REDUNDANCY 1']);
    assert.equal(ours.code, 15, ours.stderr);
    assert.match(ours.stderr, new RegExp(ids()[2]!));
    assert.deepEqual(await keysUnder(s3, BUCKET, pair[1]), before);
    assert.deepEqual(await keysUnder(s3, BUCKET, pair[0]), before);
  });

  it('a malformed policy is refused with the accepted forms', async () => {
    const r = await pgdr('src', ['retention', 'apply', '--policy', '14 days']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^pgdr: error: --policy: invalid retention policy '14 days'\nhint: accepted forms: '14d'/,
    );
  });
});
