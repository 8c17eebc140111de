import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { releaseGarbage } from '../../src/common/release-garbage.js';

test('releaseGarbage collects what is no longer reachable, keeps what is', () => {
  releaseGarbage();
  const base = getHeapStatistics().used_heap_size;
  let garbage: Array<{ key: string; at: Date }> | undefined = [];
  for (let i = 0; i < 200_000; i++) garbage.push({ key: `wals/0000000100000000/${i}`, at: new Date(i) });
  const kept = garbage.slice(0, 10);
  const grown = getHeapStatistics().used_heap_size;
  assert.ok(grown - base > 10_000_000, `the garbage took ${grown - base} bytes`);
  garbage = undefined;
  releaseGarbage();
  const after = getHeapStatistics().used_heap_size;
  assert.ok(
    after - base < (grown - base) / 4,
    `after ${after}, before the garbage ${base}, with it ${grown}`,
  );
  assert.equal(kept[9]?.key, 'wals/0000000100000000/9');
});
