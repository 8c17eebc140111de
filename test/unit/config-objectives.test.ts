// objectives: one place for the RPO, RTO, backup and drill ages; durations in pgdr's syntax (m is minutes),
// every bad value refused at load with its field path; flags over the file over the defaults.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_OBJECTIVES, objectivesOf } from '../../src/config/objectives.js';
import { isPgdrError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-config-objectives-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(extra: string | undefined) {
  const file = join(dir, `c${n++}.yaml`);
  const lines = ['serverName: db', 'objectStore:', '  destinationPath: file:///srv/repo'];
  if (extra !== undefined) lines.push(extra);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return loadConfig({ overrides: { configFile: file }, env: {}, cwd: dir });
}

function problems(extra: string): Array<{ path: string; message: string }> {
  try {
    load(extra);
  } catch (e) {
    assert.ok(isPgdrError(e, 'CONFIG_INVALID'), String(e));
    return e.details?.problems as Array<{ path: string; message: string }>;
  }
  assert.fail(`${extra} was accepted`);
}

describe('objectives', () => {
  it('defaults when absent: rpo 6m, rto 30m, backupAge 26h, drillAge 35d', () => {
    assert.equal(load(undefined).objectives, undefined);
    assert.deepEqual(objectivesOf(undefined), {
      rpoMs: 6 * 60_000,
      rtoMs: 30 * 60_000,
      backupAgeMs: 26 * 3_600_000,
      drillAgeMs: 35 * 86_400_000,
    });
    assert.deepEqual(objectivesOf(undefined), DEFAULT_OBJECTIVES);
  });

  it('reads the section; unset objectives keep their default; a flag overrides the file', () => {
    const c = load('objectives: { rpo: 5m, rto: 1h30m, backupAge: 26h, drillAge: 5w }');
    assert.deepEqual(c.objectives, {
      rpoMs: 300_000,
      rtoMs: 5_400_000,
      backupAgeMs: 93_600_000,
      drillAgeMs: 35 * 86_400_000,
    });
    const some = load('objectives: { rpo: 90s }').objectives;
    assert.deepEqual(objectivesOf(some), { ...DEFAULT_OBJECTIVES, rpoMs: 90_000 });
    assert.deepEqual(objectivesOf(some, { rpoMs: 1000, rtoMs: undefined }), {
      ...DEFAULT_OBJECTIVES,
      rpoMs: 1000,
    });
  });

  it('refuses every bad value with its path; 1m for an age is a month written the CloudNativePG way', () => {
    const p = problems('objectives: { rpo: 5, rto: soon, drillAge: 1m, backupAge: 30m, rtoo: 1h }');
    const by = new Map(p.map((x) => [x.path, x.message]));
    assert.match(by.get('objectives.rpo') ?? '', /a number needs a unit: 5m/);
    assert.match(by.get('objectives.rto') ?? '', /must be a duration such as 5m, 26h, 35d \(m is minutes/);
    assert.match(
      by.get('objectives.drillAge') ?? '',
      /m means minutes here \(only retentionPolicy reads 1m as a month\)/,
    );
    assert.match(by.get('objectives.backupAge') ?? '', /1800 seconds/);
    assert.match(by.get('objectives.rtoo') ?? '', /unknown field \(known: rpo, rto, backupAge, drillAge\)/);
    assert.equal(p.length, 5);
    assert.match(problems('objectives: 5m')[0]!.message, /must be a mapping/);
  });

  it('retentionPolicy keeps 1m as a month, and says so where it is refused', () => {
    assert.equal(load('retentionPolicy: 1m').retentionPolicy, '1m');
    const [p] = problems('retentionPolicy: 1 month');
    assert.match(p!.message, /1m is a month here, while every other duration in pgdr reads m as minutes/);
  });
});
