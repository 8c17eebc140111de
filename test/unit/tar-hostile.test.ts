// The restore's tar extractor against hostile and damaged tars: links that lead out of the target, truncation,
// malformed numbers, oversized metadata, special files and modes. Each case must fail with CATALOG_INVALID (and
// the member's name) and leave everything outside the target untouched.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { TarExtractor } from '../../src/engine/restore/tar-extract.js';
import { isPgdrError } from '../../src/errors.js';
import { MAX_META_BYTES } from '../../src/tar/reader.js';
import { type RawMember, tarOf } from '../helpers/hostile-tar.js';
import { treeHash } from '../helpers/tree-hash.js';

let root: string;
let outside: string;
let n = 0;

async function extract(tar: Buffer): Promise<{ dest: string; ex: TarExtractor }> {
  const dest = join(root, `t${n++}`);
  await fsp.mkdir(dest);
  const ex = new TarExtractor(dest);
  const chunks = Array.from({ length: Math.ceil(tar.length / 700) }, (_, i) =>
    tar.subarray(i * 700, (i + 1) * 700),
  );
  await pipeline(Readable.from(chunks), ex);
  return { dest, ex };
}

async function refused(members: RawMember[] | Buffer, message: RegExp): Promise<void> {
  const before = await treeHash(outside);
  const tar = Buffer.isBuffer(members) ? members : tarOf(members);
  await assert.rejects(extract(tar), (e) => {
    assert.ok(isPgdrError(e, 'CATALOG_INVALID'), `expected CATALOG_INVALID, got ${String(e)}`);
    assert.match((e as Error).message, message);
    return true;
  });
  assert.equal(await treeHash(outside), before, 'something outside the target changed');
}

