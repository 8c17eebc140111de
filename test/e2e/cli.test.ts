// The CLI as a user meets it: help, version, mistakes on the command line and in the configuration.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { VERSION } from '../../src/cli/version.js';
import { runPgdr } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('pgdr command line', () => {
  it('prints its version', async () => {
    const r = await runPgdr(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `pgdr ${VERSION}\n`);
  });

  it('lists every command and the exit codes in help', async () => {
    const r = await runPgdr(['help']);
    assert.equal(r.code, 0);
    for (const name of COMMAND_NAMES) assert.match(r.stdout, new RegExp(`^  ${name}\\s`, 'm'));
    assert.match(r.stdout, /^\s+13 {2}NO_BACKUPS/m);
  });

  for (const name of COMMAND_NAMES) {
    it(`has --help for ${name}`, async () => {
      const r = await runPgdr([...name.split(' '), '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^pgdr ${name} — `));
      assert.match(r.stdout, /Usage: pgdr /);
    });
  }

  it('refuses an unknown command with a suggestion', async () => {
    const r = await runPgdr(['backup', 'lsit']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'pgdr: error: unknown command: backup lsit\nhint: did you mean: ' +
        COMMAND_NAMES.filter((n) => n.startsWith('backup '))
          .map((n) => `pgdr ${n}`)
          .join(', ') +
        '\n',
    );
  });

  it('refuses an unknown flag', async () => {
    const r = await runPgdr(['status', '--colour']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^pgdr: error: status: Unknown option '--colour'/);
    assert.match(r.stderr, /\nhint: see: pgdr status --help\n$/);
  });

  it('refuses a bad --format value', async () => {
    const r = await runPgdr([
      'backup',
      'list',
      '--format',
      'yaml',
      '--destination-path',
      'file:///x',
      '--server-name',
      'a',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format must be one of table, json \(got 'yaml'\)/);
  });

  it('explains a missing configuration', async () => {
    const r = await runPgdr(['status'], { cwd: dir });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /hint: no pgdr\.yaml here/);
  });

  it('reports a configuration mistake with the field path', async () => {
    writeFileSync(join(dir, 'pgdr.yaml'), 'serverName: db\nobjectStore:\n  destinationPath: ftp://x\n');
    const r = await runPgdr(['status'], { cwd: dir });
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^pgdr: error: objectStore\.destinationPath: must start with s3:\/\/, gs:\/\/ or file:\/\//,
    );
    assert.match(r.stderr, /hint: fix pgdr\.yaml/);
  });

  it('reports a missing local repository as BUCKET_MISSING', async () => {
    const r = await runPgdr(['status', '--destination-path', `file://${dir}/nope`, '--server-name', 'db'], {
      cwd: '/',
    });
    assert.equal(r.code, 12);
    assert.match(r.stderr, /hint: check objectStore\.destinationPath, or create it/);
  });
});
