// Which backup an incremental starts from, and which chains status and backup list name as broken: the pure
// decisions behind `backup create --incremental` (a refusal before anything is written) and the agent's
// scheduled incremental (no parent: a full backup instead).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupInfo } from '../../src/catalog/backup-info.js';
import { verdict } from '../../src/catalog/recovery-verdict.js';
import { noParentError, pickParent } from '../../src/engine/backup/incremental-parent.js';
import { brokenChains, withChainWarnings } from '../../src/engine/status-chains.js';
import { isPgdrError } from '../../src/errors.js';
import { backup, id, NOW, type Spec } from '../helpers/retention-fixtures.js';

const SYS = '7400000000000000001';
const full = (n: number, s: Spec = {}, systemid = SYS): BackupInfo => ({ ...backup(n, s), systemid });
const inc = (n: number, parent: number, s: Spec = {}): BackupInfo => ({
  ...full(n, s),
  parentBackupId: id(parent),
});
const q = { serverName: 'pg', systemId: SYS, timeline: 1 };

describe('pickParent', () => {
  it('finds nothing on an empty server, and the refusal is NOT_FOUND', () => {
    assert.equal(pickParent([], q), undefined);
    assert.equal(noParentError(q).code, 'NOT_FOUND');
  });

  it('takes the newest DONE backup of this system and timeline, full or incremental', () => {
    const all = [
      full(1),
      inc(2, 1),
      full(3, { status: 'FAILED' }),
      full(4, {}, 'other'),
      full(5, { tli: 2 }),
    ];
    assert.equal(pickParent(all, q)?.backupId, id(2));
  });

  it('skips an incremental whose full backup is gone: the agent then takes a full backup', () => {
    assert.equal(pickParent([inc(2, 1), inc(3, 2)], q), undefined);
    assert.equal(pickParent([full(1, { status: 'FAILED' }), inc(2, 1)], q), undefined);
  });

  it('falls back to an older whole chain when the newest lost its full backup', () => {
    assert.equal(pickParent([full(1), inc(2, 1), inc(4, 3)], q)?.backupId, id(2));
  });

  it('refuses a --from that is missing, FAILED, of another system or on a broken chain', () => {
    const all = [full(1, { status: 'FAILED' }), full(2, {}, 'other'), inc(4, 3), full(5)];
    const code = (from: string) => {
      try {
        pickParent(all, { ...q, from });
        return 'accepted';
      } catch (e) {
        return isPgdrError(e) ? e.code : 'not a PgdrError';
      }
    };
    assert.equal(code('20000101T000000'), 'NOT_FOUND');
    assert.equal(code(id(1)), 'REFUSED');
    assert.equal(code(id(2)), 'REFUSED');
    assert.equal(code(id(4)), 'NOT_FOUND');
    assert.equal(pickParent(all, { ...q, from: id(5) })?.backupId, id(5));
  });
});

describe('brokenChains', () => {
  it('names every DONE incremental whose chain lost a link, and the link', () => {
    const fulls = [full(4)];
    const incs = [inc(2, 1), inc(3, 2), inc(5, 4), inc(6, 5, { status: 'FAILED' })];
    assert.deepEqual(brokenChains(fulls, incs), [
      { backupId: id(2), missing: id(1) },
      { backupId: id(3), missing: id(1) },
    ]);
  });

  it('turns an ok verdict into a warning naming the chain', () => {
    const ok = { level: 'ok' as const, text: 'ok: fine', reasons: [] };
    const v = withChainWarnings(ok, [{ backupId: id(3), missing: id(1) }]);
    assert.equal(v.level, 'warn');
    assert.match(v.text, new RegExp(`incremental backup ${id(3)} cannot be restored.*${id(1)}`));
    const failed = verdict({ doneBackups: [], current: undefined, problems: [] } as never, { now: NOW });
    assert.equal(withChainWarnings(failed, [{ backupId: id(3), missing: id(1) }]).level, 'fail');
  });
});
