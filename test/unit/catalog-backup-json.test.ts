import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseBackupInfo } from '../../src/catalog/backup-info.js';
import { backupListJson, backupShowJson, backupToJson } from '../../src/catalog/backup-json.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/catalog/${name}`, import.meta.url), 'utf8');

// The expected JSON is what the real barman 3.4 code printed for these files (fixtures/catalog/generate.py).
const done = parseBackupInfo(fixture('barman34-done.backup.info'), '20241215T060000');
const failed = parseBackupInfo(fixture('barman34-failed.backup.info'), '20241216T060000');

describe('backupToJson (BackupInfo.to_json of barman 3.4)', () => {
  it('gives barman-cloud-backup-list --format json, field by field and in key order', () => {
    const expected = JSON.parse(fixture('barman34-list.json.out')) as {
      backups_list: Array<Record<string, unknown>>;
    };
    const ours = backupListJson([failed, done]);
    assert.equal(ours.backups_list.length, 2);
    expected.backups_list.forEach((want, i) => {
      const got = ours.backups_list[i] as Record<string, unknown>;
      assert.deepEqual(Object.keys(got), Object.keys(want));
      for (const key of Object.keys(want)) assert.deepEqual(got[key], want[key], key);
    });
  });

  it('gives barman-cloud-backup-show --format json keyed by server_name', () => {
    assert.deepEqual(backupShowJson(done), JSON.parse(fixture('barman34-show.json.out')));
  });

  it('adds isoformat times on request, as newer barman does', () => {
    const json = backupToJson(failed, { isoTimes: true });
    assert.equal(json['begin_time'], 'Mon Dec 16 08:00:00 2024');
    assert.equal(json['begin_time_iso'], '2024-12-16T08:00:00+02:00');
    assert.equal('end_time_iso' in json, false);
    assert.deepEqual(Object.keys(json).slice(-2), ['backup_id', 'begin_time_iso']);
  });

  it('keeps keys barman 3.4 does not know: typed where newer barman types them, else as strings', () => {
    const info = parseBackupInfo(fixture('doc-example.backup.info'), '20241215T060000');
    const json = backupToJson(info);
    assert.equal(json['cluster_size'], 30454319);
    assert.equal(json['data_checksums'], 'on');
    assert.equal(json['children_backup_ids'], null);
    assert.deepEqual(json['copy_stats'], {
      total_time: 2.31,
      number_of_workers: 2,
      analysis_time: 0,
      analysis_time_per_item: { data: 0 },
      copy_time_per_item: { data: 1.9 },
      serialized_copy_time_per_item: { data: 1.2 },
      copy_time: 1.9,
      serialized_copy_time: 1.2,
    });
    assert.equal(json['begin_time'], 'Sun Dec 15 06:00:00 2024');
    assert.equal(json['backup_name'], 'backup-20241215060000');
    const odd = backupToJson(
      parseBackupInfo('status=DONE\nfuture_thing=1\nfuture_none=None\n', '20240101T000000'),
    );
    assert.equal(odd['future_thing'], '1');
    assert.equal(odd['future_none'], null);
    assert.equal(odd['xlog_segment_size'], 16777216);
    assert.equal('backup_name' in odd, false);
    assert.equal('snapshots_info' in odd, false);
  });

  it('renders backup_label through repr (None when empty), as null_repr does', () => {
    const dq = backupToJson(parseBackupInfo('backup_label="it\'s"\n', 'x'));
    assert.equal(dq['backup_label'], `"it's"`);
    const single = backupToJson(parseBackupInfo('backup_label="abc"\n', 'x'));
    assert.equal(single['backup_label'], "'abc'");
    assert.equal(backupToJson(parseBackupInfo("backup_label=''\n", 'x'))['backup_label'], null);
  });
});
