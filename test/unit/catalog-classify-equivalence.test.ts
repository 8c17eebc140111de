// classifyWal works each object out once (kept per listed object, for the dashboard's refreshes) and takes the
// folder a name belongs in from the name it parsed; segmentNumber reads a bare segment name without building a
// WalName. On a table of names, hostile ones included, the catalog, its gaps and the recovery report are those
// of the computation written the long way here (one parse per use, as barman's rules say), and a listed object
// classified under two server names is classified for each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBackupInfo } from '../../src/catalog/backup-info.js';
import { computeRecoveryReport } from '../../src/catalog/recovery-window.js';
import { classifyWal } from '../../src/catalog/wal-catalog.js';
import { presentSegments } from '../../src/catalog/wal-gaps.js';
import { hashDir, parseWalName, segmentNumber, segmentsPerLogId } from '../../src/catalog/wal-name.js';
import { stripCompressionSuffix } from '../../src/compression/suffixes.js';
import type { ObjectInfo } from '../../src/storage/object-store.js';

const SEG = 16 * 1024 * 1024;
const at = new Date('2026-01-01T00:00:00Z');
const o = (key: string, size = 16): ObjectInfo => ({ key, size, lastModified: at });

const NAMES = [
  'pg/wals/0000000100000000/000000010000000000000001',
  'pg/wals/0000000100000000/000000010000000000000002.gz',
  'pg/wals/0000000100000000/000000010000000000000002',
  'pg/wals/0000000100000000/000000010000000000000004.partial',
  'pg/wals/0000000100000000/000000010000000000000005.00000028.backup',
  'pg/wals/0000000100000000/0000000100000000000000ff.bz2',
  'pg/wals/0000000100000000/000000010000000000000100',
  'pg/wals/0000000100000001/000000010000000100000000.zst',
  'pg/wals/0000000100000001/000000010000000100000003.snappy',
  'pg/wals/0000000200000001/000000020000000100000002',
  'pg/wals/00000002.history',
  'pg/wals/00000003.history.gz',
  // Hostile or misplaced.
  'pg/wals/0000000100000000/00000001000000000000000a.gz',
  'pg/wals/0000000100000000/000000010000000000000006.gz.gz',
  'pg/wals/0000000100000000/0000000100000000000000070',
  'pg/wals/0000000100000000/000000010000000000000008\n',
  'pg/wals/0000000100000000/00000001000000000000000G',
  'pg/wals/0000000100000000/sub/000000010000000000000009',
  'pg/wals/0000000100000001/000000010000000000000009',
  'pg/wals/000000010000000000000009',
  'pg/wals/0000000100000000/00000002.history',
  'pg/wals/0000000100000000/ｆｕｌｌwidth',
  'pg/wals/0000000100000000/..',
  'pg/wals/ffffffff.history',
  'pg/wals/FFFFFFFFFFFFFFFF/FFFFFFFFFFFFFFFFFFFFFFFF',
  'pg/walsx/0000000100000000/00000001000000000000000B',
  'other/wals/0000000100000000/00000001000000000000000C',
];

/** The classification as it was written before: two parses per name, hashDir from the name. */
function classifyLongWay(serverName: string, listed: readonly ObjectInfo[]) {
  const prefix = `${serverName}/wals/`;
  const objects: unknown[] = [];
  const unknown: unknown[] = [];
  for (const obj of listed) {
    const rel = obj.key.startsWith(prefix) ? obj.key.slice(prefix.length) : obj.key;
    const slash = rel.lastIndexOf('/');
    const base = rel.slice(slash + 1);
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    let name = base;
    let compression = 'none';
    let parsed = parseWalName(base);
    if (!parsed) {
      ({ base: name, compression } = stripCompressionSuffix(base));
      if (name !== base) parsed = parseWalName(name);
    }
    const info = { key: obj.key, size: obj.size, lastModified: obj.lastModified };
    if (!parsed) {
      unknown.push({ ...info, reason: 'not a WAL, .partial, .backup or .history name' });
      continue;
    }
    const home = hashDir(name);
    if (dir !== home) {
      unknown.push({
        ...info,
        reason: `misplaced: barman-cloud-wal-restore looks for it in ${home === '' ? 'wals/' : `wals/${home}/`}`,
      });
      continue;
    }
    objects.push({
      key: obj.key,
      size: obj.size,
      lastModified: obj.lastModified,
      name,
      kind: parsed.kind,
      timeline: parsed.timeline,
      segmentName: parsed.segmentName,
      compression,
    });
  }
  return { objects, unknown };
}

