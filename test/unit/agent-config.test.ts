import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stateFilePath } from '../../src/agent/state-file.js';
import { loadConfig } from '../../src/config/load.js';
import { PgdrError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-agent-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function load(extra: string) {
  const file = join(dir, 'pgdr.yaml');
  writeFileSync(file, `serverName: db\nobjectStore:\n  destinationPath: file:///tmp/repo\n${extra}`);
  return loadConfig({ overrides: { configFile: file }, env: {}, cwd: dir });
}

function problems(extra: string): string {
  try {
    load(extra);
  } catch (e) {
    assert.ok(e instanceof PgdrError && e.code === 'CONFIG_INVALID', String(e));
    return `${e.message}\n${e.hint}`;
  }
  return assert.fail('expected CONFIG_INVALID');
}

describe('agent configuration', () => {
  it('defaults: no schedule, monthly drills, 127.0.0.1:9187, 1800 s retention interval', () => {
    const a = load('').agent;
    assert.deepEqual(a, {
      schedule: undefined,
      drillSchedule: '0 2 1 * *',
      listen: { host: '127.0.0.1', port: 9187 },
      stateFile: undefined,
      retentionPolicyIntervalSeconds: 1800,
      minimumRedundancy: 0,
      lockStaleSeconds: 900,
    });
  });
  it('reads schedule, drill.schedule and the agent section', () => {
    const a = load(
      'schedule: "0 0 6 * * *"\ndrill:\n  schedule: "@monthly"\nagent:\n  listen: "[::1]:0"\n  stateFile: /var/lib/pgdr/s.json\n  retentionPolicyIntervalSeconds: 60\n',
    ).agent;
    assert.equal(a?.schedule, '0 0 6 * * *');
    assert.equal(a?.drillSchedule, '@monthly');
    assert.deepEqual(a?.listen, { host: '::1', port: 0 });
    assert.equal(a?.stateFile, '/var/lib/pgdr/s.json');
    assert.equal(a?.retentionPolicyIntervalSeconds, 60);
    assert.equal(load('agent:\n  listen: "off"\n').agent?.listen, undefined);
  });
  it('refuses a malformed schedule with the field and a hint', () => {
    const m = problems('schedule: "0 0 25 * * *"\n');
    assert.match(m, /^schedule: invalid cron: hour '25': 25 is out of range 0-23/);
    assert.match(m, /"0 0 6 \* \* \*"/);
    assert.match(problems('schedule: "0 0 0 30 2 *"\n'), /^schedule: .*never fires/);
    assert.match(problems('drill:\n  schedule: "every day"\n'), /^drill.schedule: invalid cron/);
  });
  it('refuses a malformed retention policy and bad agent fields', () => {
    assert.match(problems('retentionPolicy: "14 days"\n'), /^retentionPolicy: .*accepted: '14d'/);
    assert.match(problems('agent:\n  listen: 9187\n'), /agent.listen: must be HOST:PORT/);
    assert.match(problems('agent:\n  stateFile: state.json\n'), /agent.stateFile: must be an absolute path/);
    assert.match(
      problems('agent:\n  retentionPolicyIntervalSeconds: 0\n'),
      /retentionPolicyIntervalSeconds: must be a whole number/,
    );
    assert.match(problems('agent:\n  shedule: x\n'), /agent.shedule: unknown field/);
  });
  it('the state file defaults under $XDG_STATE_HOME, per server', () => {
    assert.equal(
      stateFilePath({ configured: undefined, serverName: 'db', env: { XDG_STATE_HOME: '/s' } }),
      '/s/pgdr/db.agent.json',
    );
    assert.equal(
      stateFilePath({ configured: undefined, serverName: 'db', env: { HOME: '/h' } }),
      '/h/.local/state/pgdr/db.agent.json',
    );
    assert.equal(stateFilePath({ configured: '/x.json', serverName: 'db', env: {} }), '/x.json');
  });
});
