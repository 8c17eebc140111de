// The README is the contract newcomers and scripts read: it must name every command and every exit code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { ERRORS } from '../../src/errors.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

it('README opens with exactly the two commands: the main job and the tests', () => {
  const blocks = [...readme.matchAll(/```sh\n([^`]*)```/g)].slice(0, 2).map((m) => m[1]?.trim());
  assert.deepEqual(blocks, ['npm ci && npm run demo', 'bash scripts/setup.sh && npm ci && npm test']);
  assert.ok(readme.indexOf('```sh') < readme.indexOf('## '), 'the commands come before any section');
});

it('README lists every exit code with its number', () => {
  for (const [name, spec] of Object.entries(ERRORS)) {
    assert.match(
      readme,
      new RegExp(`^\\| ${spec.exitCode} \\| ${name} \\|`, 'm'),
      `${name} (${spec.exitCode})`,
    );
  }
});

it('README documents every command', () => {
  for (const name of COMMAND_NAMES) assert.match(readme, new RegExp(`\`pgdr ${name}[ \`]`), name);
});
