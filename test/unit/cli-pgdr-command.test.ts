// The pgdr that the commands written into PostgreSQL run: the configured one, else the `pgdr` on PATH as
// named there (an npm bin link survives upgrades), with a warning when that path will not last; never node.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findPgdrCommand } from '../../src/cli/pgdr-command.js';
import type { PgdrConfig } from '../../src/config/types.js';
import { PGDR_EXECUTABLE } from '../../src/pgdr-executable.js';
import { caught } from '../helpers/caught.js';

const root = mkdtempSync(join(tmpdir(), 'pgdr-command-'));
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));

/** A pgdr package folder (package.json and an executable bin/pgdr) at dir. */
function pkg(dir: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'package.json'), '{"name": "pgdr"}\n');
  writeFileSync(join(dir, 'bin', 'pgdr'), '#!/bin/sh\n', { mode: 0o755 });
  return join(dir, 'bin', 'pgdr');
}

/** An npm global install into prefix: PREFIX/bin/pgdr -> ../lib/node_modules/pgdr/bin/pgdr. */
function installed(prefix: string): string {
  pkg(join(prefix, 'lib', 'node_modules', 'pgdr'));
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  symlinkSync('../lib/node_modules/pgdr/bin/pgdr', join(prefix, 'bin', 'pgdr'));
  return join(prefix, 'bin', 'pgdr');
}

const config = (pgdrCommand?: string) =>
  ({ serverName: 's', objectStore: {}, postgres: {}, source: 'test', pgdrCommand }) as unknown as PgdrConfig;

describe('the pgdr written into PostgreSQL commands', () => {
  const usrLocal = installed(join(root, 'usr-local'));
  const checkout = pkg(join(root, 'src', 'pgdr'));
  mkdirSync(join(root, 'linked', 'bin'), { recursive: true });
  symlinkSync(checkout, join(root, 'linked', 'bin', 'pgdr'));
  const nvm = installed(join(root, '.nvm', 'versions', 'node', 'v22.11.0'));

  it('is the configured path as given, without warnings, even a checkout', async () => {
    assert.deepEqual(await findPgdrCommand(config(checkout), { PATH: dirname(usrLocal) }), {
      path: checkout,
      from: 'config',
      warnings: [],
    });
    const e = await caught(findPgdrCommand(config(join(root, 'nope')), {}));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /nope is not an executable file/);
  });

  it('else the first pgdr on PATH, as named there (the npm bin link, not its target); relative entries skipped', async () => {
    const found = await findPgdrCommand(config(), { PATH: `bin:${dirname(usrLocal)}:${dirname(nvm)}` });
    assert.equal(found.path, usrLocal);
    assert.equal(found.from, 'PATH');
    // An installed package: only the note that it is another installation than the one running.
    assert.equal(found.warnings.length, 1, found.warnings.join('\n'));
    assert.match(found.warnings[0]!, /is not the one running now/);
  });

  it('warns when the pgdr on PATH runs a source checkout, or lies in a folder of one node version', async () => {
    const linked = await findPgdrCommand(config(), { PATH: join(root, 'linked', 'bin') });
    assert.equal(linked.path, join(root, 'linked', 'bin', 'pgdr'));
    assert.ok(
      linked.warnings.some((w) => w.includes(`runs the source checkout ${join(root, 'src', 'pgdr')}`)),
      linked.warnings.join('\n'),
    );
    const versioned = await findPgdrCommand(config(), { PATH: dirname(nvm) });
    assert.ok(
      versioned.warnings.some((w) => w.includes('lies in a folder of one node version')),
      versioned.warnings.join('\n'),
    );
    assert.ok(!versioned.warnings.some((w) => w.includes('checkout')), versioned.warnings.join('\n'));
    // This checkout's own bin/pgdr: the one running, but a checkout.
    const own = await findPgdrCommand(config(), { PATH: dirname(PGDR_EXECUTABLE) });
    assert.equal(own.warnings.length, 1, own.warnings.join('\n'));
    assert.match(own.warnings[0]!, /runs the source checkout/);
  });

  it('refuses when there is none, saying how to set one', async () => {
    const e = await caught(findPgdrCommand(config(), { PATH: `/nonexistent:${root}` }));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /no pgdr on PATH/);
    assert.match(e.hint ?? '', /pgdrCommand: \/ABSOLUTE\/PATH\/TO\/pgdr/);
    assert.equal((await caught(findPgdrCommand(config(), {}))).code, 'CONFIG_INVALID');
  });

  it('as root, refuses a pgdr the server user cannot reach', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('servers run as ourselves when not root');
    const hidden = join(root, 'hidden');
    const exe = pkg(join(hidden, 'pgdr'));
    chmodSync(hidden, 0o700);
    const e = await caught(findPgdrCommand(config(exe), {}));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(
      e.message,
      new RegExp(`server user 'postgres' cannot run ${exe} \\(${hidden} is not reachable\\)`),
    );
  });
});
