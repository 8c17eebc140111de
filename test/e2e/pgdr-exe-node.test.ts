// bin/pgdr finds node without help from PATH when installed by npm: PostgreSQL runs restore_command and
// archive_command with the server's environment, whose PATH often lacks node (nvm, /opt/node, Homebrew), and
// the commands pgdr writes never name node's path.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/cli/version.js';
import { PGDR_EXE } from '../helpers/cli.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const run = (file: string, env: NodeJS.ProcessEnv, args = ['--version']) =>
  new Promise<Run>((resolve) => {
    execFile(file, args, { env }, (e, stdout, stderr) =>
      resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
    );
  });

describe('bin/pgdr finds node', () => {
  let root: string;
  let prefix: string;
  /** A PATH with what bin/pgdr needs besides sh builtins, and no node. */
  let noNodePath: string;
  let nodeLog: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgdr-exe-node-'));
    // An npm global install: PREFIX/bin/pgdr -> ../lib/node_modules/pgdr/bin/pgdr, node in PREFIX/bin.
    prefix = join(root, 'prefix');
    const pkg = join(prefix, 'lib', 'node_modules', 'pgdr');
    await mkdir(join(pkg, 'bin'), { recursive: true });
    await copyFile(PGDR_EXE, join(pkg, 'bin', 'pgdr'));
    await chmod(join(pkg, 'bin', 'pgdr'), 0o755);
    await symlink(join(dirname(dirname(PGDR_EXE)), 'dist'), join(pkg, 'dist'));
    await mkdir(join(prefix, 'bin'));
    await symlink('../lib/node_modules/pgdr/bin/pgdr', join(prefix, 'bin', 'pgdr'));
    noNodePath = join(root, 'tools');
    await mkdir(noNodePath);
    await symlink('/usr/bin/readlink', join(noNodePath, 'readlink'));
    nodeLog = join(root, 'node.log');
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** PREFIX/bin/node: a node that notes each start. */
  const prefixNode = async () => {
    const node = join(prefix, 'bin', 'node');
    await writeFile(node, `#!/bin/sh\necho prefix >>'${nodeLog}'\nexec '${process.execPath}' "$@"\n`, {
      mode: 0o755,
    });
    return node;
  };

  it('with no node on PATH and none in the prefix, fails with 127 saying what to set', async () => {
    const r = await run(join(prefix, 'bin', 'pgdr'), { PATH: noNodePath });
    assert.equal(r.code, 127);
    assert.match(r.stderr, /^pgdr: node not found: .*; set PGDR_NODE\n$/);
  });

  it('runs the node of the npm prefix it is installed in when PATH has none', async () => {
    const node = await prefixNode();
    try {
      const r = await run(join(prefix, 'bin', 'pgdr'), { PATH: noNodePath });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `pgdr ${VERSION}\n`);
      assert.equal(await readFile(nodeLog, 'utf8'), 'prefix\n');
      // PGDR_NODE still decides when set.
      const own = await run(join(prefix, 'bin', 'pgdr'), { PATH: noNodePath, PGDR_NODE: process.execPath });
      assert.equal(own.code, 0, own.stderr);
      assert.equal(await readFile(nodeLog, 'utf8'), 'prefix\n');
    } finally {
      await rm(node);
      await rm(nodeLog, { force: true });
    }
  });

  it('starts node with a 64 MB initial old generation for the commands that move a data directory', async () => {
    const node = join(root, 'logging-node');
    await writeFile(node, `#!/bin/sh\necho "$1" >>'${nodeLog}'\nexec '${process.execPath}' "$@"\n`, {
      mode: 0o755,
    });
    try {
      const env = { PATH: noNodePath, PGDR_NODE: node };
      for (const args of [['restore', '--help'], ['backup', 'create', '--help'], ['--version']]) {
        const r = await run(PGDR_EXE, env, args);
        assert.equal(r.code, 0, r.stderr);
      }
      const entry = `${await realpath(dirname(PGDR_EXE))}/../dist/src/cli/bin.js`;
      assert.equal(
        await readFile(nodeLog, 'utf8'),
        `--initial-old-space-size=64\n--initial-old-space-size=64\n${entry}\n`,
      );
    } finally {
      await rm(node);
      await rm(nodeLog, { force: true });
    }
  });

  it('from a checkout (no npm prefix), node on PATH', async () => {
    const r = await run(PGDR_EXE, { PATH: `${noNodePath}:${dirname(process.execPath)}` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `pgdr ${VERSION}\n`);
  });
});
