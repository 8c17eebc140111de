// Where a restore puts each tablespace: backup.info's location only when it is absolute and normalised, the
// operator's --tablespace otherwise; never two in one folder, never inside the data folder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tablespaceDests } from '../../src/engine/restore/tablespace-dests.js';
import { isPgdrError } from '../../src/errors.js';

const DATA = '/srv/restore/data';
const ts = (name: string, oid: number, location: string) => ({ name, oid, location });

function refused(code: string, fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(isPgdrError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('tablespace destinations', () => {
  it('keeps absolute original locations and applies the map', () => {
    const d = tablespaceDests({
      backupId: 'B',
      tablespaces: [ts('a', 16385, '/srv/ts/a/'), ts('b', 16386, '/srv/ts/b')],
      dataDir: DATA,
      map: { b: '/mnt/fast/../fast/b' },
    });
    assert.deepEqual(d, [
      { name: 'a', oid: 16385, location: '/srv/ts/a/', dest: '/srv/ts/a', mapped: false },
      { name: 'b', oid: 16386, location: '/srv/ts/b', dest: '/mnt/fast/b', mapped: true },
    ]);
    assert.deepEqual(tablespaceDests({ backupId: 'B', tablespaces: null, dataDir: DATA }), []);
  });

  for (const location of ['rel/ts', './ts', '/srv/../etc', '/srv/./ts', '/srv//ts', '', '/srv/t\u0000s']) {
    it(`refuses the location '${location.replace('\u0000', '\\0')}' from backup.info unless mapped`, () => {
      const tablespaces = [ts('t', 16385, location)];
      refused(
        'CATALOG_INVALID',
        () => tablespaceDests({ backupId: 'B', tablespaces, dataDir: DATA }),
        /backup B: tablespace 't' \(oid 16385\) has location .* not an absolute, normalised path/,
      );
      const mapped = tablespaceDests({ backupId: 'B', tablespaces, dataDir: DATA, map: { t: '/x/t' } });
      assert.equal(mapped[0]?.dest, '/x/t');
    });
  }

  it('refuses a relative mapping', () => {
    refused(
      'USAGE',
      () =>
        tablespaceDests({ backupId: 'B', tablespaces: [ts('t', 1, '/a')], dataDir: DATA, map: { t: 'x' } }),
      /not an absolute path/,
    );
  });

  it('refuses two tablespaces in one folder, nested ones, and one inside (or around) the data folder', () => {
    const two = [ts('a', 1, '/srv/ts'), ts('b', 2, '/srv/other')];
    refused(
      'USAGE',
      () => tablespaceDests({ backupId: 'B', tablespaces: two, dataDir: DATA, map: { b: '/srv/ts' } }),
      /'a' and 'b': both go to \/srv\/ts/,
    );
    refused(
      'REFUSED',
      () =>
        tablespaceDests({
          backupId: 'B',
          tablespaces: [ts('a', 1, '/srv/ts'), ts('b', 2, '/srv/ts/inner')],
          dataDir: DATA,
        }),
      /nest/,
    );
    refused(
      'REFUSED',
      () => tablespaceDests({ backupId: 'B', tablespaces: [ts('a', 1, `${DATA}/ts`)], dataDir: DATA }),
      /inside the data folder/,
    );
    refused(
      'USAGE',
      () =>
        tablespaceDests({
          backupId: 'B',
          tablespaces: [ts('a', 1, '/x')],
          dataDir: DATA,
          map: { a: '/srv' },
        }),
      /inside the data folder .* \(or holds it\)/,
    );
  });

  it('refuses a tablespace listed twice', () => {
    refused(
      'CATALOG_INVALID',
      () =>
        tablespaceDests({ backupId: 'B', tablespaces: [ts('a', 1, '/x'), ts('b', 1, '/y')], dataDir: DATA }),
      /listed twice/,
    );
  });
});
