// The delta extractor (restore --delta) laying a tar over existing files: a file with a few changed pages gets
// those pages written and no more, whatever the stream's chunks; a file whose pages all differ, one of another
// size, a missing one and a hard-linked one all end byte for byte the member's; a file the caller knows matches
// is left alone; a tar cut short fails.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { DeltaExtractor } from '../../src/engine/restore/delta-extract.js';
import { isPgdrError } from '../../src/errors.js';
import { type RawMember, tarOf } from '../helpers/hostile-tar.js';

const PAGE = 8192;

/** The tar streamed in pieces of `chunk` bytes, each spanning or splitting pages. */
async function deltaExtract(
  dest: string,
  members: readonly RawMember[],
  o: { chunk: number; known?: (rel: string) => boolean; cutAt?: number },
): Promise<DeltaExtractor> {
  const tar = tarOf(members).subarray(0, o.cutAt);
  const chunks = Array.from({ length: Math.ceil(tar.length / o.chunk) }, (_, i) =>
    tar.subarray(i * o.chunk, (i + 1) * o.chunk),
  );
  const x = new DeltaExtractor(dest, { known: o.known ?? (() => false) });
  await pipeline(Readable.from(chunks), x);
  return x;
}

/** `base` with page `p` changed for each p of `pages`. */
function changed(base: Buffer, pages: readonly number[]): Buffer {
  const b = Buffer.from(base);
  for (const p of pages) b[p * PAGE + 100] = (b[p * PAGE + 100]! + 1) & 0xff;
  return b;
}

describe('delta extractor', () => {
  let root: string;
  let n = 0;
  const folder = async (files: Record<string, Buffer>): Promise<string> => {
    const dir = join(root, `t${n++}`);
    await fsp.mkdir(dir);
    for (const [name, data] of Object.entries(files)) await fsp.writeFile(join(dir, name), data);
    return dir;
  };
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-delta-x-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  const table = randomBytes(3 * 1024 * 1024);
  for (const chunk of [256 * 1024, 100_001, 777]) {
    it(`writes only the changed pages of a file, in chunks of ${chunk} bytes`, async () => {
      const dir = await folder({ t: table });
      const want = changed(table, [5, 200, 201]);
      const x = await deltaExtract(dir, [{ name: 't', data: want }], { chunk });
      assert.ok(want.equals(await fsp.readFile(join(dir, 't'))));
      // At most the three changed pages: a small chunk writes only its part of a page.
      assert.ok(x.delta.bytesWritten > 0 && x.delta.bytesWritten <= 3 * PAGE, String(x.delta.bytesWritten));
      assert.deepEqual({ fetched: x.delta.fetched, kept: x.delta.kept }, { fetched: 1, kept: 0 });
    });
  }

  it('rewrites a file whose pages all differ, one grown, one cut and a missing one, byte for byte', async () => {
    const all = randomBytes(12 * 1024 * 1024);
    const grown = Buffer.concat([table, randomBytes(5 * PAGE)]);
    const cut = table.subarray(0, 10 * PAGE);
    const dir = await folder({ all: randomBytes(all.length), grown: table, cut: table });
    const x = await deltaExtract(
      dir,
      [
        { name: 'all', data: all },
        { name: 'grown', data: grown },
        { name: 'cut', data: cut },
        { name: 'new', data: 'fresh' },
      ],
      { chunk: 65536 },
    );
    assert.ok(all.equals(await fsp.readFile(join(dir, 'all'))));
    assert.ok(grown.equals(await fsp.readFile(join(dir, 'grown'))));
    assert.ok(cut.equals(await fsp.readFile(join(dir, 'cut'))));
    assert.equal(await fsp.readFile(join(dir, 'new'), 'utf8'), 'fresh');
    assert.equal(x.delta.bytesWritten, all.length + 5 * PAGE + 5);
    assert.equal(x.delta.fetched, 4);
  });

  it('replaces a hard-linked file rather than writing through the link, and leaves a known file alone', async () => {
    const dir = await folder({ linked: table, known: Buffer.from('local') });
    await fsp.link(join(dir, 'linked'), join(dir, 'elsewhere'));
    const want = changed(table, [1]);
    const x = await deltaExtract(
      dir,
      [
        { name: 'linked', data: want },
        { name: 'known', data: 'other' },
      ],
      { chunk: 4096, known: (rel) => rel === 'known' },
    );
    assert.ok(want.equals(await fsp.readFile(join(dir, 'linked'))));
    assert.ok(table.equals(await fsp.readFile(join(dir, 'elsewhere'))));
    assert.equal(await fsp.readFile(join(dir, 'known'), 'utf8'), 'local');
    assert.equal(x.delta.kept, 1);
  });

  it('fails on a tar cut short', async () => {
    const dir = await folder({ t: table });
    await assert.rejects(
      deltaExtract(dir, [{ name: 't', data: changed(table, [3]) }], { chunk: 65536, cutAt: 1024 * 1024 }),
      (e: unknown) => isPgdrError(e) && e.code === 'CATALOG_INVALID',
    );
  });
});
