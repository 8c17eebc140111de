import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LARGE_FILE_BYTES, LARGE_PART_BYTES, planParts } from '../../src/engine/backup/plan-parts.js';
import type { TreeEntry } from '../../src/engine/backup/walk-tree.js';

const MIB = 1024 * 1024;

function file(name: string, size: number): TreeEntry {
  return { name, type: 'file', size, mode: 0o600, uid: 0, gid: 0, mtime: 0, path: `/pg/${name}` };
}
function dir(name: string): TreeEntry {
  return { name, type: 'dir', size: 0, mode: 0o700, uid: 0, gid: 0, mtime: 0, path: `/pg/${name}` };
}

const names = (p: { entries: TreeEntry[] }) => p.entries.map((e) => e.name).sort();

test('a tree of small files is spread over up to the job count, folders in the main tar', () => {
  const entries = [dir('.'), dir('base'), ...Array.from({ length: 40 }, (_, i) => file(`base/1/${i}`, MIB))];
  const parts = planParts('data', entries, 3);
  assert.deepEqual(
    parts.map((p) => p.index),
    [0, 1, 2],
  );
  assert.deepEqual(
    parts[0]!.entries.filter((e) => e.type === 'dir').map((e) => e.name),
    ['.', 'base'],
  );
  for (const p of parts.slice(1)) assert.ok(p.entries.every((e) => e.type === 'file'));
  assert.ok(Math.max(...parts.map((p) => p.bytes)) - Math.min(...parts.map((p) => p.bytes)) <= MIB);
  assert.equal(
    parts.reduce((n, p) => n + p.entries.length, 0),
    entries.length,
  );
});

test('a small tree stays one tar whatever the job count', () => {
  const parts = planParts('data', [dir('.'), file('PG_VERSION', 3), file('base/1/1259', 8192)], 8);
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.bytes, 8195);
});

test('relation segments go into tars of their own, away from the files that change on every run', () => {
  const seg = LARGE_PART_BYTES;
  const entries = [
    dir('.'),
    file('base/5/16397', seg),
    file('base/5/16397.1', seg),
    file('base/5/16397.2', 300 * MIB),
    file('base/5/16405', 500 * MIB),
    file('base/5/16405.1', 400 * MIB),
    file('base/5/16400', LARGE_FILE_BYTES),
    file('global/pg_control', 8192),
    file('pg_xact/0000', 256 * 1024),
    file('base/5/16397_vm', 32 * 1024),
    file('base/5/16397_fsm', 256 * 1024),
    file('base/5/1259', 120 * MIB),
  ];
  const parts = planParts('data', entries, 2);
  assert.deepEqual(
    parts.map((p) => p.index),
    parts.map((_, i) => i),
  );
  const small = parts.filter((p) => p.entries.some((e) => e.type === 'file' && e.size < LARGE_FILE_BYTES));
  const large = parts.filter((p) => !small.includes(p));
  // The small files (121 MiB) fill the first parts, spread for parallelism as before.
  assert.deepEqual(
    small.map((p) => p.index),
    [0, 1],
  );
  for (const p of small) assert.ok(p.entries.every((e) => e.type === 'dir' || e.size < LARGE_FILE_BYTES));
  // Full segments alone; the smaller large files share tars up to a segment's size.
  assert.deepEqual(large.map(names), [
    ['base/5/16397'],
    ['base/5/16397.1'],
    ['base/5/16405', 'base/5/16405.1'],
    ['base/5/16397.2', 'base/5/16400'],
  ]);
  for (const p of large) assert.ok(p.bytes <= LARGE_PART_BYTES);
  assert.equal(
    parts.reduce((n, p) => n + p.entries.length, 0),
    entries.length,
  );
});

test("large files share a tar only up to a job's share of the tree: a small database restores in parallel", () => {
  // pgbench at scale 60: the table (806 MB) and its primary key (134 MB) in tars of their own with two jobs.
  const entries = [
    dir('.'),
    file('base/5/16397', 806 * MIB),
    file('base/5/16405', 134 * MIB),
    ...Array.from({ length: 24 }, (_, i) => file(`base/5/${1000 + i}`, MIB)),
  ];
  const parts = planParts('data', entries, 2);
  assert.deepEqual(parts.map(names).slice(2), [['base/5/16397'], ['base/5/16405']]);
  // With one job, its share is the whole tree: one tar holds both.
  assert.deepEqual(planParts('data', entries, 1).map(names).slice(1), [['base/5/16397', 'base/5/16405']]);
});

test('a file larger than a tar of large files gets one to itself', () => {
  const parts = planParts('16390', [dir('.'), file('PG_17/5/16400', 2 * LARGE_PART_BYTES)], 4);
  assert.deepEqual(parts.map(names), [['.'], ['PG_17/5/16400']]);
  assert.deepEqual(
    parts.map((p) => p.group),
    ['16390', '16390'],
  );
});
