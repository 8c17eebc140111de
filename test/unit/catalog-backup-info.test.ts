import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BARMAN_34_FIELDS } from '../../src/catalog/backup-fields.js';
import { parseBackupInfo, readFieldLines, serializeBackupInfo } from '../../src/catalog/backup-info.js';
import {
  formatBarmanTime,
  formatCtime,
  formatIsoTime,
  parseBackupTime,
} from '../../src/catalog/backup-time.js';
import { pythonRepr } from '../../src/catalog/python-literal.js';
import { isPgdrError } from '../../src/errors.js';

const fixture = (name: string): Buffer =>
  readFileSync(new URL(`../../../test/fixtures/catalog/${name}`, import.meta.url));

describe('parseBackupInfo', () => {
  it('reads the 3.17 example of the format doc (sec. 2.2) and writes back the same bytes', () => {
    const bytes = fixture('doc-example.backup.info');
    const info = parseBackupInfo(bytes, '20241215T060000');
    assert.equal(serializeBackupInfo(info.fields), bytes.toString('utf8'));
    assert.equal(info.backupId, '20241215T060000');
    assert.equal(info.status, 'DONE');
    assert.equal(info.beginTime?.date.toISOString(), '2024-12-15T06:00:00.812Z');
    assert.equal(info.beginTime?.microsecond, 812345);
    assert.equal(info.endTime?.raw, '2024-12-15 06:00:03.123456+00:00');
    assert.equal(info.beginWal, '000000010000000000000006');
    assert.equal(info.endXlog, '0/6000138');
    assert.equal(info.beginOffset, 40);
    assert.equal(info.endOffset, 312);
    assert.equal(info.timeline, 1);
    assert.equal(info.version, 160004);
    assert.equal(info.systemid, '7448395717409431569');
    assert.equal(info.backupName, 'backup-20241215060000');
    assert.equal(info.serverName, 'cloud');
    assert.equal(info.xlogSegmentSize, 16777216);
    assert.equal(info.clusterSize, 30454319);
    assert.equal(info.dataChecksums, 'on');
    assert.equal(info.summarizeWal, 'off');
    assert.equal(info.tablespaces, null);
    assert.equal(info.error, null);
    assert.equal(info.childrenBackupIds, null);
    assert.match(
      info.backupLabel ?? '',
      /^START WAL LOCATION: 0\/6000028 \(file 000000010000000000000006\)\nCHECKPOINT/,
    );
    assert.ok(info.backupLabel?.endsWith('START TIMELINE: 1\n'));
    assert.deepEqual(info.includedFiles, [
      '/var/lib/postgresql/data/pgdata/custom.conf',
      '/var/lib/postgresql/data/pgdata/override.conf',
    ]);
    assert.deepEqual(info.unknownKeys, []);
    assert.deepEqual(info.notes, []);
  });

  it('round-trips a file written by barman 3.4 BackupInfo.save(), literals included', () => {
    const text = fixture('barman34-done.backup.info').toString('utf8');
    const info = parseBackupInfo(text, '20241215T060000');
    assert.equal(serializeBackupInfo(info.fields), text);
    assert.deepEqual(info.tablespaces, [
      { name: 'tbs_é', oid: 16385, location: '/srv/ts1' },
      { name: 'q"uote', oid: 16386, location: "/srv/ts'2" },
    ]);
    assert.deepEqual(info.includedFiles, ["/etc/postgresql/o'brien.conf", '/etc/postgresql/tab\there.conf']);
    // Re-encoding the decoded literals gives barman's text back: our repr is CPython's.
    for (const key of ['backup_label', 'included_files', 'copy_stats']) {
      const parsed = key === 'backup_label' ? info.backupLabel : key === 'copy_stats' ? info.copyStats : null;
      if (parsed !== null) assert.equal(pythonRepr(parsed), info.fields.get(key), key);
    }
    assert.deepEqual(
      [...info.fields.keys()].sort(),
      BARMAN_34_FIELDS.filter((k) => k !== 'snapshots_info'),
    );
  });

  it('applies barman defaults for missing keys and None for None', () => {
    const info = parseBackupInfo(fixture('barman34-failed.backup.info'), '20241216T060000');
    assert.equal(info.status, 'FAILED');
    assert.equal(info.error, 'failure uploading data (connection reset by peer)');
    assert.equal(info.xlogSegmentSize, 16777216);
    assert.equal(info.fields.has('xlog_segment_size'), false);
    assert.equal(info.endTime, null);
    assert.equal(info.backupLabel, null);
    assert.equal(info.beginTime?.offsetSeconds, 7200);
    assert.equal(info.beginTime?.date.toISOString(), '2024-12-16T06:00:00.000Z');
    assert.equal(parseBackupInfo('', 'x').status, 'EMPTY');
  });

  it("follows FieldListFile.load: blank and '#' lines skipped, first '=' splits, both sides stripped", () => {
    const text =
      '\n# comment\n  \t\n status = DONE \r\nerror=a=b\nbackup_name=\nnew_key_from_the_future = 42\n';
    const info = parseBackupInfo(text, '20240101T000000');
    assert.equal(info.status, 'DONE');
    assert.equal(info.error, 'a=b');
    assert.equal(info.backupName, '');
    assert.deepEqual(info.unknownKeys, ['new_key_from_the_future']);
    assert.deepEqual(
      [...info.fields],
      [
        ['status', 'DONE'],
        ['error', 'a=b'],
        ['backup_name', ''],
        ['new_key_from_the_future', '42'],
      ],
    );
    assert.equal(
      serializeBackupInfo(info.fields),
      'backup_name=\nerror=a=b\nnew_key_from_the_future=42\nstatus=DONE\n',
    );
    // barman tests line.rstrip().startswith('#'): an indented '#' is a line without '=', hence invalid.
    assert.throws(
      () => readFieldLines('  # indented comment\n'),
      (e) => isPgdrError(e, 'CATALOG_INVALID'),
    );
  });

  it('fails like barman on lines and values barman cannot load', () => {
    for (const bad of [
      'status DONE\n',
      'version=16.4\n',
      'timeline=one\n',
      'begin_time=yesterday\n',
      'tablespaces=[(1, 2)]\n',
      "copy_stats={'a': \n",
      'backup_label=START WAL\n',
    ]) {
      assert.throws(
        () => parseBackupInfo(bad, '20240101T000000'),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
        bad,
      );
    }
    assert.throws(
      () => parseBackupInfo(Buffer.from([0x73, 0x3d, 0xff, 0x0a]), 'x'),
      (e) => isPgdrError(e, 'CATALOG_INVALID'),
    );
  });

  it('notes a naive time and reads it as UTC', () => {
    const info = parseBackupInfo('end_time=2024-12-15 06:00:03\n', 'x');
    assert.equal(info.endTime?.date.toISOString(), '2024-12-15T06:00:03.000Z');
    assert.equal(info.endTime?.naive, true);
    assert.match(info.notes[0] ?? '', /end_time .* no time zone/);
  });

  it('refuses to write a value that would break the line format', () => {
    assert.throws(
      () => serializeBackupInfo([['error', 'a\nb']]),
      (e) => isPgdrError(e, 'INTERNAL'),
    );
    assert.throws(
      () => serializeBackupInfo([['a=b', 'c']]),
      (e) => isPgdrError(e, 'INTERNAL'),
    );
  });
});

