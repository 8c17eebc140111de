// WAL archive/restore interop with the real barman-cloud 3.4 tools on s3rver, with real segments from a
// PostgreSQL 17: byte-identical both ways for every compression barman 3.4 has (none, gzip, bzip2, snappy);
// for xz, zstd and lz4, which barman 3.4 lacks, the Python modules newer barman uses are the oracle.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPRESSIONS, type Compression, walSuffix } from '../../src/compression/suffixes.js';
import { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { barmanCloud } from '../helpers/barman.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { PYTHON_MODULE, pythonCodec, SNAPPY_FIX } from '../helpers/python-codecs.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { generateWalSegments, type WalSegments } from '../helpers/wal-segments.js';

const BUCKET = 'walbucket';
const DEST = `s3://${BUCKET}/wal`;
const BARMAN_34: readonly Compression[] = ['none', 'gzip', 'bzip2', 'snappy'];
const BARMAN_FLAG: Record<string, string[]> = {
  none: [],
  gzip: ['--gzip'],
  bzip2: ['--bzip2'],
  snappy: ['--snappy'],
};

// Debian's python3-snappy cannot checksum on Python 3.11; barman's own code runs, with a pure-Python CRC.
process.env.PYTHONPATH = SNAPPY_FIX;

describe('WAL interop with barman-cloud-wal-archive / -restore 3.4', () => {
  let s3: S3rverHandle;
  let segs: WalSegments;
  let work: string;
  let store: S3ObjectStore;
  before(async () => {
    [s3, segs] = await Promise.all([startS3rver({ buckets: [BUCKET] }), generateWalSegments({ count: 3 })]);
    work = await mkdtemp(join(tmpdir(), 'pgdr-walint-'));
    store = S3ObjectStore.fromConfig({
      destinationPath: DEST,
      endpointURL: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      wal: { compression: 'gzip', maxParallel: 1 },
      data: { compression: 'gzip', jobs: 1, immediateCheckpoint: false },
    });
  });
  after(async () => {
    await store?.close();
    await s3?.stop();
    await segs?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const pgdr = (server: string, args: string[]) =>
    runPgdr([...args, ...s3Args({ endpoint: s3.endpoint, destination: DEST, serverName: server })], {
      env: s3Env(s3),
    });
  const seg = (i: number) => join(segs.dir, segs.names[i]!);
  const key = (server: string, name: string, c: Compression) =>
    `${server}/wals/${name.slice(0, 16)}/${name}${walSuffix(c)}`;

  for (const c of COMPRESSIONS) {
    const barmanReads = BARMAN_34.includes(c);
    const reader = barmanReads
      ? 'barman-cloud-wal-restore'
      : `pgdr wal restore and Python ${PYTHON_MODULE[c as 'xz']}`;
    it(`${c}: pgdr wal archive → ${reader}, byte-identical${barmanReads ? '' : ' (barman-cloud 3.4 has no ' + c + ')'}`, async () => {
      const server = `pgdr-${c}`;
      for (let i = 0; i < segs.names.length; i++) {
        const r = await pgdr(server, ['wal', 'archive', '--compression', c, seg(i)]);
        assert.equal(r.code, 0, r.stderr);
      }
      for (const name of segs.names) {
        const original = await readFile(join(segs.dir, name));
        const stored = await store.getBuffer(key(server, name, c));
        if (c !== 'none') assert.ok(stored.length < original.length);
        const out = join(work, `${server}-${name}`);
        if (barmanReads) {
          const r = await barmanCloud('wal-restore', [DEST, server, name, out], s3);
          assert.equal(r.code, 0, r.stderr);
        } else {
          assert.ok(
            pythonCodec('decompress', c as 'xz', stored).equals(original),
            `${PYTHON_MODULE[c as 'xz']} disagrees`,
          );
          const r = await pgdr(server, ['wal', 'restore', name, out]);
          assert.equal(r.code, 0, r.stderr);
        }
        assert.ok((await readFile(out)).equals(original), `${name} differs after the round trip`);
      }
    });

    const writer = barmanReads
      ? 'barman-cloud-wal-archive'
      : `Python ${PYTHON_MODULE[c as 'xz']} (barman-cloud 3.4 has no --${c})`;
    it(`${c}: ${writer} → pgdr wal restore, byte-identical`, async () => {
      const server = `barman-${c}`;
      for (let i = 0; i < segs.names.length; i++) {
        if (barmanReads) {
          const r = await barmanCloud('wal-archive', [...BARMAN_FLAG[c]!, DEST, server, seg(i)], s3);
          assert.equal(r.code, 0, r.stderr);
        } else {
          const body = pythonCodec('compress', c as 'xz', await readFile(seg(i)));
          await store.put(key(server, segs.names[i]!, c), body);
        }
      }
      for (const name of segs.names) {
        await store.head(key(server, name, c)).then((h) => assert.ok(h, `expected ${key(server, name, c)}`));
        const out = join(work, `${server}-${name}`);
        const r = await pgdr(server, ['wal', 'restore', name, out]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok((await readFile(out)).equals(await readFile(join(segs.dir, name))));
      }
    });
  }

  it('same name, different content: CONFLICT naming the key, stored object unchanged (any suffix)', async () => {
    const server = 'conflict';
    const name = segs.names[0]!;
    assert.equal((await barmanCloud('wal-archive', ['--bzip2', DEST, server, seg(0)], s3)).code, 0);
    const before = await store.getBuffer(key(server, name, 'bzip2'));
    // Same content under another compression: success, and no second copy.
    const same = await pgdr(server, ['wal', 'archive', '--compression', 'gzip', seg(0)]);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(await store.head(key(server, name, 'gzip')), undefined);
    const changed = join(work, name);
    const bytes = await readFile(seg(0));
    bytes[1000] = bytes[1000]! ^ 0xff;
    await writeFile(changed, bytes);
    for (const c of ['gzip', 'bzip2', 'none'] as const) {
      const r = await pgdr(server, ['wal', 'archive', '--compression', c, changed]);
      assert.equal(r.code, 20, r.stderr);
      assert.match(r.stderr, new RegExp(`${key(server, name, 'bzip2')}.*different content`));
    }
    assert.ok((await store.getBuffer(key(server, name, 'bzip2'))).equals(before));
    assert.equal(await store.head(key(server, name, 'gzip')), undefined);
    assert.equal(await store.head(key(server, name, 'none')), undefined);
  });

  it('.history files are never overwritten; re-archiving the same one succeeds', async () => {
    const server = 'history';
    const file = join(work, '00000002.history');
    await writeFile(file, '1\t0/3000000\tno recovery target specified\n');
    for (let i = 0; i < 2; i++) assert.equal((await pgdr(server, ['wal', 'archive', file])).code, 0);
    await writeFile(file, '1\t0/4000000\tno recovery target specified\n');
    const r = await pgdr(server, ['wal', 'archive', file]);
    assert.equal(r.code, 20, r.stderr);
    const stored = await store.getBuffer(`${server}/wals/00000002.history.gz`);
    assert.match(pythonCodec('decompress', 'gzip', stored).toString(), /0\/3000000/);
    const out = join(work, 'history-out');
    assert.equal((await barmanCloud('wal-restore', [DEST, server, '00000002.history', out], s3)).code, 0);
    assert.match(await readFile(out, 'utf8'), /0\/3000000/);
  });

  it('X.partial is served for X, as barman-cloud-wal-restore does', async () => {
    const server = 'partial';
    const name = segs.names[1]!;
    const partial = join(work, `${name}.partial`);
    await copyFile(seg(1), partial);
    assert.equal((await barmanCloud('wal-archive', ['--gzip', DEST, server, partial], s3)).code, 0);
    const ours = join(work, 'partial-pgdr');
    const r = await pgdr(server, ['wal', 'restore', name, ours]);
    assert.equal(r.code, 0, r.stderr);
    const theirs = join(work, 'partial-barman');
    assert.equal((await barmanCloud('wal-restore', [DEST, server, name, theirs], s3)).code, 0);
    assert.ok((await readFile(ours)).equals(await readFile(theirs)));
    assert.ok((await readFile(ours)).equals(await readFile(seg(1))));
    assert.equal((await pgdr(server, ['wal', 'restore', '--no-partial', name, ours])).code, 1);
  });

  it('not found exits 1 with one short line; invalid names exit 2', async () => {
    const r = await pgdr('pgdr-gzip', ['wal', 'restore', '0000000100000000000000FF', join(work, 'nf')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /does not exist/);
    assert.equal(
      (
        await barmanCloud(
          'wal-restore',
          [DEST, 'pgdr-gzip', '0000000100000000000000FF', join(work, 'nf')],
          s3,
        )
      ).code,
      1,
    );
    assert.equal((await pgdr('pgdr-gzip', ['wal', 'restore', 'RECOVERYXLOG', join(work, 'nf')])).code, 2);
    const bogus = join(work, 'not-a-wal');
    await writeFile(bogus, 'x');
    assert.equal((await pgdr('pgdr-gzip', ['wal', 'archive', bogus])).code, 2);
  });

  it('check-wal-archive agrees with barman-cloud-check-wal-archive', async () => {
    const cases: [string, string[], number, number][] = [
      ['never-used', [], 0, 0],
      ['pgdr-gzip', [], 22, 1],
      ['pgdr-gzip', ['--timeline', '1'], 22, 1],
      ['pgdr-gzip', ['--timeline', '2'], 0, 0],
      ['history', ['--timeline', '2'], 22, 1],
      ['history', ['--timeline', '3'], 0, 0],
    ];
    for (const [server, extra, ours, theirs] of cases) {
      const r = await pgdr(server, ['check-wal-archive', ...extra]);
      assert.equal(r.code, ours, `${server} ${extra}: ${r.stderr}`);
      if (ours) assert.match(r.stderr, /new serverName/);
      const b = await barmanCloud('check-wal-archive', [...extra, DEST, server], s3);
      assert.equal(b.code, theirs, `barman ${server} ${extra}: ${b.stderr}`);
    }
  });
});
