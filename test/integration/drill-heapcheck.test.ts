// The drill's verify stage reads every relation's heap (amcheck's verify_heapam), in every database: a backup
// that lost one table's relation file fails the drill at verify, naming the table and its file; a healthy
// backup passes with the relations, indexes and pages it checked counted; a budget that cuts the check short
// says "partial". The primary archives through pgdr and takes pgdr backups (PostgreSQL 17).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { type ArchivingPrimary, archivingPrimary } from '../helpers/archiving-primary.js';
import { backupJson } from '../helpers/backup-create.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'heapcheck';
const SERVER = 'heapdb';

interface Summary {
  databases: number;
  tables: number;
  toast: number;
  matviews: number;
  relationsFound: number;
  indexes: number;
  pages: number;
  failures: number;
  partial: string | null;
}

interface Report {
  result: string;
  failedStage: string | null;
  stages: { name: string; status: string; detail: string }[];
  checks: { name: string; status: string; finding: string; value?: unknown }[];
  verification?: Summary | null;
}

describe('pgdr drill: verify reads every heap', () => {
  let s3: S3rverHandle;
  let root: string;
  let ap: ArchivingPrimary;
  let preciousFile: string;
  let backupId: string;

  const target = (prefix: string) => ({
    endpoint: s3.endpoint,
    destination: `s3://${BUCKET}/${prefix}`,
    serverName: SERVER,
  });
  const drill = async (prefix: string, args: string[] = []) => {
    const ages = ['--max-wal-age', '2h', '--max-backup-age', '2h'];
    const r = await runPgdr(['drill', ...s3Args(target(prefix)), ...ages, ...args], {
      env: s3Env(s3),
      timeoutMs: 600_000,
    });
    return r;
  };
  const jsonDrill = async (prefix: string, args: string[] = []) => {
    const r = await drill(prefix, ['--format', 'json', ...args]);
    let report: Report | undefined;
    try {
      report = JSON.parse(r.stdout) as Report;
    } catch {
      assert.fail(`no JSON report (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { ...r, report };
  };
  const check = (r: Report, name: string) => {
    const c = r.checks.find((x) => x.name === name);
    assert.ok(c, `no check ${name} in ${r.checks.map((x) => x.name).join(', ')}`);
    return c;
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-heapcheck-'));
    await fsp.chmod(root, 0o755);
    ap = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: SERVER });
    // A table with TOASTed values and a materialized view, in a second database too, all in the backup below.
    await ap.primary.query('CREATE DATABASE app');
    const app = new pg.Client({ connectionString: ap.primary.server.connectionString({ database: 'app' }) });
    await app.connect();
    try {
      await app.query(
        'CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, repeat(md5(g::text), 400) FROM generate_series(1, 50) g; CREATE MATERIALIZED VIEW note_ids AS SELECT id FROM notes; CREATE INDEX ON note_ids (id)',
      );
    } finally {
      await app.end();
    }
    await ap.primary.query(
      'CREATE TABLE precious (id int PRIMARY KEY, v text); INSERT INTO precious SELECT g, md5(g::text) FROM generate_series(1, 1000) g',
    );
    // The file is found before the backup; nothing touches the table afterwards, so no WAL recreates it.
    const [p] = await ap.primary.query<{ f: string }>("SELECT pg_relation_filepath('precious') AS f");
    preciousFile = String(p?.f);
    backupId = String((await backupJson(ap.full)).backup_id);
    await switchWalAndWait(ap.primary);
  });
  after(async () => {
    await ap?.primary.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('a healthy drill passes, counting the relations, indexes and pages it checked', async () => {
    const r = await jsonDrill('dr');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.report.result, 'pass');
    const heap = check(r.report, 'amcheck-heap');
    assert.equal(heap.status, 'pass', heap.finding);
    assert.equal(check(r.report, 'amcheck').status, 'pass');
    const v = r.report.verification;
    assert.ok(v, 'no verification summary');
    assert.equal(v.partial, null);
    assert.equal(v.failures, 0);
    // postgres and app (templates are not checked).
    assert.equal(v.databases, 2);
    assert.ok(v.tables > 0 && v.toast > 0 && v.indexes > 0 && v.pages > 0, JSON.stringify(v));
    assert.equal(v.matviews, 1);
    assert.equal(v.tables + v.toast + v.matviews, v.relationsFound);
    assert.doesNotMatch(r.report.stages.find((s) => s.name === 'verify')?.detail ?? '', /partial/);
    const text = await drill('dr');
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /^Verified: \d+ relations \(\d+ tables, \d+ TOAST, 1 materialized views?\)/m);
  });

  it('a tiny budget makes the verification partial, and the report says so', async () => {
    const r = await jsonDrill('dr', ['--amcheck-max-relations', '3']);
    assert.equal(r.report.result, 'pass', r.stdout);
    const heap = check(r.report, 'amcheck-heap');
    assert.equal(heap.status, 'warn');
    assert.match(heap.finding, /^partial: 3 of \d+ relations checked/);
    assert.match(r.report.verification?.partial ?? '', /^3 of \d+ relations checked/);
    assert.match(r.report.stages.find((s) => s.name === 'verify')?.detail ?? '', /^partial verification/);
    const text = await drill('dr', ['--amcheck-max-relations', '3']);
    assert.match(text.stdout, /^Result: PASS \(partial verification/m);
  });

  it('fails at verify when a table lost its relation file, naming the table and the file', async () => {
    await copyPrefix(s3, BUCKET, 'dr', 'lost');
    const store = bucketStore(s3, BUCKET);
    let removed = 0;
    try {
      const base = `lost/${SERVER}/base/${backupId}/`;
      const { objects } = await store.list(base);
      // Without pgdr's manifest nothing but the restored server can notice the missing file.
      await store.delete([`${base}pgdr.json`]);
      for (const o of objects.filter((x) => /\/data(_\d+)?\.tar\.gz$/.test(x.key))) {
        const tar = gunzipSync(await store.getBuffer(o.key));
        const rewritten = await tarWithout(root, tar, preciousFile);
        if (rewritten) {
          await store.put(o.key, gzipSync(rewritten));
          removed++;
        }
      }
    } finally {
      await store.close();
    }
    assert.equal(removed, 1, `${preciousFile} found in ${removed} tar(s)`);
    // Connected to app: the damaged table is in postgres, so only a check of every database finds it.
    const r = await jsonDrill('lost', ['--database', 'app']);
    assert.equal(r.code, 52, r.stdout + r.stderr);
    assert.equal(r.report.result, 'fail');
    assert.equal(r.report.failedStage, 'verify');
    const heap = check(r.report, 'amcheck-heap');
    assert.equal(heap.status, 'fail');
    assert.match(heap.finding, /public\.precious/);
    assert.ok(heap.finding.includes(preciousFile), heap.finding);
    assert.match(heap.finding, /could not open file/);
    assert.equal(r.report.verification?.failures, 1);
    assert.match(r.report.stages.find((s) => s.name === 'verify')?.detail ?? '', /public\.precious/);
  });
});

/** The tar without the member `name`, or undefined when it has no such member (GNU tar --delete). */
async function tarWithout(dir: string, tar: Buffer, name: string): Promise<Buffer | undefined> {
  const file = join(dir, 'rewrite.tar');
  await fsp.writeFile(file, tar);
  try {
    const { stdout } = await promisify(execFile)('tar', ['-tf', file], { maxBuffer: 64 << 20 });
    const member = stdout.split('\n').find((m) => m === name || m === `./${name}`);
    if (!member) return undefined;
    await promisify(execFile)('tar', ['--delete', '-f', file, member]);
    return await fsp.readFile(file);
  } finally {
    await fsp.rm(file, { force: true });
  }
}
