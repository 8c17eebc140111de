// `pgdr verify` against a real PostgreSQL 17 holding Mastodon-shaped tables: the preset passes, a user check
// that is not met fails by name, --expect-from catches lost rows, and a corrupted index page is found.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresServer } from '../../src/postgres/server.js';
import { runPgdr } from '../helpers/cli.js';
import { MASTODON_SQL } from '../helpers/drill-bucket.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

interface Report {
  result: string;
  checks: {
    name: string;
    status: string;
    finding: string;
    hint: string;
    durationMs: number;
    value?: unknown;
  }[];
}

describe('pgdr verify on PostgreSQL 17', () => {
  let pg: TestPostgres;
  let restarted: PostgresServer | undefined;
  let dir: string;
  let conn: string;
  before(async () => {
    pg = await startPostgres({ major: 17, dataChecksums: true });
    await pg.query('CREATE DATABASE mastodon_production');
    conn = pg.server.connectionString({ database: 'mastodon_production' });
    await runSql(conn, MASTODON_SQL);
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-verify-'));
  });
  after(async () => {
    await restarted?.stop({ mode: 'immediate' }).catch(() => undefined);
    await pg?.cleanup();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const verify = async (args: string[]) => {
    const r = await runPgdr(['verify', '--connection', conn, '--format', 'json', ...args]);
    return { ...r, report: JSON.parse(r.stdout || '{}') as Report };
  };
  const check = (r: Report, name: string) => {
    const c = r.checks.find((x) => x.name === name);
    assert.ok(c, `no check ${name} in ${r.checks.map((x) => x.name).join(', ')}`);
    return c;
  };

  it('passes with the mastodon preset: counts, freshness, amcheck, checksums', async () => {
    const r = await verify(['--preset', 'mastodon']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.report.result, 'pass');
    assert.deepEqual(
      r.report.checks.map((c) => [c.name, c.status]),
      [
        ['connectivity', 'pass'],
        ['server-version', 'pass'],
        ['recovery-state', 'pass'],
        ['amcheck-heap', 'pass'],
        ['amcheck', 'pass'],
        ['mastodon:accounts', 'pass'],
        ['mastodon:users', 'pass'],
        ['mastodon:statuses', 'pass'],
        ['mastodon:newest-status', 'pass'],
        ['checksums', 'pass'],
      ],
    );
    assert.equal(check(r.report, 'mastodon:accounts').value, 3);
    assert.equal(check(r.report, 'mastodon:users').value, 1);
    assert.equal(check(r.report, 'mastodon:statuses').value, 500);
    const newest = new Date(String(check(r.report, 'mastodon:newest-status').value));
    // The column is `timestamp` (UTC by Rails convention): read as UTC it is minutes old, not hours.
    assert.ok(Math.abs(Date.now() - newest.getTime()) < 3_600_000, String(newest));
    assert.match(check(r.report, 'server-version').finding, /^PostgreSQL 17\./);
    assert.match(check(r.report, 'amcheck').finding, /^\d+ btree index\(es\) verified/);
    assert.match(
      check(r.report, 'amcheck-heap').finding,
      /^\d+ relations verified with verify_heapam \(\d+ tables, \d+ TOAST/,
    );
    const counts = (r.report as Report & { amcheck: { tables: number; pages: number; partial: unknown } })
      .amcheck;
    assert.ok(counts.tables > 0 && counts.pages > 0, JSON.stringify(counts));
    assert.equal(counts.partial, null);
    for (const c of r.report.checks) assert.equal(typeof c.durationMs, 'number');
  });

  it('prints a table with check, status, finding and hint, and the result', async () => {
    const r = await runPgdr(['verify', '--connection', conn, '--preset', 'mastodon', '--no-amcheck']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^CHECK\s+STATUS\s+FINDING\s+HINT$/m);
    assert.match(r.stdout, /^mastodon:statuses\s+PASS\s+500, min 0$/m);
    assert.match(r.stdout, /^amcheck\s+SKIP\s+not run \(--no-amcheck\)/m);
    assert.match(r.stdout, /^Result: PASS \(/m);
  });

  it('bounds amcheck: a partial check warns, never passes', async () => {
    const r = await verify(['--amcheck-max-indexes', '2']);
    assert.equal(r.code, 50, r.stdout + r.stderr);
    const am = check(r.report, 'amcheck');
    assert.equal(am.status, 'warn');
    assert.match(am.finding, /^partial: 2 of \d+ btree indexes checked \(at most 2, --amcheck-max-indexes\)/);
  });

  it('an amcheck older than 1.3 (no verify_heapam) checks indexes only, and says partial', async () => {
    await pg.query('CREATE DATABASE old_amcheck');
    const old = pg.server.connectionString({ database: 'old_amcheck' });
    await runSql(old, "CREATE EXTENSION amcheck VERSION '1.2'; CREATE TABLE t (id int PRIMARY KEY)");
    const r = await runPgdr(['verify', '--connection', old, '--format', 'json']);
    assert.equal(r.code, 50, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as Report & { amcheck: { partial: string | null } };
    const heap = check(report, 'amcheck-heap');
    assert.equal(heap.status, 'warn');
    assert.match(
      heap.finding,
      /^partial: heaps not checked: the installed amcheck extension predates verify_heapam/,
    );
    assert.match(heap.hint, /ALTER EXTENSION amcheck UPDATE/);
    assert.equal(check(report, 'amcheck').status, 'pass');
    assert.match(report.amcheck.partial ?? '', /heaps not checked/);
  });

  it('a server that cannot be reached fails connectivity; nothing else passes', async () => {
    const closed = `postgresql://postgres@127.0.0.1:${await closedPort()}/mastodon_production`;
    const r = await runPgdr(['verify', '--connection', closed, '--preset', 'mastodon', '--format', 'json']);
    assert.equal(r.code, 51, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(check(report, 'connectivity').status, 'fail');
    assert.match(check(report, 'connectivity').hint, /is the server running/);
    assert.deepEqual(
      report.checks.filter((c) => c.status !== 'skip').map((c) => c.name),
      ['connectivity'],
    );
    const none = await runPgdr(['verify']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no --connection/);
  });

  it('reports a user check that is not met as a failure under its name', async () => {
    const file = join(dir, 'checks.yaml');
    await fsp.writeFile(
      file,
      `checks:
  - name: enough-statuses
    sql: SELECT count(*) FROM statuses
    min: 1000
  - name: alice-exists
    sql: SELECT count(*) FROM accounts WHERE username = 'alice'
    equals: 1
  - name: recent-activity
    sql: SELECT max(created_at) FROM statuses
    fresherThan: 1h
`,
    );
    const r = await verify(['--checks', file, '--no-amcheck']);
    assert.equal(r.code, 51, r.stdout + r.stderr);
    assert.equal(r.report.result, 'fail');
    const bad = check(r.report, 'enough-statuses');
    assert.equal(bad.status, 'fail');
    assert.match(bad.finding, /500 is below the minimum 1000/);
    assert.equal(check(r.report, 'alice-exists').status, 'pass');
    assert.equal(check(r.report, 'recent-activity').status, 'pass');
  });

  it('fails clearly when a preset table is missing (wrong database)', async () => {
    const r = await runPgdr([
      'verify',
      '--connection',
      pg.connectionString,
      '--preset',
      'mastodon',
      '--format',
      'json',
    ]);
    assert.equal(r.code, 51, r.stderr);
    const c = check(JSON.parse(r.stdout) as Report, 'mastodon:accounts');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /relation "accounts" does not exist/);
    assert.match(c.hint, /Mastodon database/);
  });

  it('fails when a standby was expected but the server is promoted', async () => {
    const r = await verify(['--expect-standby', '--no-amcheck']);
    assert.equal(r.code, 51);
    assert.equal(check(r.report, 'recovery-state').status, 'fail');
  });

  it('--expect-from detects rows lost since the capture', async () => {
    const captured = await verify(['--preset', 'mastodon', '--no-amcheck']);
    assert.equal(captured.code, 0, captured.stderr);
    const file = join(dir, 'primary.json');
    await fsp.writeFile(file, captured.stdout);
    const same = await verify(['--preset', 'mastodon', '--no-amcheck', '--expect-from', file]);
    assert.equal(same.code, 0, same.stdout);
    assert.match(check(same.report, 'mastodon:statuses').finding, /captured 500/);

    await runSql(conn, 'DELETE FROM statuses WHERE id > 480');
    const lost = await verify(['--preset', 'mastodon', '--no-amcheck', '--expect-from', file]);
    assert.equal(lost.code, 51, lost.stdout);
    const c = check(lost.report, 'mastodon:statuses');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /480 is below the captured 500 \(20 fewer\)/);
    assert.equal(check(lost.report, 'mastodon:accounts').status, 'pass');
  });

  it('finds a corrupted index page and a corrupted heap page (amcheck, verify_heapam, checksums)', async () => {
    await runSql(
      conn,
      `CREATE TABLE victim (id int PRIMARY KEY, v text);
       INSERT INTO victim SELECT g, md5(g::text) FROM generate_series(1, 20000) g;`,
    );
    const rel = await runSql(conn, "SELECT pg_relation_filepath('victim_pkey') AS path");
    const file = join(pg.pgdata, String(rel[0]?.path));
    const heapRel = await runSql(conn, "SELECT pg_relation_filepath('victim') AS path");
    await pg.stop();
    // Overwrite the middle of block 1 (the first btree page after the metapage), and of the table's block 2.
    for (const [f, block] of [
      [file, 1],
      [join(pg.pgdata, String(heapRel[0]?.path)), 2],
    ] as const) {
      const fh = await fsp.open(f, 'r+');
      await fh.write(Buffer.alloc(512, 0xa5), 0, 512, 8192 * block + 2048);
      await fh.close();
    }
    restarted = await PostgresServer.start(pg.server.options);
    const r = await verify([]);
    assert.equal(r.code, 51, r.stdout + r.stderr);
    const am = check(r.report, 'amcheck');
    assert.equal(am.status, 'fail');
    assert.match(am.finding, /victim_pkey/);
    const heap = check(r.report, 'amcheck-heap');
    assert.equal(heap.status, 'fail');
    assert.match(heap.finding, new RegExp(`public\\.victim \\(${String(heapRel[0]?.path)}\\): .*block 2`));
    assert.equal(check(r.report, 'checksums').status, 'fail');
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function runSql(connectionString: string, sql: string): Promise<Record<string, unknown>[]> {
  const pgmod = (await import('pg')).default;
  const client = new pgmod.Client({ connectionString });
  await client.connect();
  try {
    const r = await client.query(sql);
    return Array.isArray(r) ? [] : r.rows;
  } finally {
    await client.end();
  }
}
