// maxOf/minOf (common/extremes.ts) over more values than Math.max(...spread) takes as arguments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxOf, minOf } from '../../src/common/extremes.js';

describe('maxOf, minOf', () => {
  it('take 500,000 values, where a spread overflows the stack', () => {
    const values = Array.from({ length: 500_000 }, (_, i) => (i * 7919) % 500_000);
    assert.throws(() => Math.max(...values), RangeError);
    assert.equal(maxOf(values), 499_999);
    assert.equal(minOf(new Set(values)), 0);
  });

  it('give the value asked for when there is none', () => {
    assert.equal(maxOf([]), Number.NEGATIVE_INFINITY);
    assert.equal(minOf([]), Number.POSITIVE_INFINITY);
    assert.equal(maxOf(new Set<number>(), null), null);
    assert.equal(maxOf([-3, -1, -2]), -1);
    assert.equal(minOf([5]), 5);
  });
});
