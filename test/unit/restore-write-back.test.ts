import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { TarExtractor } from '../../src/engine/restore/tar-extract.js';
import { WRITE_BACK_BYTES, WriteBack } from '../../src/engine/restore/write-back.js';
import { isPgdrError } from '../../src/errors.js';
import { tarOf } from '../helpers/hostile-tar.js';

let dir: string;
before(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-write-back-'));
});
after(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('WriteBack', () => {
  it('flushes and closes each handle given, in order, by finish()', async () => {
    const handles: FileHandle[] = [];
    const w = new WriteBack();
    for (const n of ['a', 'b', 'c']) {
      const h = await fsp.open(join(dir, n), 'w');
      await h.write(Buffer.from(n.repeat(1000)));
      handles.push(h);
      w.flushAndClose(h, join(dir, n));
    }
    await w.finish();
    for (const h of handles) assert.equal(h.fd, -1, 'closed');
    assert.equal(await fsp.readFile(join(dir, 'b'), 'utf8'), 'b'.repeat(1000));
  });

  it('keeps a flush error for finish(), naming the file, and still closes it and flushes the others', async () => {
    const calls: string[] = [];
    const failing = {
      sync: async () => {
        calls.push('sync 1');
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
      close: async () => {
        calls.push('close 1');
      },
    } as unknown as FileHandle;
    const w = new WriteBack();
    w.flushAndClose(failing, '/restore/base/5/16397');
    const ok = await fsp.open(join(dir, 'ok'), 'w');
    w.flushAndClose(ok, join(dir, 'ok'));
    await assert.rejects(w.finish(), (e) => {
      assert.ok(isPgdrError(e), String(e));
      assert.match(e.message, /base\/5\/16397/);
      return true;
    });
    assert.deepEqual(calls, ['sync 1', 'close 1']);
    assert.equal(ok.fd, -1, 'the next handle was flushed and closed all the same');
  });
});

describe('TarExtractor with a WriteBack', () => {
  it('hands large files over once written, small ones closed at once, every byte in place', async () => {
    const large = Buffer.alloc(WRITE_BACK_BYTES + 8192);
    for (let i = 0; i < large.length; i += 4096) large.writeUInt32LE(i, i);
    const tar = tarOf([
      { name: 'base/', type: '5' },
      { name: 'base/16397', data: large },
      { name: 'PG_VERSION', data: '15\n' },
    ]);
    const dest = join(dir, 'extract');
    await fsp.mkdir(dest);
    const handed: string[] = [];
    const w = new WriteBack();
    const spy = Object.assign(Object.create(w) as WriteBack, {
      flushAndClose: (h: FileHandle, p: string) => {
        handed.push(p);
        w.flushAndClose(h, p);
      },
    });
    await pipeline(Readable.from([tar]), new TarExtractor(dest, { writeBack: spy }));
    await w.finish();
    assert.deepEqual(handed, [join(dest, 'base/16397')]);
    assert.equal(sha(await fsp.readFile(join(dest, 'base/16397'))), sha(large));
    assert.equal(await fsp.readFile(join(dest, 'PG_VERSION'), 'utf8'), '15\n');
  });
});
