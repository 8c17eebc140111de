// Global flags where git and kubectl users put them: before the command as well as after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runPgdr } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-global-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'x.yaml');
writeFileSync(file, 'serverName: from-file\nobjectStore:\n  destinationPath: file:///srv/backups\n');

interface Shown {
  file: { path: string } | null;
  config: { serverName: string; objectStore: { destinationPath: string; endpointURL?: string } };
}

async function show(args: string[]): Promise<Shown> {
  // cwd has no pgdr.yaml: only the flags say where the configuration is.
  const r = await runPgdr(args, { cwd: dir });
  assert.equal(r.code, 0, `pgdr ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Shown;
}

describe('global flags before the command', () => {
  it('--config and --format before the command, in every spelling', async () => {
    for (const before of [
      ['--config', file, '--format', 'json'],
      ['-c', file, '-o', 'json'],
      [`--config=${file}`, '--format=json'],
      [`-c${file}`, '-ojson'],
    ]) {
      const v = await show([...before, 'config', 'show']);
      assert.equal(v.file?.path, file, before.join(' '));
      assert.equal(v.config.serverName, 'from-file');
    }
  });

  it('--server-name, --destination-path and --endpoint-url before the command override the file', async () => {
    const v = await show([
      '--config',
      file,
      '--server-name',
      'db2',
      '--destination-path',
      's3://bucket/path',
      '--endpoint-url',
      'http://127.0.0.1:9000',
      'config',
      'show',
      '-o',
      'json',
    ]);
    assert.equal(v.config.serverName, 'db2');
    assert.equal(v.config.objectStore.destinationPath, 's3://bucket/path');
    assert.equal(v.config.objectStore.endpointURL, 'http://127.0.0.1:9000');
  });

  it('the same as after the command; after it wins when both are given', async () => {
    const before = await show(['--config', file, '-o', 'json', 'config', 'show']);
    const afterCmd = await show(['config', 'show', '--config', file, '-o', 'json']);
    assert.deepEqual(before, afterCmd);
    const both = await show([
      '--server-name',
      'a',
      '-c',
      file,
      'config',
      'show',
      '--server-name',
      'b',
      '-o',
      'json',
    ]);
    assert.equal(both.config.serverName, 'b');
  });

  it('before a two-word command and before help', async () => {
    const r = await runPgdr(['--config', file, '-o', 'json', 'backup', 'list'], { cwd: dir });
    // /srv/backups does not exist: the store's own error, as JSON, proves the flags reached the command.
    assert.equal(r.code, 12, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.name, 'BUCKET_MISSING');
    const h = await runPgdr(['-o', 'json', 'help', 'backup', 'list'], { cwd: dir });
    assert.equal(h.code, 0, h.stderr);
    assert.equal(JSON.parse(h.stdout).name, 'backup list');
  });

  it('refuses another flag before the command, saying where it goes', async () => {
    const r = await runPgdr(['--dry-run', 'backup', 'delete', 'oldest'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^pgdr: error: --dry-run cannot come before the command\nhint: put it after the command/,
    );
    const j = await runPgdr(['-o', 'json', '--yes', 'replica', 'promote'], { cwd: dir });
    assert.equal(j.code, 2);
    assert.equal(JSON.parse(j.stdout).error.name, 'USAGE');
  });

  it('refuses a global flag without its value', async () => {
    const r = await runPgdr(['--config', '--format', 'json', 'status'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--config needs a value/);
  });

  it('a command that does not take the flag refuses it as it would after the command', async () => {
    const r = await runPgdr(['--server-name', 'x', 'postgres', 'list'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /postgres list: Unknown option '--server-name'/);
  });

  it('the help says so', async () => {
    const overview = await runPgdr(['help']);
    assert.match(overview.stdout, /Global flags \(before or after the command\)/);
    const status = await runPgdr(['status', '--help']);
    assert.match(status.stdout, /may also come before the command: pgdr --config FILE -o json COMMAND/);
  });
});
