// The restore's tar extractor against tars written by Python's tarfile in PAX format (what barman-cloud-backup
// writes), compressed with every codec barman uses for tars, and against hostile member names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { compressBuffer, decompressStream } from '../../src/compression/codecs.js';
import { TarExtractor } from '../../src/engine/restore/tar-extract.js';
import { isPgdrError } from '../../src/errors.js';

const PY = '/usr/bin/python3';

function pythonTar(script: string, mode: string): Buffer {
  const py = [
    'import sys, tarfile, io, time',
    `t = tarfile.open(fileobj=sys.stdout.buffer, mode="${mode}", format=tarfile.PAX_FORMAT)`,
    'def add(name, data=None, type=tarfile.REGTYPE, mode=0o600, link=""):',
    '    i = tarfile.TarInfo(name); i.type = type; i.mode = mode; i.linkname = link; i.mtime = 1700000000',
    '    if data is not None: i.size = len(data)',
    '    t.addfile(i, io.BytesIO(data) if data is not None else None)',
    script,
    't.close()',
  ].join('\n');
  const r = spawnSync(PY, ['-c', py], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

const SAMPLE = [
  'add(".", type=tarfile.DIRTYPE, mode=0o700)',
  'add("./PG_VERSION", b"17\\n")',
  'add("base", type=tarfile.DIRTYPE, mode=0o700)',
  'add("base/1", type=tarfile.DIRTYPE, mode=0o700)',
  'add("base/1/1259", bytes(range(256)) * 4100)',
  `add("base/1/" + "x" * 150, b"long name")`,
  'add("café", b"\\xc3\\xa9")',
  'add("empty", b"")',
  'add("pg_wal", type=tarfile.DIRTYPE, mode=0o700)',
  'add("pg_tblspc", type=tarfile.DIRTYPE, mode=0o700)',
  'add("pg_tblspc/16385", type=tarfile.SYMTYPE, link="/srv/ts16385", mode=0o777)',
  'add("hard", type=tarfile.LNKTYPE, link="./PG_VERSION")',
  'add("backup_label", b"START WAL LOCATION: 0/2000028\\n", mode=0o640)',
].join('\n');

async function extract(
  tar: Buffer,
  dest: string,
  codec?: 'gzip' | 'bzip2' | 'snappy',
): Promise<TarExtractor> {
  const ex = new TarExtractor(dest);
  // Small chunks cross every header and data boundary.
  const chunks = Array.from({ length: Math.ceil(tar.length / 777) }, (_, i) =>
    tar.subarray(i * 777, (i + 1) * 777),
  );
  if (codec === undefined) await pipeline(Readable.from(chunks), ex);
  else await pipeline(Readable.from(chunks), decompressStream(codec), ex);
  return ex;
}

describe('restore tar extractor', () => {
  let root: string;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-untar-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  const plain = () => pythonTar(SAMPLE, 'w|');
  const cases: Array<[string, () => Promise<Buffer>, 'gzip' | 'bzip2' | 'snappy' | undefined]> = [
    ['none', async () => plain(), undefined],
    ['gzip (tarfile w|gz)', async () => pythonTar(SAMPLE, 'w|gz'), 'gzip'],
    ['bzip2 (tarfile w|bz2)', async () => pythonTar(SAMPLE, 'w|bz2'), 'bzip2'],
    ['snappy framing', async () => compressBuffer('snappy', plain()), 'snappy'],
  ];
  for (const [label, make, codec] of cases) {
    it(`extracts a PAX tar, ${label}`, async () => {
      const dest = join(root, label.split(' ')[0]!);
      await fsp.mkdir(dest);
      const ex = await extract(await make(), dest, codec);
      assert.equal(await fsp.readFile(join(dest, 'PG_VERSION'), 'utf8'), '17\n');
      const big = await fsp.readFile(join(dest, 'base/1/1259'));
      assert.equal(big.length, 256 * 4100);
      assert.equal(big[257], 1);
      assert.equal(await fsp.readFile(join(dest, 'base/1', 'x'.repeat(150)), 'utf8'), 'long name');
      assert.equal(await fsp.readFile(join(dest, 'café'), 'utf8'), 'é');
      assert.equal((await fsp.stat(join(dest, 'empty'))).size, 0);
      // The restore makes tablespace links itself (download.ts): the tar's link is recorded, not created.
      await assert.rejects(fsp.lstat(join(dest, 'pg_tblspc/16385')), { code: 'ENOENT' });
      assert.deepEqual([...ex.skippedLinks], [['pg_tblspc/16385', '/srv/ts16385']]);
      assert.equal((await fsp.stat(join(dest, 'hard'))).ino, (await fsp.stat(join(dest, 'PG_VERSION'))).ino);
      assert.equal((await fsp.stat(join(dest, 'backup_label'))).mode & 0o777, 0o640);
      assert.equal((await fsp.stat(join(dest, 'base'))).mode & 0o777, 0o700);
      assert.equal((await fsp.stat(join(dest, 'PG_VERSION'))).mtime.getTime(), 1700000000 * 1000);
      assert.ok((await fsp.stat(join(dest, 'pg_wal'))).isDirectory());
      assert.equal(ex.extracted.files, 6);
    });
  }

  for (const [label, script] of [
    ['..', 'add("../evil", b"x")'],
    ['absolute', 'add("/tmp/pgdr-evil", b"x")'],
    ['through a symlink', 'add("out", type=tarfile.SYMTYPE, link="/tmp")\nadd("out/pgdr-evil", b"x")'],
  ] as const) {
    it(`refuses a member path ${label}`, async () => {
      const dest = join(root, `evil-${label.replace(/\W/g, '')}`);
      await fsp.mkdir(dest);
      await assert.rejects(extract(pythonTar(script, 'w|'), dest), (e) => isPgdrError(e, 'CATALOG_INVALID'));
      await assert.rejects(fsp.stat('/tmp/pgdr-evil'), { code: 'ENOENT' });
      await assert.rejects(fsp.stat(join(root, 'evil')), { code: 'ENOENT' });
    });
  }

  it('refuses a truncated tar', async () => {
    const dest = join(root, 'cut');
    await fsp.mkdir(dest);
    const tar = plain();
    await assert.rejects(extract(tar.subarray(0, 5000), dest), (e) => isPgdrError(e, 'CATALOG_INVALID'));
  });
});
