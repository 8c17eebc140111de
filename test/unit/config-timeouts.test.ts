// objectStore.timeouts: durations as everywhere in pgdr, defaults when absent, and every bad value refused at
// load with its field path (CONFIG_INVALID), rather than found when a store call hangs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_STORE_TIMEOUTS } from '../../src/config/types.js';
import { isPgdrError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-config-timeouts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(timeouts: string | undefined) {
  const file = join(dir, `c${n++}.yaml`);
  const lines = ['serverName: db', 'objectStore:', '  destinationPath: file:///srv/repo'];
  if (timeouts !== undefined) lines.push(`  timeouts: ${timeouts}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return loadConfig({ overrides: { configFile: file }, env: {}, cwd: dir });
}

function problems(timeouts: string): Array<{ path: string; message: string }> {
  try {
    load(timeouts);
  } catch (e) {
    assert.ok(isPgdrError(e, 'CONFIG_INVALID'), String(e));
    assert.match(e.hint ?? '', /configuration reference: docs\/configuration\.md/);
    return e.details?.problems as Array<{ path: string; message: string }>;
  }
  assert.fail(`objectStore.timeouts: ${timeouts} was accepted`);
}

describe('objectStore.timeouts', () => {
  it('defaults when absent: connect 10s, request 60s, operation 5m, command 2m', () => {
    assert.deepEqual(load(undefined).objectStore.timeouts, DEFAULT_STORE_TIMEOUTS);
    assert.deepEqual(DEFAULT_STORE_TIMEOUTS, {
      connectMs: 10_000,
      requestMs: 60_000,
      operationMs: 300_000,
      commandMs: 120_000,
    });
  });

  it('reads durations in pgdr syntax; unset fields keep their default', () => {
    assert.deepEqual(load('{ connect: 2s, request: 90s, command: 1m30s }').objectStore.timeouts, {
      connectMs: 2000,
      requestMs: 90_000,
      operationMs: 300_000,
      commandMs: 90_000,
    });
  });

  it('a request deadline beyond a default moves that default along; set against each other, refused', () => {
    assert.deepEqual(load('{ request: 10m }').objectStore.timeouts, {
      connectMs: 10_000,
      requestMs: 600_000,
      operationMs: 600_000,
      commandMs: 120_000,
    });
    assert.equal(load('{ request: 5s }').objectStore.timeouts?.connectMs, 5000);
  });

  it('refuses bad values with the field path', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['{ request: 60 }', 'objectStore.timeouts.request', /a number needs a unit: 60s/],
      ['{ command: soon }', 'objectStore.timeouts.command', /must be a duration from 1s to 24h.*got "soon"/],
      ['{ connect: 0s }', 'objectStore.timeouts.connect', /must be a duration from 1s to 24h/],
      ['{ operation: 2d }', 'objectStore.timeouts.operation', /must be a duration from 1s to 24h/],
      [
        '{ read: 5s }',
        'objectStore.timeouts.read',
        /unknown field \(known: connect, request, operation, command\)/,
      ],
      ['60s', 'objectStore.timeouts', /must be a mapping/],
      [
        '{ request: 10m, operation: 5m }',
        'objectStore.timeouts.operation',
        /must be at least objectStore\.timeouts\.request \(10m\)/,
      ],
      [
        '{ connect: 2m }',
        'objectStore.timeouts.connect',
        /must be at most objectStore\.timeouts\.request \(1m\)/,
      ],
    ];
    for (const [text, path, message] of cases) {
      const found = problems(text);
      assert.equal(found.length, 1, `${text}: ${JSON.stringify(found)}`);
      assert.equal(found[0]!.path, path, text);
      assert.match(found[0]!.message, message, text);
    }
  });
});
