import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadHistories } from '../../src/catalog/history-loader.js';
import {
  parseHistoryFile,
  spanForSegment,
  timelineAncestry,
  timelineAt,
} from '../../src/catalog/timeline-history.js';
import { classifyWal, listWal, restoreCandidate } from '../../src/catalog/wal-catalog.js';
import { parseLsn, segmentNumber } from '../../src/catalog/wal-name.js';
import { isPgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';

const SEG = 16 * 1024 * 1024;
const obj = (key: string) => ({
  key: `pg/wals/${key}`,
  size: 100,
  lastModified: new Date('2024-12-15T07:00:00Z'),
});

describe('WAL catalog', () => {
  it('classifies objects and groups them by timeline', () => {
    const wal = classifyWal('pg', [
      obj('0000000100000000/000000010000000000000006.gz'),
      obj('0000000100000000/000000010000000000000006.00000028.backup.gz'),
      obj('0000000100000000/000000010000000000000007.partial.zst'),
      obj('0000000200000000/000000020000000000000007'),
      obj('00000002.history.gz'),
      obj('0000000100000000/readme.txt'),
      obj('0000000100000000/000000010000000000000008.gz.gz'),
      obj('0000000100000000/000000010000000100000000.gz'),
      obj('00000002.history.zstd'),
    ]);
    assert.deepEqual(
      wal.objects.map((o) => [o.name, o.kind, o.compression]),
      [
        ['000000010000000000000006.00000028.backup', 'backup-label', 'gzip'],
        ['000000010000000000000006', 'segment', 'gzip'],
        ['000000010000000000000007.partial', 'partial', 'zstd'],
        ['00000002.history', 'history', 'gzip'],
        ['000000020000000000000007', 'segment', 'none'],
      ],
    );
    assert.deepEqual([...wal.timelines.keys()], [1, 2]);
    assert.equal(wal.timelines.get(1)?.partials.length, 1);
    assert.equal(wal.timelines.get(1)?.backupLabels.length, 1);
    assert.equal(wal.timelines.get(2)?.history?.name, '00000002.history');
    assert.deepEqual(
      wal.unknown.map((u) => [u.key.slice('pg/wals/'.length), u.reason.split(':')[0]]),
      [
        ['0000000100000000/readme.txt', 'not a WAL, .partial, .backup or .history name'],
        ['0000000100000000/000000010000000000000008.gz.gz', 'not a WAL, .partial, .backup or .history name'],
        ['0000000100000000/000000010000000100000000.gz', 'misplaced'],
        ['00000002.history.zstd', 'not a WAL, .partial, .backup or .history name'],
      ],
    );
  });

  it('serves what barman-cloud-wal-restore serves, .partial included', () => {
    const wal = classifyWal('pg', [
      obj('0000000100000000/000000010000000000000005'),
      obj('0000000100000000/000000010000000000000006'),
      obj('0000000100000000/000000010000000000000006.gz'),
      obj('0000000100000000/000000010000000000000007.partial.gz'),
      obj('0000000100000000/000000010000000000000008'),
      obj('0000000100000000/000000010000000000000008.partial'),
      obj('0000000100000000/000000010000000000000009.00000028.backup'),
    ]);
    const served = (name: string, noPartial = false): string | undefined =>
      restoreCandidate(wal, name, { noPartial })?.key.split('/').pop();
    assert.equal(served('000000010000000000000005'), '000000010000000000000005');
    // An exact uncompressed key is only a candidate: a later compressed match wins.
    assert.equal(served('000000010000000000000006'), '000000010000000000000006.gz');
    assert.equal(served('000000010000000000000007'), '000000010000000000000007.partial.gz');
    assert.equal(served('000000010000000000000007', true), undefined);
    // barman's quirk: with both X and X.partial stored, the .partial comes later in key order and wins.
    assert.equal(served('000000010000000000000008'), '000000010000000000000008.partial');
    assert.equal(served('000000010000000000000008', true), '000000010000000000000008');
    assert.equal(served('000000010000000000000009'), undefined);
  });

  it('lists a real file:// store and loads compressed history files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgdr-wal-'));
    try {
      const store = new FsObjectStore(dir);
      await store.put('pg/wals/0000000100000000/000000010000000000000006.gz', gzipSync('x'));
      await store.put(
        'pg/wals/00000002.history.gz',
        gzipSync('1\t0/9000100\tno recovery target specified\n'),
      );
      await store.put('pg/wals/00000003.history', Buffer.from('garbage\n'));
      await store.put('other/wals/00000001.history', Buffer.from('x'));
      const wal = await listWal(store, 'pg');
      assert.equal(wal.objects.length, 3);
      assert.equal(wal.objects[0]?.size, gzipSync('x').length);
      const { histories, problems } = await loadHistories(store, wal);
      assert.equal(histories.get(2)?.entries[0]?.switchpoint, parseLsn('0/9000100'));
      assert.match(problems.get(3) ?? '', /bad line/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('timeline history', () => {
  const text =
    '# comment\n1\t0/9000100\tno recovery target specified\n\n2\t0/B000000\tbefore 2024-12-15 07:00:00+00\n';

  it('parses history files, tolerating what PostgreSQL tolerates', () => {
    const h = parseHistoryFile(text, 3);
    assert.deepEqual(
      h.entries.map((e) => [e.parentTimeline, e.switchpoint, e.reason]),
      [
        [1, 0x9000100n, 'no recovery target specified'],
        [2, 0xb000000n, 'before 2024-12-15 07:00:00+00'],
      ],
    );
    assert.equal(parseHistoryFile('1 0/9000100\n', 2).entries[0]?.reason, '');
    for (const bad of ['', '# only\n', 'x\t0/1\tr\n', '2\t0/1\tr\n', '1\t0/5\ta\n1\t0/6\tb\n']) {
      assert.throws(
        () => parseHistoryFile(bad, 2),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
        bad,
      );
    }
  });

  it('computes which timeline supplies each segment', () => {
    const spans = timelineAncestry(3, parseHistoryFile(text, 3), SEG);
    assert.deepEqual(
      spans.map((s) => [s.timeline, s.firstSegment, s.switchSegment]),
      [
        [1, '000000010000000000000000', '000000010000000000000009'],
        [2, '000000020000000000000009', null],
        [3, '00000003000000000000000B', null],
      ],
    );
    const tliOf = (seg: string): number => spanForSegment(spans, segmentNumber(seg, SEG), SEG).timeline;
    assert.equal(tliOf('000000010000000000000008'), 1);
    // The segment holding the switch point comes from the child: the parent's copy may be partial or absent.
    assert.equal(tliOf('000000010000000000000009'), 2);
    assert.equal(tliOf('00000001000000000000000A'), 2);
    // A switch on a segment boundary: the parent stops at the previous segment.
    assert.equal(tliOf('00000001000000000000000B'), 3);
    assert.equal(timelineAt(spans, 0x9000100n), 2);
    assert.equal(timelineAt(spans, 0x90000ffn), 1);
    assert.deepEqual(
      timelineAncestry(1, undefined, SEG).map((s) => [s.timeline, s.endLsn]),
      [[1, null]],
    );
  });
});
