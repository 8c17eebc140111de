// scripts/failures-reporter.mjs, which the test summary at the end of `npm test` reads: one line per failed
// test (a suite that fails only because a test in it failed is not listed again), none for a passing run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('../../../scripts/failures-reporter.mjs', import.meta.url));
// A node --test started from inside a test run reports to its parent instead, unless told it is a run of its own.
const OWN_RUN = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));

describe('the failed-tests reporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdr-reporter-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function report(source: string): { status: number | null; lines: string[] } {
    const file = join(dir, `t${Math.random().toString(36).slice(2)}.test.mjs`);
    const out = `${file}.failures`;
    writeFileSync(file, source);
    const r = spawnSync(
      process.execPath,
      ['--test', `--test-reporter=${REPORTER}`, `--test-reporter-destination=${out}`, file],
      { cwd: dir, encoding: 'utf8', env: OWN_RUN },
    );
    return {
      status: r.status,
      lines: readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    };
  }

  it('names each failed test with its file and the first lines of its error', () => {
    const r = report(`
      import assert from 'node:assert/strict';
      import { describe, it } from 'node:test';
      describe('a suite', () => {
        it('passes', () => {});
        it('fails an assertion', () => assert.equal(1, 2, 'one is not two'));
        it('throws', () => { throw new Error('first\\n\\nsecond'); });
      });
      it('fails at the top', async () => { throw new RangeError('out of range'); });
    `);
    assert.notEqual(r.status, 0);
    assert.equal(r.lines.length, 3, r.lines.join('\n'));
    assert.match(r.lines[0]!, /^t\w+\.test\.mjs: fails an assertion: one is not two\b/);
    assert.match(r.lines[1]!, /^t\w+\.test\.mjs: throws: first \/ second$/);
    assert.match(r.lines[2]!, /^t\w+\.test\.mjs: fails at the top: out of range$/);
  });

  it('writes nothing for a passing run', () => {
    const r = report(`import { it } from 'node:test'; it('passes', () => {});`);
    assert.equal(r.status, 0);
    assert.deepEqual(r.lines, []);
  });
});
