// checkDeltaSource: a --delta folder is updated only from data of its own system and major, whether the data
// comes from a backup (restore --delta) or from the recovered cluster (failback --delta).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBackupInfo } from '../../src/catalog/backup-info.js';
import {
  checkDeltaBackup,
  checkDeltaSource,
  type DeltaFolder,
} from '../../src/engine/restore/delta-target.js';
import { isPgdrError } from '../../src/errors.js';

const folder = (pgVersion: string, systemIdentifier = '7400000000000000001'): DeltaFolder => ({
  folder: { dir: '/data/old-primary', unfinished: null },
  pgVersion,
  systemIdentifier,
});

function refusal(f: () => void): { reason: unknown; message: string; hint: string | undefined } {
  try {
    f();
  } catch (e) {
    assert.ok(isPgdrError(e, 'REFUSED'), String(e));
    return { reason: e.details?.reason, message: e.message, hint: e.hint };
  }
  assert.fail('not refused');
}

describe('checkDeltaSource', () => {
  const source = { what: 'the recovered cluster', systemId: '7400000000000000001', versionNum: 170004 };

  it('passes the same system and major, PostgreSQL 9.6 named as 9.6', () => {
    checkDeltaSource(folder('17'), source);
    checkDeltaSource(folder('9.6'), { ...source, versionNum: 90624 });
  });

  it('refuses another system, naming both identifiers, with the source hint when it has one', () => {
    const r = refusal(() =>
      checkDeltaSource(folder('17', '7400000000000000002'), { ...source, hint: 'own hint' }),
    );
    assert.equal(r.reason, 'system-identifier');
    assert.match(r.message, /7400000000000000002, the recovered cluster has 7400000000000000001/);
    assert.match(r.message, /nothing was changed/);
    assert.equal(r.hint, 'own hint');
  });

  it('refuses another major, a 9.6 folder for a 9.5 source and a "9" folder for 9.6 included', () => {
    assert.equal(refusal(() => checkDeltaSource(folder('16'), source)).reason, 'major');
    assert.equal(
      refusal(() => checkDeltaSource(folder('9.6'), { ...source, versionNum: 90522 })).reason,
      'major',
    );
    const r = refusal(() => checkDeltaSource(folder('9'), { ...source, versionNum: 90624 }));
    assert.match(r.message, /holds PostgreSQL 9, while the recovered cluster is of PostgreSQL 9\.6/);
  });

  it('refuses a backup whose backup.info names no system identifier', () => {
    const backup = parseBackupInfo('status=DONE\nversion=170004\n', '20261206T112311');
    const r = refusal(() => checkDeltaBackup(folder('17'), backup));
    assert.equal(r.reason, 'system-identifier-unknown');
    assert.match(r.message, /backup 20261206T112311: its backup.info has no systemid/);
  });
});
