// pgdr on a Node.js older than it supports (npm only warns about engines): a USAGE error naming both versions,
// in text and in JSON, whether started as bin/pgdr or bin.js, instead of a crash or a half-working CLI. The
// older node comes from the npm registry (test/helpers/node-binary.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { MIN_NODE_MAJOR } from '../../src/cli/node-version.js';
import { PGDR_BIN, PGDR_EXE } from '../helpers/cli.js';
import { nodeBinary } from '../helpers/node-binary.js';

describe(`pgdr on Node.js ${MIN_NODE_MAJOR - 2}`, () => {
  const node = nodeBinary(MIN_NODE_MAJOR - 2);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const refusal = `pgdr: error: pgdr needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${version}\nhint: `;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };

  it('refuses with USAGE and says which Node.js it needs', () => {
    for (const args of [['--version'], ['status', '--server-name', 'x']]) {
      const r = spawnSync(node, [PGDR_BIN, ...args], { encoding: 'utf8', env });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(refusal), r.stderr);
      assert.match(r.stderr, /PGDR_NODE/);
    }
  });

  it('refuses in JSON with --format json', () => {
    const r = spawnSync(node, [PGDR_BIN, 'backup', 'list', '--format', 'json'], { encoding: 'utf8', env });
    assert.equal(r.status, 2, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { code: number; name: string; message: string } };
    assert.equal(error.code, 2);
    assert.equal(error.name, 'USAGE');
    assert.equal(error.message, `pgdr needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${version}`);
  });

  it('refuses through bin/pgdr with PGDR_NODE naming it', () => {
    const r = spawnSync(PGDR_EXE, ['help'], { encoding: 'utf8', env: { ...env, PGDR_NODE: node } });
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.startsWith(refusal), r.stderr);
  });
});
