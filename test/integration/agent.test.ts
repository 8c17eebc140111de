// Acceptance for `pgdr agent` (issue 7): the built CLI against PostgreSQL 17 (archiving with pgdr wal archive)
// and s3rver, on a three-second schedule. Takes backups, keeps REDUNDANCY 2, survives an s3rver outage, stops
// cleanly on SIGTERM mid-backup, and two agents on one bucket never back up at the same time.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lockKey } from '../../src/agent/bucket-lock.js';
import { listBackups } from '../../src/catalog/backup-catalog.js';
import type { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { assertDoneBackupsComplete } from '../helpers/agent-bucket-check.js';
import { type AgentEvent, type AgentProcess, startAgent } from '../helpers/agent-process.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { PGDR_BIN, runPgdr } from '../helpers/cli.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { s3StoreLines } from '../helpers/server-config.js';

const BUCKET = 'agent';
const SERVER = 'pg17';

describe('pgdr agent on a three-second schedule', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let dir: string;
  let storeLines: string[];
  let store: S3ObjectStore;
  const agents: AgentProcess[] = [];

  const config = (name: string, extra: Record<string, string> = {}): string =>
    [
      `serverName: ${SERVER}`,
      `retentionPolicy: ${extra.retentionPolicy ?? 'REDUNDANCY 2'}`,
      `schedule: "${extra.schedule ?? '*/3 * * * * *'}"`,
      'objectStore:',
      ...storeLines,
      '  data: {jobs: 2, immediateCheckpoint: true}',
      'postgres:',
      `  connection: ${pg?.connectionString ?? 'postgresql://localhost/postgres'}`,
      `  pgdata: ${pg?.pgdata ?? '/nonexistent'}`,
      'agent:',
      '  listen: 127.0.0.1:0',
      `  stateFile: ${join(dir, `${name}.state.json`)}`,
      '  retentionPolicyIntervalSeconds: 5',
      '',
    ].join('\n');
  const writeConfig = async (name: string, extra?: Record<string, string>) => {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, config(name, extra), { mode: 0o644 });
    return file;
  };
  const spawnAgent = async (name: string) => {
    const a = startAgent(await writeConfig(name), {});
    agents.push(a);
    return a;
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    dir = await mkdtemp(join(tmpdir(), 'pgdr-agent-'));
    // PostgreSQL's archive_command runs as the postgres OS user: config and credentials must be readable.
    await chmod(dir, 0o755);
    storeLines = await s3StoreLines(s3, `s3://${BUCKET}/pgdr`, dir);
    await writeFile(join(dir, 'wal.yaml'), config('wal'), { mode: 0o644 });
    const archiveCommand = `${process.execPath} ${PGDR_BIN} wal archive --config ${join(dir, 'wal.yaml')} %p`;
    pg = await startPostgres({ major: 17, archiveCommand });
    // Large enough that a backup spends a moment copying: SIGTERM must land mid-backup.
    await loadRows({ db: pg, rows: 1_500_000 });
    store = bucketStore(s3, BUCKET, 'pgdr');
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    await store?.close();
    await pg?.cleanup();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a malformed schedule or retention policy at start-up, naming the field with a hint', async () => {
    const bad = await writeConfig('bad', { schedule: '0 0 6 * * * *' });
    const r = await runPgdr(['agent', '--config', bad]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /error: schedule: invalid cron: '0 0 6 \* \* \* \*' has 7 fields/);
    assert.match(r.stderr, /six fields .*e\.g\. "0 0 6 \* \* \*"/);
    const badPolicy = await writeConfig('bad', { retentionPolicy: 'KEEP 2' });
    const p = await runPgdr(['agent', '--config', badPolicy]);
    assert.equal(p.code, 3, p.stderr);
    assert.match(p.stderr, /error: retentionPolicy: .*'KEEP 2'.*accepted: '14d'/);
    assert.match(p.stderr, /hint: /);
  });

  let a: AgentProcess;
  it('takes backups on schedule, answers /healthz and keeps at most 2 DONE backups (REDUNDANCY 2)', async () => {
    a = await spawnAgent('a');
    const started = await a.waitFor((e) => e.event === 'agent.start');
    const health = await fetch(`http://${started.listen}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    for (let n = 0; n < 3; n++)
      await a.waitFor((e) => e.event === 'backup.done', {
        from: indexOfNth(a.events, 'backup.done', n - 1) + 1,
      });
    const third = indexOfNth(a.events, 'backup.done', 2);
    const retention = await a.waitFor((e) => e.event === 'retention.done', { from: third });
    assert.ok((retention.deleted as string[]).length >= 1, JSON.stringify(retention));
    console.log(
      `backups taken: ${a.events
        .filter((e) => e.event === 'backup.done')
        .map((e) => `${e.backupId} (${e.seconds} s)`)
        .join(', ')}; retention deleted ${retention.deleted}, kept ${retention.kept}`,
    );
    const catalog = await listBackups(store, SERVER);
    const done = catalog.backups.filter((b) => b.status === 'DONE');
    assert.ok(done.length <= 2 && done.length >= 1, `DONE backups: ${done.map((b) => b.backupId)}`);
    const state = (await (await fetch(`http://${started.listen}/state`)).json()) as Record<string, unknown>;
    assert.equal(state.agent, 'running');
    assert.equal((state.lastBackup as { result: string }).result, 'done');
    assert.ok(!JSON.stringify(state).includes(s3.secretAccessKey), 'the state holds no secret');
    // The same gauges as pgdr serve's /metrics, read from the bucket the agent backs up to.
    const res = await fetch(`http://${started.listen}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.ok(!text.includes(s3.secretAccessKey), '/metrics holds no secret');
    const m = parsePrometheus(text);
    const s = { server: SERVER };
    assert.equal(sample(m, 'pgdr_up', s), 1);
    assert.equal(sample(m, 'pgdr_backup_signal_present', s), 1);
    assert.ok(sample(m, 'pgdr_backups', { ...s, status: 'DONE' }) >= 1);
    assert.equal(sample(m, 'pgdr_wal_signal_present', s), 1);
    assert.equal(sample(m, 'pgdr_rpo_objective_seconds', s), 360);
    for (const f of m.values()) assert.match(f.name, /^pgdr_/);
  });

  it('survives an s3rver outage: the failure is logged as a JSON line, the next run succeeds', async () => {
    await a.waitFor((e) => e.event === 'backup.done' || e.event === 'retention.done', {
      from: a.events.length,
    });
    // The outage starts mid-backup: the tars cannot all be stored, nor backup.info, nor can the lock be freed.
    const copying = await a.waitFor((e) => e.event === 'backup.copy', { from: a.events.length });
    const from = a.events.indexOf(copying);
    await s3.stop({ keepData: true });
    const failed = await a.waitFor((e) => e.event === 'backup.failed', { from });
    assert.equal(failed.level, 'error');
    assert.match(String(failed.code), /STORE_UNREACHABLE|STORE_ERROR|ABORTED/);
    await s3.restart();
    const after = a.events.indexOf(failed);
    const ok = await a.waitFor((e) => e.event === 'backup.done', { from: after + 1 });
    await assertDoneBackupsComplete(store, SERVER);
    console.log(`outage: ${failed.code} "${failed.msg}"; then ${ok.backupId} DONE`);
  });

  it('stops on SIGTERM mid-backup with exit 0, leaving no incomplete DONE backup and no lock', async () => {
    const copying = await a.waitFor((e) => e.event === 'backup.copy', { from: a.events.length });
    const code = await a.stop('SIGTERM');
    assert.equal(code, 0, a.stderr());
    const rest = a.events.slice(a.events.indexOf(copying));
    const failed = rest.find((e) => e.event === 'backup.failed');
    assert.equal(failed?.code, 'ABORTED', JSON.stringify(rest.map((e) => e.event)));
    assert.ok(rest.some((e) => e.event === 'agent.stopped'));
    assert.ok(!rest.some((e) => e.event === 'backup.done'));
    const state = JSON.parse(await readFile(join(dir, 'a.state.json'), 'utf8'));
    assert.equal(state.agent, 'stopped');
    assert.equal(state.lastBackup.result, 'aborted');
    await assertDoneBackupsComplete(store, SERVER);
    assert.equal(await store.head(lockKey(SERVER)), undefined, 'the lock was released');
    console.log(`SIGTERM during ${copying.backupId}: ${failed?.msg}; exit ${code}`);
    const aborted = (await listBackups(store, SERVER)).backups.find((b) => b.backupId === copying.backupId);
    assert.equal(aborted?.status ?? 'absent', aborted ? 'FAILED' : 'absent');
  });

  it('pgdr status shows the agent section from the state file', async () => {
    const file = join(dir, 'a.yaml');
    const text = await runPgdr(['status', '--config', file], { env: credentialsEnv(s3) });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Agent: +stopped/);
    assert.match(text.stdout, /last backup +ABORTED/);
    const json = await runPgdr(['status', '--config', file, '--format', 'json'], { env: credentialsEnv(s3) });
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.agent.agent, 'stopped');
    assert.ok('verdict' in parsed && 'newestBackup' in parsed, 'the earlier fields are still there');
  });

  it('two agents on one bucket never back up at the same time; a restart catches up once', async () => {
    // Agent a restarts on its state file once a fire time has passed since its last (aborted) run.
    const state = JSON.parse(await readFile(join(dir, 'a.state.json'), 'utf8'));
    const lastFire = Date.parse(state.lastBackup.scheduledFor);
    while (Date.now() < lastFire + 6000) await new Promise((r) => setTimeout(r, 250));
    const first = await spawnAgent('a');
    const second = await spawnAgent('b');
    const both = [first, second];
    const skipped = () => both.some((x) => x.events.some((e) => e.event === 'backup.skipped'));
    const dones = () =>
      both.reduce((n, x) => n + x.events.filter((e) => e.event === 'backup.done').length, 0);
    while (!(skipped() && dones() >= 3)) await new Promise((r) => setTimeout(r, 500));
    await Promise.all(both.map((x) => x.stop('SIGTERM')));
    assert.equal(first.events.filter((e) => e.event === 'backup.catch-up').length, 1);
    assert.equal(
      second.events.filter((e) => e.event === 'backup.catch-up').length,
      0,
      'first start: nothing to catch up',
    );
    const [ia, ib] = both.map((x) => intervals(x.events));
    for (const x of ia!)
      for (const y of ib!)
        assert.ok(x.end <= y.start || y.end <= x.start, `overlap: ${JSON.stringify({ x, y })}`);
    await assertDoneBackupsComplete(store, SERVER);
    const skips = both.flatMap((x) => x.events.filter((e) => e.event === 'backup.skipped').map((e) => e.msg));
    console.log(
      `backups: a ${ia!.length}, b ${ib!.length}, none overlapping; ${skips.length} skipped, e.g. ${skips[0]}`,
    );
  });
});

function indexOfNth(events: readonly AgentEvent[], name: string, n: number): number {
  let seen = -1;
  for (let i = 0; i < events.length; i++) if (events[i]?.event === name && ++seen === n) return i;
  return -1;
}

/** From `backup.connect` (the lock is held) to the end of the backup. */
function intervals(events: readonly AgentEvent[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start: number | undefined;
  for (const e of events) {
    if (e.event === 'backup.connect') start = Date.parse(e.time);
    if ((e.event === 'backup.done' || e.event === 'backup.failed') && start !== undefined) {
      out.push({ start, end: Date.parse(e.time) });
      start = undefined;
    }
  }
  return out;
}

function credentialsEnv(s3: S3rverHandle): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
}
