// objectives in the configuration drive pgdr status, pgdr check and pgdr serve's /metrics; each command's flags
// still override. The bucket is a synthetic backup of 2024 whose WAL was archived half an hour ago.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPgdr } from '../helpers/cli.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';
import { startServe } from '../helpers/serve-process.js';
import { dataMembers, SERVER, writeSyntheticBackup } from '../helpers/synthetic-backup.js';

const root = mkdtempSync(join(tmpdir(), 'pgdr-objectives-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bucket = join(root, 'bucket');
const plain = join(root, 'plain.yaml');
const relaxed = join(root, 'relaxed.yaml');

function configText(objectives?: string): string {
  const lines = [`serverName: ${SERVER}`, 'objectStore:', `  destinationPath: file://${bucket}`];
  if (objectives) lines.push(`objectives: ${objectives}`);
  return `${lines.join('\n')}\n`;
}

before(async () => {
  await writeSyntheticBackup({ root: bucket, data: dataMembers() });
  const wals = join(bucket, SERVER, 'wals', '0000000100000000');
  const halfAnHourAgo = new Date(Date.now() - 30 * 60_000);
  for (const f of readdirSync(wals)) utimesSync(join(wals, f), halfAnHourAgo, halfAnHourAgo);
  writeFileSync(plain, configText());
  // The backup is two years old and the WAL 30 minutes: both within these.
  writeFileSync(relaxed, configText('{ rpo: 2h, rto: 20m, backupAge: 3650d, drillAge: 10d }'));
});

async function json(args: string[]): Promise<{ code: number | null; v: Record<string, unknown> }> {
  const r = await runPgdr([...args, '-o', 'json'], { cwd: root });
  return { code: r.code, v: JSON.parse(r.stdout) as Record<string, unknown> };
}

describe('objectives', () => {
  it('status judges against them: the defaults (6m, 26h) warn, the relaxed ones pass', async () => {
    const strict = await json(['status', '-c', plain]);
    assert.equal(strict.code, 0);
    const verdict = strict.v.verdict as { level: string; reasons: string[] };
    assert.equal(verdict.level, 'warn');
    assert.ok(
      verdict.reasons.some((r) => /^newest WAL \S+ was archived 30m/.test(r)),
      verdict.reasons.join('; '),
    );
    assert.ok(
      verdict.reasons.some((r) => /^newest DONE backup/.test(r)),
      verdict.reasons.join('; '),
    );
    assert.equal((strict.v.objectives as { rpoMs: number }).rpoMs, 360_000);
    const ok = await json(['status', '-c', relaxed]);
    assert.equal((ok.v.verdict as { level: string }).level, 'ok', JSON.stringify(ok.v.verdict));
    assert.deepEqual(ok.v.objectives, {
      rpoMs: 7_200_000,
      rtoMs: 1_200_000,
      backupAgeMs: 3650 * 86_400_000,
      drillAgeMs: 10 * 86_400_000,
    });
  });

  it('check judges wal-age and backup-age against them; --max-wal-age overrides for one run', async () => {
    const checks = async (args: string[]) => {
      const { code, v } = await json(['check', '-c', relaxed, ...args]);
      const by = new Map(
        (v.checks as Array<{ name: string; status: string; hint: string }>).map((c) => [c.name, c]),
      );
      return { code, walAge: by.get('wal-age')!, backupAge: by.get('backup-age')! };
    };
    const relaxedRun = await checks([]);
    assert.equal(relaxedRun.code, 0);
    assert.equal(relaxedRun.walAge.status, 'pass');
    assert.equal(relaxedRun.backupAge.status, 'pass');
    const flagged = await checks(['--max-wal-age', '10m', '--max-backup-age', '1d']);
    assert.equal(flagged.code, 50);
    assert.equal(flagged.walAge.status, 'warn');
    assert.equal(flagged.backupAge.status, 'warn');
    const strict = await json(['check', '-c', plain]);
    assert.equal(strict.code, 50);
  });

  it("serve's /metrics shows them; --rpo overrides for one run", async () => {
    const serve = await startServe(['-c', relaxed, '--rpo', '10m'], {});
    try {
      const m = parsePrometheus(await (await fetch(new URL('metrics', serve.url))).text());
      const s = { server: SERVER };
      assert.equal(sample(m, 'pgdr_rpo_objective_seconds', s), 600);
      assert.equal(sample(m, 'pgdr_rto_objective_seconds', s), 1200);
      assert.equal(sample(m, 'pgdr_backup_age_objective_seconds', s), 3650 * 86_400);
      assert.equal(sample(m, 'pgdr_drill_age_objective_seconds', s), 10 * 86_400);
    } finally {
      await serve.stop();
    }
  });

  it('config show prints the effective objectives and where each came from', async () => {
    const r = await runPgdr(['config', 'show', '-c', plain], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^objectives:\n {2}rpo: 6m # default\n {2}rto: 30m # default\n {2}backupAge: 26h # default\n {2}drillAge: 35d # default$/m,
    );
  });
});
