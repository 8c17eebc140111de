// The shared copy of pgdr's PostgreSQL binaries lives in the temp folder, which every local user can write:
// a copy planted there by someone else must never be used (pgdr runs its postgres --version, as root when root).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPgdrError } from '../../src/errors.js';
import { sharedCopyOfNative } from '../../src/postgres/shared-copy.js';

describe('sharedCopyOfNative', () => {
  let src: string;
  const targets: string[] = [];
  const version = () => {
    const v = `0.test-${randomBytes(4).toString('hex')}`;
    targets.push(join(tmpdir(), `pgdr-embedded-postgres-${v}`));
    return v;
  };

  before(async () => {
    src = await fsp.mkdtemp(join(tmpdir(), 'pgdr-native-'));
    await fsp.mkdir(join(src, 'native', 'bin'), { recursive: true });
    await fsp.mkdir(join(src, 'native', 'lib'));
    await fsp.writeFile(join(src, 'native', 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o700 });
    await fsp.writeFile(join(src, 'native', 'lib', 'libpq.so.5'), 'ELF', { mode: 0o600 });
  });
  after(async () => {
    for (const t of [src, ...targets]) await fsp.rm(t, { recursive: true, force: true });
  });

  it('copies the native tree once, readable and runnable by all', async () => {
    const v = version();
    const bin = await sharedCopyOfNative(join(src, 'native', 'bin'), v);
    assert.equal(bin, join(targets.at(-1)!, 'bin'));
    assert.equal((await fsp.stat(targets.at(-1)!)).mode & 0o777, 0o755);
    assert.equal((await fsp.stat(join(bin, 'postgres'))).mode & 0o777, 0o755);
    assert.equal((await fsp.stat(join(bin, '..', 'lib', 'libpq.so.5'))).mode & 0o777, 0o644);
    assert.equal(await sharedCopyOfNative(join(src, 'native', 'bin'), v), bin);
  });

  it('refuses a copy that others may write to', async () => {
    const v = version();
    const planted = targets.at(-1)!;
    await fsp.mkdir(join(planted, 'bin'), { recursive: true });
    await fsp.writeFile(join(planted, '.complete'), `${v}\n`);
    await fsp.writeFile(join(planted, 'bin', 'postgres'), '#!/bin/sh\necho planted\n', { mode: 0o755 });
    await fsp.chmod(planted, 0o777);
    await assert.rejects(sharedCopyOfNative(join(src, 'native', 'bin'), v), (e) => {
      assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'));
      assert.match(
        e.message,
        new RegExp(`^${planted.replace(/[.]/g, '\\.')} was not made by pgdr \\(owner uid \\d+, mode 777\\)$`),
      );
      assert.match(e.hint ?? '', /^remove it \(rm -rf /);
      return true;
    });
  });
});
