// `pgdr verify` on a hot standby (PostgreSQL 15, built with pg_basebackup -R): still being in recovery is a warn
// unless --expect-standby, and amcheck is skipped with a warn where the extension cannot be created.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runPgdr } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const PG_BASEBACKUP = '/usr/lib/postgresql/15/bin/pg_basebackup';

interface Report {
  result: string;
  server: { inRecovery: boolean; versionNum: number } | null;
  checks: { name: string; status: string; finding: string; hint: string }[];
}

describe('pgdr verify on a PostgreSQL 15 standby', () => {
  let primary: TestPostgres;
  let standby: TestPostgres;
  before(async () => {
    primary = await startPostgres({ major: 15 });
    await primary.query('CREATE DATABASE app');
    const app = primary.server.connectionString({ database: 'app' });
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: app });
    await c.connect();
    await c.query(
      'CREATE EXTENSION amcheck; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)',
    );
    await c.end();
    standby = await startPostgres({
      major: 15,
      fillPgdata: async (pgdata) => {
        await promisify(execFile)(PG_BASEBACKUP, [
          '-h',
          '127.0.0.1',
          '-p',
          String(primary.port),
          '-U',
          'postgres',
          '-D',
          pgdata,
          '-R',
          '-c',
          'fast',
          '-X',
          'stream',
        ]);
      },
    });
  });
  after(async () => {
    await standby?.cleanup();
    await primary?.cleanup();
  });

  const verify = async (database: string, args: string[]) => {
    const r = await runPgdr([
      'verify',
      '--format',
      'json',
      '--connection',
      standby.server.connectionString({ database }),
      ...args,
    ]);
    const report = JSON.parse(r.stdout || '{}') as Report;
    const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    return { ...r, report, status };
  };

  it('warns that the server is still in recovery, and that amcheck could not be installed', async () => {
    const r = await verify('postgres', []);
    assert.equal(r.code, 50, r.stdout + r.stderr);
    assert.equal(r.report.result, 'warn');
    assert.equal(r.report.server?.inRecovery, true);
    assert.equal(Math.floor(r.report.server!.versionNum / 10000), 15);
    assert.equal(r.status['recovery-state'], 'warn');
    const rec = r.report.checks.find((c) => c.name === 'recovery-state')!;
    assert.match(rec.finding, /^still in recovery/);
    assert.match(rec.hint, /pg_promote|--expect-standby/);
    assert.equal(r.status.amcheck, 'warn');
    assert.match(r.report.checks.find((c) => c.name === 'amcheck')!.finding, /in recovery/);
    // Nothing was read: the verification is partial, and says so.
    assert.equal(r.status['amcheck-heap'], 'warn');
    assert.match(
      r.report.checks.find((c) => c.name === 'amcheck-heap')!.finding,
      /^partial: not checked: the server is in recovery/,
    );
  });

  it('passes with --expect-standby where amcheck is installed (it runs read-only on a standby)', async () => {
    const r = await verify('app', ['--expect-standby']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.status['recovery-state'], 'pass');
    assert.equal(r.status.amcheck, 'pass');
    assert.equal(r.status['amcheck-heap'], 'pass');
  });
});
