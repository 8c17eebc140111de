// The block-level incremental's pieces that need no server: the block member format (bounded against hostile
// input), which blocks a segment must carry, applying blocks over the parent's file, and whether the WAL
// summaries cover the range from the parent's start.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  applyBlockFile,
  BLOCK_SIZE,
  blocksToSend,
  decodeHeader,
  encodeHeader,
  headerBytes,
  SEGMENT_BLOCKS,
} from '../../src/engine/backup/block-file.js';
import { coverage, relationKey } from '../../src/engine/backup/block-summary.js';
import { relationOf } from '../../src/engine/backup/incremental-blocks.js';
import { isPgdrError } from '../../src/errors.js';

const block = (fill: number) => Buffer.alloc(BLOCK_SIZE, fill);

describe('block member format', () => {
  it('round-trips a header and rejects hostile ones with CATALOG_INVALID', () => {
    const h = { length: 5 * BLOCK_SIZE, blocks: [0, 3, 4] };
    const body = Buffer.concat([encodeHeader(h), block(1), block(2), block(3)]);
    assert.deepEqual(decodeHeader(body, 'm'), h);
    const refused = (b: Buffer) =>
      assert.throws(
        () => decodeHeader(b, 'key:member'),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
      );
    refused(Buffer.from('not a block file at all'));
    refused(body.subarray(0, body.length - 1));
    const unordered = Buffer.from(body);
    unordered.writeUInt32BE(5, headerBytes(0) + 4);
    refused(unordered);
    const huge = Buffer.from(body);
    huge.writeBigUInt64BE(BigInt(2 ** 40), 8);
    refused(huge);
    assert.throws(() => encodeHeader({ length: BLOCK_SIZE, blocks: [1] }));
  });

  it('sends modified blocks, blocks past the parent, and blocks past a truncation, per segment', () => {
    const modified = new Set([2, SEGMENT_BLOCKS + 1]);
    assert.deepEqual(
      blocksToSend({ segment: 0, size: 6 * BLOCK_SIZE, parentSize: 4 * BLOCK_SIZE, modified }),
      [2, 4, 5],
    );
    assert.deepEqual(
      blocksToSend({ segment: 0, size: 6 * BLOCK_SIZE, parentSize: 6 * BLOCK_SIZE, modified, limit: 3 }),
      [2, 3, 4, 5],
    );
    assert.deepEqual(
      blocksToSend({ segment: 1, size: 3 * BLOCK_SIZE, parentSize: 3 * BLOCK_SIZE, modified }),
      [1],
    );
    assert.deepEqual(
      blocksToSend({ segment: 0, size: 2 * BLOCK_SIZE, parentSize: 6 * BLOCK_SIZE, modified }),
      [],
    );
  });

  it('applies blocks over the parent file, cutting or growing it, and removes the member', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-blk-'));
    try {
      const target = join(dir, '16384');
      await fsp.writeFile(target, Buffer.concat([block(1), block(1), block(1), block(1)]));
      const patch = join(dir, '16384.pgdr-blocks');
      await fsp.writeFile(
        patch,
        Buffer.concat([encodeHeader({ length: 3 * BLOCK_SIZE, blocks: [1] }), block(9)]),
      );
      await applyBlockFile(target, patch, 'm');
      assert.deepEqual(await fsp.readFile(target), Buffer.concat([block(1), block(9), block(1)]));
      await assert.rejects(fsp.access(patch), { code: 'ENOENT' }, 'the applied block member is removed');
      await fsp.writeFile(
        patch,
        Buffer.concat([encodeHeader({ length: 5 * BLOCK_SIZE, blocks: [3, 4] }), block(7), block(8)]),
      );
      await applyBlockFile(target, patch, 'm');
      assert.deepEqual(
        await fsp.readFile(target),
        Buffer.concat([block(1), block(9), block(1), block(7), block(8)]),
      );
      const before = await fsp.readFile(target);
      const many = Array.from({ length: 300 }, (_, i) => i);
      const big = Buffer.concat([
        encodeHeader({ length: 300 * BLOCK_SIZE, blocks: many }),
        ...many.map((i) => block(i % 250)),
      ]);
      await fsp.writeFile(patch, big.subarray(0, big.length - 1));
      await assert.rejects(applyBlockFile(target, patch, 'key: m'), (e) => isPgdrError(e, 'CATALOG_INVALID'));
      assert.deepEqual(await fsp.readFile(target), before, 'a damaged member changes nothing');
      await fsp.writeFile(patch, big);
      await applyBlockFile(target, patch, 'm');
      assert.deepEqual(await fsp.readFile(target), big.subarray(headerBytes(300)));
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WAL summary coverage', () => {
  const s = (tli: number, start: number, end: number) => ({ tli, start: BigInt(start), end: BigInt(end) });
  it('picks the summaries that cover the range without a gap, on the timeline only', () => {
    const all = [s(1, 0, 100), s(1, 100, 200), s(2, 200, 300), s(1, 200, 300), s(1, 300, 400)];
    assert.deepEqual(coverage(all, 1, 150n, 350n), [s(1, 100, 200), s(1, 200, 300), s(1, 300, 400)]);
    assert.match(
      String(coverage([s(1, 0, 100), s(1, 120, 400)], 1, 50n, 300n)),
      /do not cover 0\/64 to 0\/12C/,
    );
    assert.match(String(coverage(all, 2, 100n, 250n)), /timeline 2 do not cover/);
  });
  it('takes only pg_default and global relations block by block', () => {
    assert.equal(relationKey(1663, 5, 16384), 'data/base/5/16384');
    assert.equal(relationKey(1664, 0, 1262), 'data/global/1262');
    assert.equal(relationKey(16390, 5, 16384), '16390/5/16384');
    // The files' keys map onto those; other forks (fsm, vm, init) stay whole.
    assert.deepEqual(relationOf('data/base/5/16384.2'), { relation: 'data/base/5/16384', segment: 2 });
    assert.deepEqual(relationOf('data/global/1262'), { relation: 'data/global/1262', segment: 0 });
    assert.deepEqual(relationOf('16390/PG_17_202406281/5/16384.1'), {
      relation: '16390/5/16384',
      segment: 1,
    });
    for (const k of [
      'data/base/5/16384_fsm',
      'data/base/5/16384_vm',
      '16390/PG_17_202406281/5/16384_vm',
      'data/base/5/PG_VERSION',
    ])
      assert.equal(relationOf(k), undefined, k);
  });
});
