// File-level incremental: a file is referenced (not uploaded) only when its size, modification time and CRC-32
// all match the parent's record. The mtime guards the CRC: a rewrite of the same size that happens to keep a
// 32-bit CRC still has a newer mtime. A parent without recorded mtimes (an older pgdr) references nothing.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import type { ChainFile } from '../../src/catalog/incremental-chain.js';
import { crcHex } from '../../src/compression/crc-hex.js';
import { referenceUnchanged } from '../../src/engine/backup/incremental-reference.js';
import type { PartPlan } from '../../src/engine/backup/plan-parts.js';
import type { TreeEntry } from '../../src/engine/backup/walk-tree.js';

const PARENT = '20261201T060000';
const T = 1_764_000_000;

describe('file-level incremental: what is referenced', () => {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-incref-'));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const entry = async (name: string, body: string, mtime: number): Promise<TreeEntry> => {
    const path = join(dir, name);
    await fsp.writeFile(path, body);
    return { name, path, type: 'file', size: body.length, mode: 0o600, uid: 0, gid: 0, mtime };
  };
  const record = (body: string, mtime?: number): ChainFile => ({
    size: body.length,
    crc32: crcHex(crc32(Buffer.from(body))),
    source: PARENT,
    ...(mtime !== undefined ? { mtime } : {}),
  });

  it('references a file only when size, mtime and CRC-32 match; writes each reference with its mtime', async () => {
    const entries = [
      await entry('same', 'unchanged bytes', T),
      // Same bytes (so the same size and CRC), a newer mtime: uploaded.
      await entry('touched', 'unchanged bytes', T + 60),
      // Same size and mtime, other bytes: uploaded.
      await entry('rewritten', 'changed bytes!!', T),
      // A fractional mtime is compared as the tar header holds it, in whole seconds.
      await entry('fraction', 'fraction', T + 0.75),
      await entry('unrecorded', 'no mtime', T),
    ];
    const parent = new Map<string, ChainFile>([
      ['data/same', record('unchanged bytes', T)],
      ['data/touched', record('unchanged bytes', T)],
      ['data/rewritten', record('unchanged bytes', T)],
      ['data/fraction', record('fraction', T)],
      ['data/unrecorded', record('no mtime')],
    ]);
    const parts: PartPlan[] = [{ group: 'data', index: 0, entries, bytes: 0 }];
    const r = await referenceUnchanged({ parts, parent, jobs: 2, signal: new AbortController().signal });
    assert.deepEqual(
      r.references.map((x) => x[1]),
      ['fraction', 'same'],
    );
    assert.deepEqual(r.referenceMtimes, [T, T]);
    const uploaded = r.parts.flatMap((p) => p.entries.map((e) => e.name)).sort();
    assert.deepEqual(uploaded, ['rewritten', 'touched', 'unrecorded']);
    assert.equal(r.referencedBytes, 'unchanged bytes'.length + 'fraction'.length);
  });
});
