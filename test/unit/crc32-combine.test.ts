import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../../src/compression/crc32-combine.js';

describe('crc32Combine', () => {
  it('gives the CRC-32 of the concatenation, for empty, tiny, odd and large lengths', () => {
    for (const [a, b] of [
      [0, 0],
      [0, 5],
      [5, 0],
      [1, 1],
      [777, 3],
      [4096, 1 << 20],
      [1 << 20, (1 << 20) + 513],
    ] as const) {
      const A = randomBytes(a);
      const B = randomBytes(b);
      assert.equal(crc32Combine(crc32(A), crc32(B), b), crc32(Buffer.concat([A, B])), `${a} + ${b}`);
    }
  });

  it('folds a sequence of chunks as one running CRC does', () => {
    const chunks = [randomBytes(10), randomBytes(65_536), Buffer.alloc(300_000), randomBytes(1)];
    let folded = 0;
    for (const c of chunks) folded = crc32Combine(folded, crc32(c), c.length);
    assert.equal(folded, crc32(Buffer.concat(chunks)));
  });
});