describe('tar extraction of hostile archives', () => {
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-hostile-'));
    outside = join(root, 'outside');
    await fsp.mkdir(outside, { mode: 0o755 });
    await fsp.writeFile(join(outside, 'file'), 'precious');
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('refuses a symlink to an outside file followed by a file of the same name', async () => {
    await refused(
      [
        { name: 'evil', type: '2', linkname: join(outside, 'file') },
        { name: 'evil', data: 'overwritten' },
      ],
      /tar member 'evil' is a symbolic link/,
    );
  });

  it('never writes through a pg_wal link: the link is not created, its members land inside', async () => {
    const { dest, ex } = await extract(
      tarOf([
        { name: 'pg_wal', type: '2', linkname: outside },
        { name: 'pg_wal/file', data: 'inside' },
      ]),
    );
    assert.equal(await fsp.readFile(join(outside, 'file'), 'utf8'), 'precious');
    assert.ok((await fsp.lstat(join(dest, 'pg_wal'))).isDirectory());
    assert.equal(await fsp.readFile(join(dest, 'pg_wal/file'), 'utf8'), 'inside');
    assert.equal(ex.skippedLinks.get('pg_wal'), outside);
  });

  it('refuses a hard link to a symlink, and h/x after it', async () => {
    await refused(
      [
        { name: 'pg_wal', type: '2', linkname: outside },
        { name: 'h', type: '1', linkname: 'pg_wal' },
        { name: 'h/file', data: 'x' },
      ],
      /tar member 'h' is a hard link to 'pg_wal', which is not a regular file extracted before it/,
    );
  });

  it('refuses a hard link to a file outside the archive', async () => {
    await refused([{ name: 'h', type: '1', linkname: '../outside/file' }], /climbs out/);
    await refused([{ name: 'h', type: '1', linkname: join(outside, 'file') }], /absolute path/);
  });

  it('never chmods through a link: a directory entry after a symlink of the same name', async () => {
    await refused(
      [
        { name: 'd', type: '2', linkname: outside },
        { name: 'd', type: '5', mode: 0o777 },
      ],
      /tar member 'd' is a symbolic link/,
    );
    const { dest } = await extract(
      tarOf([
        { name: 'pg_tblspc/5', type: '2', linkname: outside },
        { name: 'pg_tblspc/5', type: '5', mode: 0o777 },
      ]),
    );
    assert.equal((await fsp.stat(outside)).mode & 0o777, 0o755);
    assert.equal((await fsp.lstat(join(dest, 'pg_tblspc/5'))).mode & 0o777, 0o777);
  });

  it('refuses a member that would replace one already extracted', async () => {
    await refused(
      [
        { name: 'a', data: 'one' },
        { name: 'a', data: 'two' },
      ],
      /tar member 'a' would replace an entry already extracted/,
    );
    await refused(
      [
        { name: 'a', data: 'one' },
        { name: 'a/b', data: 'two' },
      ],
      /needs folder 'a', but a non-folder is in the way/,
    );
  });

  it('refuses an empty tar and one cut at a member boundary or inside a member', async () => {
    await refused(Buffer.alloc(0), /the tar is empty/);
    const whole = tarOf([
      { name: 'PG_VERSION', data: '17\n' },
      { name: 'big', data: Buffer.alloc(5000, 7) },
    ]);
    await refused(
      whole.subarray(0, 1024),
      /ends without its end-of-archive blocks after member 'PG_VERSION'/,
    );
    await refused(whole.subarray(0, 1024 + 512 + 1000), /ends inside member 'big'/);
    await refused(
      whole.subarray(0, whole.length - 512),
      /ends without its end-of-archive blocks after member 'big'/,
    );
    // A lone zero block, then more members.
    await refused(
      Buffer.concat([
        tarOf([{ name: 'a', data: 'x' }], { end: false }),
        Buffer.alloc(512),
        tarOf([{ name: 'b' }]),
      ]),
      /lone zero block follows member 'a'/,
    );
  });

  it('refuses non-numeric and negative sizes promptly', async () => {
    await refused(
      [{ name: 'a', data: 'x', pax: { size: 'abc' } }],
      /PAX size 'abc' is not a non-negative integer/,
    );
    await refused([{ name: 'a', data: 'x', pax: { size: '-1' } }], /PAX size/);
    await refused([{ name: 'a', data: 'x', pax: { size: '1e3' } }], /PAX size/);
    await refused([{ name: 'a', data: 'x', pax: { mtime: 'soon' } }], /PAX mtime/);
    await refused(
      [{ name: 'a', data: 'x', size: '0000000009z\u0000' }],
      /tar header size '0000000009z' is not an octal number/,
    );
    await refused([{ name: 'a', data: 'x', pax: Buffer.from('99999 path=a\n') }], /malformed PAX/);
  });

  it('streams a member whose size claim is huge instead of buffering it', async () => {
    // 2^50 bytes claimed, a few given: the reader waits for bytes that never come, and says so at the end.
    await refused([{ name: 'a', data: 'x', pax: { size: String(2 ** 50) } }], /ends inside member 'a'/);
  });

  it('caps PAX and GNU long-name records', async () => {
    const big = Buffer.alloc(MAX_META_BYTES + 1, 0x61);
    await refused([{ name: '././@LongLink', type: 'L', data: big }], /extended header of 1048577 bytes/);
    await refused([{ name: 'a', pax: big }], /extended header of 1048577 bytes/);
  });

  it('refuses devices, FIFOs and unknown types', async () => {
    await refused([{ name: 'dev', type: '3' }], /'dev' is character device/);
    await refused([{ name: 'fifo', type: '6' }], /'fifo' is FIFO/);
    await refused([{ name: 'q', type: 'Q' }], /unknown type 'Q'/);
  });

  it('masks setuid, setgid and other special bits', async () => {
    const { dest } = await extract(
      tarOf([
        { name: 'd', type: '5', mode: 0o7777 },
        { name: 'd/f', data: 'x', mode: 0o6755 },
      ]),
    );
    assert.equal((await fsp.stat(join(dest, 'd'))).mode & 0o7777, 0o1777);
    assert.equal((await fsp.stat(join(dest, 'd/f'))).mode & 0o7777, 0o755);
  });

  it('reports every file with its size and CRC-32', async () => {
    const files: Array<[string, number, string]> = [];
    const dest = join(root, `t${n++}`);
    await fsp.mkdir(dest);
    const ex = new TarExtractor(dest, { onFile: (f) => files.push([f.name, f.size, f.crc32]) });
    await pipeline(
      Readable.from([
        tarOf([
          { name: './PG_VERSION', data: '17\n' },
          { name: 'h', type: '1', linkname: './PG_VERSION' },
        ]),
      ]),
      ex,
    );
    assert.deepEqual(files, [
      ['PG_VERSION', 3, 'aa3a1f9f'],
      ['h', 3, 'aa3a1f9f'],
    ]);
  });

  it('refuses a tar that expands beyond maxBytes', async () => {
    const dest = join(root, `t${n++}`);
    await fsp.mkdir(dest);
    const ex = new TarExtractor(dest, { maxBytes: 1000 });
    await assert.rejects(
      pipeline(Readable.from([tarOf([{ name: 'a', data: Buffer.alloc(4000) }])]), ex),
      /expands to more than the 1000 bytes expected \(at member 'a'\)/,
    );
  });
});
