// Fuzzing what is read from wals/: object names in a listing and timeline history files. Names the catalog
// keeps are WAL names (so they are safe as file names in a spool folder); history files parse or fail with
// CATALOG_INVALID; nothing throws anything else or hangs.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type HistoryEntry, parseHistoryFile, timelineAncestry } from '../../src/catalog/timeline-history.js';
import { classifyWal, restoreCandidate } from '../../src/catalog/wal-catalog.js';
import { formatLsn, nextSegment, parseWalName, segmentNumber } from '../../src/catalog/wal-name.js';
import { fuzzRuns, fuzzTimeout, valueOrPgdrError } from '../helpers/fuzz-budget.js';

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
const SEG_SIZES = [1 << 20, 16 << 20, 1 << 30];

// Object names that are, or nearly are, what barman-cloud-wal-archive writes.
const walish = fc
  .tuple(
    fc.constantFrom(0, 1, 2, 0xff, 0xffffffff),
    fc.constantFrom(0, 1, 0xffffffff),
    fc.constantFrom(0, 1, 0xff, 0x100, 0xffffffff),
    fc.constantFrom(
      '',
      '.partial',
      '.00000028.backup',
      '.gz',
      '.partial.gz',
      '.bz2',
      '.zst',
      '.gz.gz',
      '.tmp',
    ),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([tli, log, seg, suffix, history, lower]) => {
    const name = history ? `${hex(tli)}.history${suffix}` : `${hex(tli)}${hex(log)}${hex(seg)}${suffix}`;
    return lower ? name.toLowerCase() : name;
  });
// Where barman-cloud-wal-archive puts the name: wals/<first 16 hex digits>/ (wals/ itself for history files).
const placed = walish.map((n) =>
  n.includes('.history') ? `srv/wals/${n}` : `srv/wals/${n.slice(0, 16)}/${n}`,
);
const segment = fc.oneof(
  walish,
  fc.constantFrom('', '.', '..', '0000000100000000', 'wals', 'srv'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const key = fc.oneof(
  placed,
  fc
    .tuple(
      fc.constantFrom('srv/wals/', 'srv/wals/0000000100000000/', 'srv/', ''),
      fc.array(segment, { maxLength: 3 }),
    )
    .map(([prefix, parts]) => prefix + parts.join('/')),
);
const listed = fc.array(fc.record({ key, size: fc.nat(), lastModified: fc.date({ noInvalidDate: true }) }), {
  maxLength: 20,
  size: 'max',
});

describe('fuzz: wals/ listing', () => {
  it('every object kept has a WAL name that stays a plain file name', { timeout: fuzzTimeout(2) }, () => {
    fc.assert(
      fc.property(listed, fc.constantFrom(...SEG_SIZES), (objects, segSize) => {
        const wal = classifyWal('srv', objects);
        assert.equal(wal.objects.length + wal.unknown.length, objects.length);
        for (const o of wal.objects) {
          const parsed = parseWalName(o.name);
          assert.ok(parsed, `${o.name} kept`);
          // The restore spool writes <dir>/<name>: the name must stay inside the folder.
          assert.equal(relative('/spool', join('/spool', o.name)), o.name);
          if (parsed.kind === 'segment' || parsed.kind === 'partial') {
            // What wal restore serves for the segment is one of the objects kept for it.
            const served = restoreCandidate(wal, o.segmentName!);
            if (o.name === o.name.toUpperCase()) assert.ok(served && wal.objects.includes(served));
          }
          if (parsed.kind === 'segment') {
            valueOrPgdrError(() => segmentNumber(o.name, segSize), ['CATALOG_INVALID']);
            valueOrPgdrError(() => nextSegment(o.name, segSize), ['CATALOG_INVALID']);
          }
        }
      }),
      fuzzRuns(3000),
    );
  });
});

const historyLine = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        fc.nat({ max: 20 }).map(String),
        fc.constantFrom('4294967295', '4294967296', '0', '99999999999', '-1'),
      ),
      fc.constantFrom('\t', ' ', '  ', '\t\t'),
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a.toString(16)}/${b.toString(16)}`),
      fc.string({ unit: 'binary', maxLength: 20, size: 'max' }),
    )
    .map(([tli, sep, lsn, reason]) => `${tli}${sep}${lsn}${sep}${reason}`),
  fc.constantFrom('', '# comment', '\r', '1\t0/0', '1\tFFFFFFFF/FFFFFFFF\tx', '2\t1/0\r', 'x'.repeat(500)),
  fc.string({ unit: 'binary', maxLength: 40, size: 'max' }),
);

describe('fuzz: timeline history files', () => {
  it('any text: a history (whose ancestry can be computed) or CATALOG_INVALID', {
    timeout: fuzzTimeout(2),
  }, () => {
    fc.assert(
      fc.property(
        fc.array(historyLine, { maxLength: 12, size: 'max' }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.constantFrom(...SEG_SIZES),
        (lines, timeline, segSize) => {
          const h = valueOrPgdrError(() => parseHistoryFile(lines.join('\n'), timeline), ['CATALOG_INVALID']);
          if (h !== undefined)
            valueOrPgdrError(() => timelineAncestry(timeline, h, segSize), ['CATALOG_INVALID']);
        },
      ),
      fuzzRuns(5000),
    );
  });

  it('a written history reads back as written', { timeout: fuzzTimeout(1) }, () => {
    const entries = fc
      .uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8, size: 'max' })
      .chain((tlis) =>
        fc.tuple(
          fc.constant([...tlis].sort((a, b) => a - b)),
          fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), {
            minLength: tlis.length,
            maxLength: tlis.length,
          }),
          fc.array(fc.stringMatching(/^[ -~]{0,30}$/), { minLength: tlis.length, maxLength: tlis.length }),
        ),
      )
      .map(([tlis, lsns, reasons]) =>
        tlis.map(
          (t, i): HistoryEntry => ({ parentTimeline: t, switchpoint: lsns[i]!, reason: reasons[i]!.trim() }),
        ),
      );
    fc.assert(
      fc.property(entries, (es) => {
        const text = es
          .map((e) => `${e.parentTimeline}\t${formatLsn(e.switchpoint)}\t${e.reason}\n`)
          .join('');
        const timeline = es[es.length - 1]!.parentTimeline + 1;
        assert.deepStrictEqual(parseHistoryFile(text, timeline), { timeline, entries: es });
      }),
      fuzzRuns(1000, 1),
    );
  });
});