describe('backup times', () => {
  it('reads the forms barman and PostgreSQL write', () => {
    const cases: Array<[string, string, number]> = [
      ['2024-12-15 06:00:00.812345+00:00', '2024-12-15T06:00:00.812Z', 812345],
      ['2024-12-15 06:00:00+00:00', '2024-12-15T06:00:00.000Z', 0],
      ['2024-12-15T06:00:00Z', '2024-12-15T06:00:00.000Z', 0],
      ['2024-12-15 08:00:00.5+02', '2024-12-15T06:00:00.500Z', 500000],
      ['2024-12-15 01:30:00-0430', '2024-12-15T06:00:00.000Z', 0],
      ['2024-12-15 06:00:00.1234567+00:00', '2024-12-15T06:00:00.123Z', 123456],
      ['Sun Dec 15 06:00:00 2024', '2024-12-15T06:00:00.000Z', 0],
    ];
    for (const [text, iso, us] of cases) {
      const t = parseBackupTime(text);
      assert.equal(t.date.toISOString(), iso, text);
      assert.equal(t.microsecond, us, text);
    }
    for (const bad of [
      '2024-02-30 00:00:00+00:00',
      '2024-12-15 24:00:00',
      '15/12/2024',
      '',
      '2024-12-15 06:00:00+25:00',
    ]) {
      assert.throws(
        () => parseBackupTime(bad),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
        bad,
      );
    }
  });

  it("renders ctime() and isoformat() in the value's own offset, and str(datetime) for writers", () => {
    const t = parseBackupTime('2024-12-05 08:00:00.000100+02:00');
    assert.equal(formatCtime(t), 'Thu Dec  5 08:00:00 2024');
    assert.equal(formatIsoTime(t), '2024-12-05T08:00:00.000100+02:00');
    assert.equal(formatIsoTime(parseBackupTime('2024-12-15 06:00:00-05:30')), '2024-12-15T06:00:00-05:30');
    assert.equal(formatBarmanTime(new Date('2024-12-15T06:00:03.123Z')), '2024-12-15 06:00:03.123000+00:00');
    assert.equal(formatBarmanTime(new Date('2024-12-15T06:00:03Z'), 3600, 0), '2024-12-15 07:00:03+01:00');
    assert.equal(
      formatBarmanTime(new Date('2024-12-15T06:00:03Z'), 0, 812345),
      '2024-12-15 06:00:03.812345+00:00',
    );
  });
});
