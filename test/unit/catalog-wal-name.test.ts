import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareLsn,
  formatLsn,
  hashDir,
  historyFileName,
  isWalName,
  nextSegment,
  parseLsn,
  parseWalName,
  segmentFromNumber,
  segmentNumber,
  segmentStartLsn,
  segmentsPerLogId,
  walKey,
  walSegmentFromLsn,
} from '../../src/catalog/wal-name.js';
import { isPgdrError } from '../../src/errors.js';

describe('WAL names (barman _xlog_re)', () => {
  it('classifies segments, partials, backup labels and histories', () => {
    assert.equal(parseWalName('000000010000000000000006')?.kind, 'segment');
    assert.equal(parseWalName('000000010000000000000006.partial')?.kind, 'partial');
    const label = parseWalName('000000010000000000000006.00000028.backup');
    assert.equal(label?.kind, 'backup-label');
    assert.equal(label?.backupOffset, 0x28);
    assert.equal(label?.segmentName, '000000010000000000000006');
    const hist = parseWalName('0000000A.history');
    assert.equal(hist?.kind, 'history');
    assert.equal(hist?.timeline, 10);
    assert.equal(hist?.segmentName, undefined);
  });

  it('is case-insensitive like barman, and reports the segment name in upper case', () => {
    const w = parseWalName('0000000100000000000000ab.partial');
    assert.equal(w?.seg, 0xab);
    assert.equal(w?.segmentName, '0000000100000000000000AB');
    assert.ok(isWalName('0000000a.HISTORY'));
  });

  it('rejects what barman rejects', () => {
    for (const bad of [
      '00000001000000000000006',
      '0000000100000000000000060',
      '000000010000000000000006.gz',
      '000000010000000000000006.backup',
      '000000010000000000000006.0000028.backup',
      '00000001.partial',
      '0000000100000000.history',
      'G00000010000000000000006',
      ' 000000010000000000000006',
      // barman's regex lets this one through (Python '$'); we refuse it on purpose.
      '000000010000000000000006\n',
    ]) {
      assert.equal(parseWalName(bad), undefined, bad);
    }
  });

  it('computes hash dirs and object keys', () => {
    assert.equal(hashDir('000000020000000300000004'), '0000000200000003');
    assert.equal(hashDir('000000020000000300000004.00000028.backup'), '0000000200000003');
    assert.equal(hashDir('00000002.history'), '');
    assert.equal(
      walKey('pg', '000000010000000000000006', 'gzip'),
      'pg/wals/0000000100000000/000000010000000000000006.gz',
    );
    assert.equal(
      walKey('pg', '000000010000000000000007.partial'),
      'pg/wals/0000000100000000/000000010000000000000007.partial',
    );
    assert.equal(walKey('pg', historyFileName(2), 'zstd'), 'pg/wals/00000002.history.zst');
    assert.throws(
      () => hashDir('nope'),
      (e) => isPgdrError(e, 'CATALOG_INVALID'),
    );
  });
});

describe('segment arithmetic', () => {
  it('has 256 segments per log id at 16 MiB, and crosses the log boundary', () => {
    assert.equal(segmentsPerLogId(), 256);
    assert.equal(segmentsPerLogId(1 << 30), 4);
    assert.equal(segmentsPerLogId(1 << 20), 4096);
    assert.equal(nextSegment('0000000100000000000000FE'), '0000000100000000000000FF');
    assert.equal(nextSegment('0000000100000000000000FF'), '000000010000000100000000');
    assert.equal(nextSegment('000000010000000000000003', 1 << 30), '000000010000000100000000');
    assert.equal(nextSegment('000000010000000000000FFF', 1 << 20), '000000010000000100000000');
  });

  it('refuses segment sizes PostgreSQL cannot have, and names that cannot exist for a size', () => {
    for (const size of [0, 1000, 1 << 19, 3 << 20, 2 ** 31]) {
      assert.throws(
        () => segmentsPerLogId(size),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
        String(size),
      );
    }
    assert.throws(
      () => segmentNumber('000000010000000000000100'),
      (e) => isPgdrError(e, 'CATALOG_INVALID'),
    );
    assert.equal(segmentNumber('000000010000000000000100', 1 << 20), 256);
  });

  it('numbers segments continuously', () => {
    assert.equal(segmentNumber('000000010000000100000002'), 258);
    assert.equal(segmentFromNumber(3, 258), '000000030000000100000002');
    assert.equal(segmentStartLsn('000000010000000100000002'), 0x102000000n);
  });

  it('parses, formats and compares LSNs', () => {
    assert.equal(parseLsn('0/6000028'), 0x6000028n);
    assert.equal(parseLsn('16/b374d848'), 0x16b374d848n);
    assert.equal(formatLsn(0x16b374d848n), '16/B374D848');
    assert.equal(formatLsn(0n), '0/0');
    assert.equal(compareLsn('0/6000028', '0/6000138'), -1);
    assert.equal(compareLsn('1/0', '0/FFFFFFFF'), 1);
    assert.equal(compareLsn('0/A', 10n), 0);
    for (const bad of ['', '0', '0/', '/1', 'x/1', '123456789/0', '0/6000028 junk']) {
      assert.throws(
        () => parseLsn(bad),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
        bad,
      );
    }
  });

  it('finds the segment of an LSN (XLByteToSeg)', () => {
    assert.equal(walSegmentFromLsn('0/6000028', 1), '000000010000000000000006');
    assert.equal(walSegmentFromLsn('0/6FFFFFF', 1), '000000010000000000000006');
    assert.equal(walSegmentFromLsn('0/7000000', 1), '000000010000000000000007');
    assert.equal(walSegmentFromLsn('0/FF000000', 2), '0000000200000000000000FF');
    assert.equal(walSegmentFromLsn('1/0', 2), '000000020000000100000000');
    assert.equal(walSegmentFromLsn('16/B374D848', 1), '0000000100000016000000B3');
    assert.equal(walSegmentFromLsn('16/B374D848', 1, 1 << 30), '000000010000001600000002');
  });
});