/** segmentNumber through a full parse, as it was. */
function segNoLongWay(name: string, segSize: number): number | string {
  const w = parseWalName(name);
  if (!w) return 'not a WAL name';
  if (w.log === undefined || w.seg === undefined) return 'history';
  if (w.seg >= segmentsPerLogId(segSize)) return 'too large';
  return w.log * segmentsPerLogId(segSize) + w.seg;
}

function segNo(name: string, segSize: number): number | string {
  try {
    return segmentNumber(name, segSize);
  } catch (e) {
    const m = (e as Error).message;
    return m.includes('history') ? 'history' : m.includes('cannot exist') ? 'too large' : 'not a WAL name';
  }
}

describe('WAL classification, the short way', () => {
  it('gives the catalog the long way gives, hostile names included', () => {
    const listed = [...NAMES].sort().map((k) => o(k));
    const wal = classifyWal('pg', listed);
    const want = classifyLongWay('pg', listed);
    assert.deepEqual(wal.objects, want.objects);
    assert.deepEqual(wal.unknown, want.unknown);
    // Again on the same listed objects (kept), and for another server name: each its own.
    assert.deepEqual(classifyWal('pg', listed), wal);
    const other = classifyWal('other', listed);
    assert.deepEqual(other.objects, classifyLongWay('other', listed).objects);
    assert.deepEqual(other.unknown, classifyLongWay('other', listed).unknown);
    assert.deepEqual(classifyWal('pg', listed), wal);
  });

  it('numbers segments as a full parse does, for every segment size', () => {
    const names = [
      '000000010000000000000001',
      '0000000100000000000000ff',
      '0000000100000000000000FF',
      '000000010000000000000100',
      '00000001000000000000FFFF',
      '0000000100000001000000003',
      '00000001000000010000000',
      '000000010000000100000003.partial',
      '000000010000000100000003.00000028.backup',
      '00000001.history',
      'FFFFFFFFFFFFFFFFFFFFFFFF',
      '00000001000000000000000G',
      ' 000000010000000000000001',
    ];
    for (const segSize of [1 << 20, SEG, 1 << 30]) {
      for (const n of names) assert.equal(segNo(n, segSize), segNoLongWay(n, segSize), `${n} at ${segSize}`);
    }
  });

  it('finds the gaps and the recovery window the long way finds', () => {
    const keys = NAMES.filter((k) => k.startsWith('pg/wals/'));
    const listed = [...keys].sort().map((k) => o(k));
    const wal = classifyWal('pg', listed);
    // presentSegments, with the numbers the long way gives.
    const want = new Map<number, number[]>();
    for (const w of classifyLongWay('pg', listed).objects as Array<{
      kind: string;
      timeline: number;
      segmentName?: string;
    }>) {
      if (w.kind === 'backup-label' || w.segmentName === undefined) continue;
      const n = segNoLongWay(w.segmentName, SEG);
      if (typeof n !== 'number') continue;
      const list = want.get(w.timeline) ?? [];
      if (!list.includes(n)) list.push(n);
      want.set(w.timeline, list);
    }
    for (const l of want.values()) l.sort((a, b) => a - b);
    assert.deepEqual(presentSegments(wal, SEG), want);
    const info = parseBackupInfo(
      Buffer.from(
        [
          'status=DONE',
          'begin_wal=000000010000000000000001',
          'end_wal=000000010000000000000002',
          'begin_xlog=0/1000028',
          'end_xlog=0/2000100',
          'begin_time=2026-01-01 00:00:00+00:00',
          'end_time=2026-01-01 00:01:00+00:00',
          'timeline=1',
          'version=170000',
          'xlog_segment_size=16777216',
          'systemid=1',
          '',
        ].join('\n'),
      ),
      '20260101T000000',
    );
    const r = computeRecoveryReport({ backups: [info], wal });
    const tl = r.timelines.find((t) => t.timeline === 1)!;
    assert.deepEqual(
      tl.gaps.map((g) => [g.first, g.last]),
      [
        ['000000010000000000000003', '000000010000000000000003'],
        ['000000010000000000000005', '000000010000000000000009'],
        // 0A is there as 0a.gz; FF as ff.bz2; 000000010000000000000100 cannot exist with 16 MiB segments.
        ['00000001000000000000000B', '0000000100000000000000FE'],
        ['000000010000000100000001', '000000010000000100000002'],
      ],
    );
    assert.equal(tl.window?.to.name, '000000010000000000000002');
    assert.equal(tl.lastSegment?.name, '000000010000000100000003');
    assert.deepEqual(tl.partials, ['000000010000000000000004']);
  });
});
