// The README's first command, end to end: `pgdr demo` on the embedded default must finish green, bring the
// deleted rows back, and leave no PostgreSQL running and no file behind. A verification made to fail on
// purpose must turn the summary red and the exit code non-zero.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PGDR_BIN, PGDR_COMMAND_ENV, runPgdr } from '../helpers/cli.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function emptyDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pgdr-demo-test-'));
  roots.push(d);
  return d;
}

/** Postmasters whose command line names a folder under dir (their -D). */
function postgresUnder(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes('postgres') && l.includes(dir));
}

/** The summary's rows: scenario title -> result column. */
function summaryRows(stdout: string): Map<string, string> {
  const text = stdout.slice(stdout.lastIndexOf('\nSummary\n'));
  const rows = new Map<string, string>();
  for (const l of text.split('\n').slice(3)) {
    const m = /^(.+?)\s{2,}(passed|FAILED)\s{2,}/.exec(l);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('pgdr demo (embedded PostgreSQL 17, file:// store)', () => {
  it('plays every scenario to a green summary and leaves nothing behind', { timeout: 900_000 }, async () => {
    const dir = emptyDir();
    const r = await runPgdr(['demo', '--dir', dir], { timeoutMs: 900_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rows = summaryRows(r.stdout);
    assert.deepEqual(
      [...rows.keys()],
      [
        'Recovery window and RPO',
        'Scenario 2: PITR after an accidental deletion',
        'Scenario 1: hot standby, primary lost, promotion',
        'Scenario 3: latest recovery after losing the primary',
        'Restore drill with its report',
      ],
      r.stdout,
    );
    for (const [title, result] of rows) assert.equal(result, 'passed', title);
    const back = /deleted rows back in the restored copy: (\d+) of (\d+)/.exec(r.stdout);
    assert.ok(back, r.stdout);
    assert.ok(Number(back[2]) > 0);
    assert.equal(back[1], back[2]);
    assert.match(r.stdout, /all \d+ rows committed in archived WAL are back/);
    assert.match(r.stdout, /All 5 scenarios passed/);
    assert.deepEqual(postgresUnder(dir), []);
    assert.deepEqual(readdirSync(dir), [], 'without --keep the demo removes what it made');
  });

  it('fails with a red summary when a verification fails', { timeout: 600_000 }, async () => {
    const dir = emptyDir();
    const r = await runPgdr(['demo', '--dir', dir, '--keep'], {
      timeoutMs: 600_000,
      env: { PGDR_DEMO_SCENARIOS: 'status,pitr', PGDR_DEMO_FAULT: 'pitr' },
    });
    assert.equal(r.code, 52, `${r.stdout}\n${r.stderr}`);
    const rows = summaryRows(r.stdout);
    assert.equal(rows.get('Recovery window and RPO'), 'passed');
    assert.equal(rows.get('Scenario 2: PITR after an accidental deletion'), 'FAILED');
    assert.match(r.stdout, /1 of 2 scenarios FAILED: pitr\./);
    // Each row also has the scenario's time and its RTO, from the scenario steps and their results.
    assert.match(r.stdout, /\nScenario\s+Result\s+Time\s+RTO measured\s+Data lost\n/);
    assert.match(r.stdout, /\nRecovery window and RPO\s+passed\s+\d+\.\d s\s+-\s+RPO now /);
    assert.match(r.stdout, /deleted rows back in the restored copy: 0 of \d+/);
    assert.deepEqual(postgresUnder(dir), [], '--keep keeps files, never servers');
    assert.ok(readdirSync(dir).includes('repo'), '--keep keeps the files');
  });

  it('answers in JSON with -o json: the narration on stderr, the results on stdout', {
    timeout: 600_000,
  }, async () => {
    const dir = emptyDir();
    const r = await runPgdr(['-o', 'json', 'demo', '--dir', dir], {
      timeoutMs: 600_000,
      env: { PGDR_DEMO_SCENARIOS: 'status' },
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const v = JSON.parse(r.stdout) as {
      results: Array<{
        passed: boolean;
        rtoMs: number | null;
        rtoSeconds: number | null;
        durationMs: number;
      }>;
      steps: Array<{ name: string; title: string; status: string; durationMs: number }>;
      wallMs: number;
      wallSeconds: number;
      root: string;
      kept: boolean;
    };
    assert.equal(v.results.length, 1, r.stdout);
    assert.equal(v.results[0]!.passed, true, r.stdout);
    // The status scenario recovers nothing: no RTO, in either unit.
    assert.equal(v.results[0]!.rtoMs, null);
    assert.equal(v.results[0]!.rtoSeconds, null);
    // The scenarios played, as every step list has them; the same durations as the results'.
    assert.deepEqual(
      v.steps.map((s) => [s.name, s.title, s.status]),
      [['status', 'Recovery window and RPO', 'pass']],
    );
    assert.equal(v.steps[0]!.durationMs, v.results[0]!.durationMs);
    assert.equal(v.wallSeconds, v.wallMs / 1000);
    assert.ok(v.wallMs >= v.steps[0]!.durationMs, r.stdout);
    assert.equal(v.root, dir);
    assert.equal(v.kept, false);
    assert.match(r.stderr, /pgdr status/);
    assert.deepEqual(postgresUnder(dir), []);
  });

  it('stops every server it started when its output is closed (pgdr demo | head)', {
    timeout: 300_000,
  }, async () => {
    const dir = emptyDir();
    const child = spawn(process.execPath, [PGDR_BIN, 'demo', '--dir', dir], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...PGDR_COMMAND_ENV },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // Close the pipe once the primary is up, as `head` does after its lines.
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        seen += d.toString();
        if (postgresUnder(dir).length > 0) {
          child.stdout.destroy();
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.on('exit', (c) => resolve(c));
    });
    assert.notEqual(code, 0, seen);
    assert.deepEqual(postgresUnder(dir), [], 'no server left running');
  });

  it('refuses a folder that is not empty', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'precious'), 'x');
    const r = await runPgdr(['demo', '--dir', dir]);
    assert.equal(r.code, 21);
    assert.equal(
      r.stderr,
      `pgdr: error: demo: ${dir} is not empty\nhint: give a missing or empty folder (the demo removes what it made there unless --keep)\n`,
    );
    assert.deepEqual(readdirSync(dir), ['precious']);
  });
});
