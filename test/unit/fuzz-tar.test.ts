// Fuzzing of the tar reader and extractor: random bytes and mutations of valid tars must end in success or a
// PgdrError, never another exception, a hang or unbounded memory. PGDR_FUZZ_RUNS raises the run count.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TarExtractor } from '../../src/engine/restore/tar-extract.js';
import { isPgdrError } from '../../src/errors.js';
import { TarReader } from '../../src/tar/reader.js';
import { tarOf } from '../helpers/hostile-tar.js';

const RUNS = Number(process.env.PGDR_FUZZ_RUNS ?? 300);

const SEED = tarOf([
  { name: '.', type: '5', mode: 0o700 },
  { name: './PG_VERSION', data: '17\n' },
  { name: 'base/1/1259', data: Buffer.alloc(1500, 3), pax: { path: 'base/1/1259', mtime: '1700000000.5' } },
  { name: 'h', type: '1', linkname: './PG_VERSION' },
  { name: 'pg_wal', type: '2', linkname: '/elsewhere' },
]);

/** A mutation of the seed: bytes flipped, a slice cut out, or the tail dropped. */
const mutated = fc
  .tuple(
    fc.array(fc.tuple(fc.nat(SEED.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.option(fc.tuple(fc.nat(SEED.length), fc.nat(2048))),
    fc.nat(SEED.length),
  )
  .map(([flips, cut, keep]) => {
    const b = Buffer.from(SEED);
    for (const [i, v] of flips) b[i] = v;
    let out = cut ? Buffer.concat([b.subarray(0, cut[0]), b.subarray(cut[0] + cut[1])]) : b;
    if (keep % 3 === 0) out = out.subarray(0, keep);
    return out;
  });

const inputs = fc.oneof(
  mutated,
  fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
);

function chunks(b: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
}

async function outcome(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!isPgdrError(e)) throw new Error(`not a PgdrError: ${(e as Error)?.stack ?? String(e)}`);
  }
}

describe('tar fuzzing', () => {
  let root: string;
  let n = 0;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-fuzz-tar-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('the reader ends in success or a PgdrError', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, fc.integer({ min: 1, max: 1024 }), async (tar, size) => {
        const reader = new TarReader({ entry: () => ({ write: () => {}, end: () => {} }) });
        await outcome(() => pipeline(Readable.from(chunks(tar, size)), reader));
      }),
      { numRuns: RUNS, seed: 16, interruptAfterTimeLimit: 15_000 },
    );
  });

  it('generated members: the extractor ends in success or a PgdrError', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        '.',
        '..',
        '',
        'pg_wal',
        'pg_tblspc',
        '16385',
        'base',
        'a',
        'é'.repeat(128),
        'a'.repeat(256),
      ),
      fc.string({ minLength: 1, maxLength: 300 }),
    );
    const member = fc.record({
      name: fc.array(segment, { minLength: 1, maxLength: 5 }).map((p) => p.join('/')),
      type: fc.constantFrom('0', '1', '2', '5', '7', '3', 'x', 'L', 'g', 'Z'),
      linkname: fc.array(segment, { maxLength: 3 }).map((p) => p.join('/')),
      mode: fc.nat(0o7777),
      data: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(member, { maxLength: 6 }), async (members) => {
        const dest = join(root, `g${n++}`, 'dest');
        await fsp.mkdir(dest, { recursive: true });
        const tar = tarOf(members.map((m) => ({ ...m, pax: { path: m.name, linkpath: m.linkname } })));
        await outcome(() => pipeline(Readable.from([tar]), new TarExtractor(dest)));
        assert.deepEqual(await fsp.readdir(join(dest, '..')), ['dest']);
        await fsp.rm(join(dest, '..'), { recursive: true, force: true });
      }),
      { numRuns: RUNS, seed: 18, interruptAfterTimeLimit: 15_000 },
    );
  });

  it('the extractor ends in success or a PgdrError and writes only below its target', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (tar) => {
        const dest = join(root, `x${n++}`, 'dest');
        await fsp.mkdir(dest, { recursive: true });
        await outcome(() => pipeline(Readable.from(chunks(tar, 333)), new TarExtractor(dest)));
        assert.deepEqual(await fsp.readdir(join(dest, '..')), ['dest']);
        await fsp.rm(join(dest, '..'), { recursive: true, force: true });
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: 17, interruptAfterTimeLimit: 15_000 },
    );
  });
});
