import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { MIN_NODE_MAJOR, nodeTooOld } from '../../src/cli/node-version.js';

it("MIN_NODE_MAJOR is package.json's engines", () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  };
  assert.equal(pkg.engines.node, `>=${MIN_NODE_MAJOR}`);
});

it('refuses a Node.js line older than MIN_NODE_MAJOR, naming both versions', () => {
  const older = `v${MIN_NODE_MAJOR - 1}.9.0`;
  assert.equal(nodeTooOld(older), `pgdr needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${older}`);
  assert.equal(nodeTooOld('v8.17.0'), `pgdr needs Node.js ${MIN_NODE_MAJOR} or newer; this is v8.17.0`);
  assert.match(nodeTooOld('not a version') ?? '', /needs Node\.js/);
  assert.equal(nodeTooOld(`v${MIN_NODE_MAJOR}.0.0`), undefined);
  assert.equal(nodeTooOld(`v${MIN_NODE_MAJOR + 4}.1.0`), undefined);
  assert.equal(nodeTooOld(`v${MIN_NODE_MAJOR * 10}.0.0`), undefined);
  assert.equal(nodeTooOld(process.version), undefined);
});
