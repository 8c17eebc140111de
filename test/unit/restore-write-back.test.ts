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
import { FLUSH_EVERY, WRITE_BACK_BYTES, WriteBack } from '../../src/engine/restore/write-back.js';
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

describe('WriteBack while a file is written', () => {
  it('starts one flush at a time, and closes a file only after its own flush so far', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const handle = (name: string, wait?: Promise<void>) =>
      ({
        sync: async () => {
          calls.push(`sync ${name}`);
          await wait;
          calls.push(`synced ${name}`);
        },
        close: async () => {
          calls.push(`close ${name}`);
        },
      }) as unknown as FileHandle;
    const w = new WriteBack();
    const a = handle('a', held);
    const b = handle('b');
    assert.equal(w.flushSoFar(a, '/r/a'), true);
    assert.equal(w.flushSoFar(a, '/r/a'), false, 'a is being flushed');
    assert.equal(w.flushSoFar(b, '/r/b'), false, 'one flush at a time');
    w.flushAndClose(a, '/r/a');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, ['sync a'], 'the final flush waits for the one under way');
    release();
    await w.finish();
    assert.deepEqual(calls, ['sync a', 'synced a', 'sync a', 'synced a', 'close a']);
    assert.equal(w.flushSoFar(b, '/r/b'), true, 'free again');
    await w.finish();
  });

  it('keeps the error of a flush under way for finish()', async () => {
    const w = new WriteBack();
    const bad = {
      sync: async () => {
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
    } as unknown as FileHandle;
    assert.equal(w.flushSoFar(bad, '/restore/base/5/16397.1'), true);
    await assert.rejects(w.finish(), /16397\.1/);
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
    assert.ok(large.length < FLUSH_EVERY, 'too small to be flushed while written');
    assert.equal(sha(await fsp.readFile(join(dest, 'base/16397'))), sha(large));
    assert.equal(await fsp.readFile(join(dest, 'PG_VERSION'), 'utf8'), '15\n');
  });

  it('flushes a file being written each FLUSH_EVERY bytes, when no other flush runs', async () => {
    const big = Buffer.alloc(FLUSH_EVERY * 3, 1);
    const dest = join(dir, 'extract-big');
    await fsp.mkdir(dest);
    const w = new WriteBack();
    const started: boolean[] = [];
    const spy = Object.assign(Object.create(w) as WriteBack, {
      flushSoFar: (h: FileHandle, p: string) => {
        const s = w.flushSoFar(h, p);
        started.push(s);
        return s;
      },
      flushAndClose: (h: FileHandle, p: string) => w.flushAndClose(h, p),
    });
    const tar = tarOf([{ name: 'base/16397.1', data: big }]);
    await fsp.mkdir(join(dest, 'base'));
    const pieces = Array.from({ length: Math.ceil(tar.length / (1 << 20)) }, (_, i) =>
      tar.subarray(i << 20, (i + 1) << 20),
    );
    await pipeline(Readable.from(pieces), new TarExtractor(dest, { writeBack: spy }));
    await w.finish();
    // Asked once 64 MiB were written, then each time 64 MiB more were, until a flush starts.
    assert.ok(started.length >= 2 && started[0] === true, JSON.stringify(started));
    assert.equal(sha(await fsp.readFile(join(dest, 'base/16397.1'))), sha(big));
  });
});
