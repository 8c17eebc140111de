// `--format json` (and -o json) on every command, as a script piping into jq meets it: on the success path, on
// an empty server (WAL but no backup) and on an error path, stdout is exactly one JSON document and the exit
// code is the one the text output has. Errors are {"error": {"code", "name", "message", "hint"}}. The command
// list comes from the CLI's own table: a command added without cases here fails the first test.
// The store is file://, the backup synthetic (test/helpers/synthetic-backup.ts): no PostgreSQL runs here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { ERRORS } from '../../src/errors.js';
import { runPgdr } from '../helpers/cli.js';
import { startServe } from '../helpers/serve-process.js';
import { BACKUP_ID, dataMembers, writeSyntheticBackup } from '../helpers/synthetic-backup.js';

const root = mkdtempSync(join(tmpdir(), 'pgdr-json-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bucket = join(root, 'bucket');
const work = join(root, 'work');
const config = join(root, 'pgdr.yaml');
/** A configuration for the k8s runbooks' dry runs: an s3:// bucket (never contacted) and storageSize. */
const k8sConfig = join(root, 'k8s.yaml');
/** postgres.connection where nothing listens. */
const closed = join(root, 'closed.yaml');
const walFile = join(root, 'pg_wal', '000000010000000000000009');
/** Must appear nowhere in any output. */
const SECRET = 'json-test-secret-value-9f2c';
const env = { AWS_SECRET_ACCESS_KEY: SECRET, AWS_ACCESS_KEY_ID: 'AKIAJSONTEST' };
/** No PostgreSQL listens there. */
const CLOSED = 'postgresql://postgres@127.0.0.1:1/postgres';

type Kind = 'result' | 'error';
interface Run {
  readonly args: readonly string[];
  readonly code: number;
  readonly kind: Kind;
  /** The error's name, or a check of the result's shape. */
  readonly check?: string | ((v: Record<string, unknown>) => void);
}
interface Cases {
  readonly success: Run | string;
  readonly empty: Run;
  readonly error: Run;
}

const ok = (args: readonly string[], check?: Run['check'], code = 0): Run => ({
  args,
  code,
  kind: 'result',
  check,
});
const fails = (args: readonly string[], name: keyof typeof ERRORS): Run => ({
  args,
  code: ERRORS[name].exitCode,
  kind: 'error',
  check: name,
});
const has =
  (...keys: string[]) =>
  (v: Record<string, unknown>) => {
    for (const k of keys) assert.ok(k in v, `no "${k}" in ${JSON.stringify(v).slice(0, 300)}`);
  };
const EMPTY = ['--server-name', 'empty'];
const K8S = ['--config', k8sConfig];

// success: a run here, or (for commands that need a live PostgreSQL, a Kubernetes API or minutes) the test
// that already checks that command's JSON on its success path.
const CASES: Record<string, Cases> = {
  'backup create': {
    success: 'test/integration/backup-create-pg15.test.ts (backup create --format json)',
    empty: fails(['backup', 'create', '--config', closed, ...EMPTY], 'POSTGRES_UNREACHABLE'),
    error: fails(['backup', 'create', '--config', closed], 'POSTGRES_UNREACHABLE'),
  },
  'backup list': {
    success: ok(['backup', 'list'], (v) => assert.equal((v.backups_list as unknown[]).length, 1)),
    empty: ok(['backup', 'list', ...EMPTY], (v) => assert.deepEqual(v, { backups_list: [] })),
    error: fails(['backup', 'list', '--server-name', 'nope'], 'NO_BACKUPS'),
  },
  'backup show': {
    success: ok(['backup', 'show', BACKUP_ID], has('cloud')),
    empty: fails(['backup', 'show', BACKUP_ID, ...EMPTY], 'NOT_FOUND'),
    error: fails(['backup', 'show', '20010101T000000'], 'NOT_FOUND'),
  },
  'backup delete': {
    success: 'test/integration/retention-interop.test.ts (backup delete --dry-run --format json)',
    empty: fails(['backup', 'delete', BACKUP_ID, ...EMPTY], 'NOT_FOUND'),
    error: fails(['backup', 'delete', BACKUP_ID, '--dry-run'], 'REFUSED'),
  },
  'backup keep': {
    success: ok(['backup', 'keep', BACKUP_ID, '--status'], (v) =>
      assert.deepEqual(v, { backupId: BACKUP_ID, keep: null }),
    ),
    empty: fails(['backup', 'keep', BACKUP_ID, '--status', ...EMPTY], 'NOT_FOUND'),
    error: fails(['backup', 'keep', BACKUP_ID, '--target', 'sometime'], 'USAGE'),
  },
  'backup verify': {
    success: ok(['backup', 'verify', BACKUP_ID], has('result', 'backups')),
    empty: fails(['backup', 'verify', 'latest', ...EMPTY], 'NOT_FOUND'),
    error: fails(['backup', 'verify'], 'USAGE'),
  },
  'retention apply': {
    success: ok(['retention', 'apply', '--policy', 'REDUNDANCY 1', '--dry-run'], has('report', 'deleted')),
    empty: ok(['retention', 'apply', '--policy', 'REDUNDANCY 1', '--dry-run', ...EMPTY], (v) =>
      assert.deepEqual(v.report, []),
    ),
    error: fails(['retention', 'apply', '--dry-run'], 'USAGE'),
  },
  status: {
    success: ok(['status'], has('serverName', 'verdict')),
    empty: ok(['status', ...EMPTY], (v) => assert.equal((v.verdict as { level: string }).level, 'fail')),
    error: fails(['status', '--server-name', 'nope'], 'NO_BACKUPS'),
  },
  restore: {
    success: ok(['restore', join(work, 'restored'), '--no-start'], has('plan')),
    empty: fails(['restore', join(work, 'restored-empty'), '--no-start', ...EMPTY], 'NO_BACKUPS'),
    error: fails(['restore', work, '--no-start'], 'DIR_NOT_EMPTY'),
  },
  'wal archive': {
    success: ok(['wal', 'archive', walFile, '--server-name', 'walsrv'], (v) =>
      assert.equal(v.outcome, 'stored'),
    ),
    empty: ok(['wal', 'archive', walFile, '--server-name', 'walsrv'], (v) =>
      assert.equal(v.outcome, 'already-stored'),
    ),
    error: fails(['wal', 'archive', join(root, 'pg_wal', '00000001000000000000000A')], 'NOT_FOUND'),
  },
  'wal restore': {
    success: ok(['wal', 'restore', '000000010000000000000006', join(work, 'w6')], (v) =>
      assert.equal(v.source, 'bucket'),
    ),
    empty: fails(['wal', 'restore', '000000010000000000000006', join(work, 'w6e'), ...EMPTY], 'NOT_FOUND'),
    error: fails(['wal', 'restore', 'notawal', join(work, 'w')], 'USAGE'),
  },
  // Started by wal archive/restore, never by hand: it prints nothing when it runs.
  'wal service': {
    success: 'test/integration/wal-parallel.test.ts and wal-service-kill.test.ts (the service at work)',
    empty: fails(['wal', 'service', '--mode', 'archive'], 'USAGE'),
    error: fails(['wal', 'service', '--mode', 'copy', '--wal-dir', work], 'USAGE'),
  },
  // The synthetic segments are zeros: the report says so, exit 51.
  'wal verify': {
    success: ok(['wal', 'verify'], has('timelines', 'failures'), ERRORS.CHECKS_FAILED.exitCode),
    empty: ok(['wal', 'verify', ...EMPTY], has('timelines'), ERRORS.CHECKS_FAILED.exitCode),
    error: fails(['wal', 'verify', '--timeline', '9'], 'NOT_FOUND'),
  },
  'check-wal-archive': {
    success: ok(['check-wal-archive', '--server-name', 'new'], (v) =>
      assert.deepEqual(v, { serverName: 'new', timeline: null, usable: true, walFiles: 0 }),
    ),
    empty: fails(['check-wal-archive', ...EMPTY], 'ARCHIVE_NOT_EMPTY'),
    error: fails(['check-wal-archive'], 'ARCHIVE_NOT_EMPTY'),
  },
  // The synthetic backup is old: check warns (50); with no backup it fails (51).
  check: {
    success: ok(['check'], has('result', 'checks'), ERRORS.CHECKS_WARN.exitCode),
    empty: ok(['check', ...EMPTY], has('result', 'checks'), ERRORS.CHECKS_FAILED.exitCode),
    error: fails(['check', '--max-wal-age', 'soon'], 'USAGE'),
  },
  verify: {
    success: 'test/integration/verify-cli.test.ts (verify --format json)',
    // Nothing to connect to: the report says so, exit 51.
    empty: ok(['verify', '--connection', CLOSED], has('result', 'checks'), ERRORS.CHECKS_FAILED.exitCode),
    error: fails(['verify'], 'USAGE'),
  },
  drill: {
    success: 'test/integration/drill.test.ts (drill --format json)',
    // A drill with no backup to restore is a failed drill: its report, exit 52 (on a server of its own, so
    // that the drill history of "empty" stays empty).
    empty: ok(['drill', '--server-name', 'empty-drill'], (v) => assert.equal(v.result, 'fail'), 52),
    error: fails(['drill', '--max-wal-age', 'soon'], 'USAGE'),
  },
  'drill history': {
    success: ok(['drill', 'history'], has('drills')),
    empty: ok(['drill', 'history', ...EMPTY], (v) => assert.deepEqual(v.drills, [])),
    error: fails(['drill', 'history', '--limit', 'x'], 'USAGE'),
  },
  'k8s manifests': {
    success: ok(['k8s', 'manifests', 'objectstore', ...K8S], (v) => assert.equal(v.kind, 'ObjectStore')),
    empty: ok(['k8s', 'manifests', 'backup', ...K8S, ...EMPTY], (v) => assert.equal(v.kind, 'Backup')),
    error: fails(['k8s', 'manifests', 'objectstore'], 'CONFIG_INVALID'),
  },
  // Dry runs here; the runs against a Kubernetes API: test/integration/k8s-runbook.test.ts, k8s-promote.test.ts.
  'k8s pitr': {
    success: ok(['k8s', 'pitr', '--dry-run', '--target-time', '2024-12-15 07:00:00', ...K8S], has('steps')),
    empty: ok(
      ['k8s', 'pitr', '--dry-run', '--target-time', '2024-12-15 07:00:00', ...K8S, ...EMPTY],
      has('steps'),
    ),
    error: fails(['k8s', 'pitr', '--dry-run', ...K8S], 'USAGE'),
  },
  'k8s latest': {
    success: ok(['k8s', 'latest', '--dry-run', ...K8S], has('steps')),
    empty: ok(['k8s', 'latest', '--dry-run', ...K8S, ...EMPTY], has('steps')),
    error: fails(['k8s', 'latest', '--dry-run'], 'CONFIG_INVALID'),
  },
  'k8s status': {
    success: 'test/integration/k8s-runbook.test.ts (k8s status --format json)',
    empty: fails(['k8s', 'status', ...K8S, ...EMPTY, '--kubeconfig', join(root, 'none')], 'CONFIG_INVALID'),
    error: fails(['k8s', 'status', ...K8S, '--kubeconfig', join(root, 'none')], 'CONFIG_INVALID'),
  },
  'k8s replica-status': {
    success: 'test/integration/k8s-replica-status.test.ts (k8s replica-status --format json)',
    empty: fails(
      ['k8s', 'replica-status', ...K8S, ...EMPTY, '--kubeconfig', join(root, 'none')],
      'CONFIG_INVALID',
    ),
    error: fails(['k8s', 'replica-status', ...K8S, '--kubeconfig', join(root, 'none')], 'CONFIG_INVALID'),
  },
  'k8s switchover': {
    success: 'test/integration/k8s-switchover.test.ts (--dry-run and the runbook report as JSON)',
    empty: fails(
      ['k8s', 'switchover', '--to', 'x', ...K8S, ...EMPTY, '--kubeconfig', join(root, 'none')],
      'CONFIG_INVALID',
    ),
    error: fails(['k8s', 'switchover', ...K8S], 'USAGE'),
  },
  'k8s failback': {
    success: ok(['k8s', 'failback', '--option', 'keep', '--dry-run', ...K8S], has('steps')),
    empty: ok(['k8s', 'failback', '--option', 'original', '--dry-run', ...K8S, ...EMPTY], has('steps')),
    error: fails(['k8s', 'failback', '--dry-run', ...K8S], 'USAGE'),
  },
  'k8s support-bundle': {
    success: 'test/integration/k8s-support-bundle.test.ts (the summary with --format json)',
    empty: fails(
      ['k8s', 'support-bundle', ...K8S, ...EMPTY, '--kubeconfig', join(root, 'none')],
      'CONFIG_INVALID',
    ),
    error: fails(['k8s', 'support-bundle', ...K8S, '--kubeconfig', join(root, 'none')], 'CONFIG_INVALID'),
  },
  'k8s promote': {
    success: ok(['k8s', 'promote', '--dry-run', ...K8S], has('steps')),
    empty: ok(['k8s', 'promote', '--dry-run', ...K8S, ...EMPTY], has('steps')),
    error: fails(['k8s', 'promote', '--dry-run', ...K8S, '--timeout', 'x'], 'USAGE'),
  },
  'k8s drill': {
    success: ok(['k8s', 'drill', '--dry-run', ...K8S], has('steps')),
    empty: ok(['k8s', 'drill', '--dry-run', ...K8S, ...EMPTY], has('steps')),
    error: fails(['k8s', 'drill', '--dry-run'], 'CONFIG_INVALID'),
  },
  agent: {
    success: 'test/integration/agent.test.ts (its log is JSON lines, the default off a terminal)',
    empty: fails(['agent', ...EMPTY], 'CONFIG_INVALID'),
    error: fails(['agent'], 'CONFIG_INVALID'),
  },
  'replica create': {
    success: 'test/integration/replica.test.ts (replica create --format json)',
    empty: fails(['replica', 'create', work, ...EMPTY], 'DIR_NOT_EMPTY'),
    error: fails(['replica', 'create', work], 'DIR_NOT_EMPTY'),
  },
  'replica status': {
    success: 'test/integration/replica.test.ts (replica status --format json)',
    empty: fails(['replica', 'status', work, ...EMPTY], 'NOT_STANDBY'),
    error: fails(['replica', 'status'], 'USAGE'),
  },
  'replica promote': {
    success: 'test/integration/replica.test.ts (replica promote --format json)',
    empty: fails(['replica', 'promote', work, '--yes', ...EMPTY], 'NOT_STANDBY'),
    error: fails(['replica', 'promote'], 'USAGE'),
  },
  'failback plan': {
    success: ok(['failback', 'plan'], has('options')),
    empty: ok(['failback', 'plan', ...EMPTY], has('options')),
    error: fails(['failback', 'plan', '--replica', join(root, 'none')], 'NOT_FOUND'),
  },
  'failback run': {
    success: 'test/integration/failback-original.test.ts (failback run --format json)',
    empty: fails(['failback', 'run', '--option', 'keep', ...EMPTY], 'NOT_FOUND'),
    error: fails(['failback', 'run'], 'USAGE'),
  },
  connections: {
    success: ok(['connections'], (v) => assert.ok(Array.isArray(v))),
    empty: ok(['connections', ...EMPTY], (v) => assert.deepEqual(v, [])),
    error: fails(['connections', 'extra'], 'USAGE'),
  },
  demo: {
    success: 'test/e2e/demo.test.ts (demo -o json)',
    empty: fails(['demo', '--dir', work], 'DIR_NOT_EMPTY'),
    error: fails(['demo', 'extra'], 'USAGE'),
  },
  serve: {
    success: 'the serve test below (its first line)',
    empty: fails(['serve', '--port', '99999', ...EMPTY], 'USAGE'),
    error: fails(['serve', '--host', '192.0.2.1'], 'USAGE'),
  },
  'postgres install': {
    success: 'test/integration/postgres-install-cli.test.ts (postgres install --format json)',
    empty: fails(['postgres', 'install'], 'USAGE'),
    error: fails(['postgres', 'install', 'latest'], 'USAGE'),
  },
  'postgres list': {
    success: ok(['postgres', 'list'], has('binaries')),
    empty: ok(['postgres', 'list', '--config', join(root, 'no-postgres.yaml')], has('binaries')),
    error: fails(['postgres', 'list', '--config', join(root, 'none.yaml')], 'CONFIG_INVALID'),
  },
  'config show': {
    success: ok(['config', 'show'], has('config')),
    empty: ok(['config', 'show', ...EMPTY], (v) =>
      assert.equal((v.config as { serverName: string }).serverName, 'empty'),
    ),
    error: fails(['config', 'show', '--config', join(root, 'bad.yaml')], 'CONFIG_INVALID'),
  },
};

/** Both spellings, before and after the command: each run uses one, by turns. */
const SPELLINGS: ReadonlyArray<(args: readonly string[]) => string[]> = [
  (a) => [...a, '--format', 'json'],
  (a) => ['-o', 'json', ...a],
  (a) => [...a, '-o', 'json'],
  (a) => ['--format=json', ...a],
];
let turn = 0;

async function runJson(r: Run): Promise<void> {
  const argv = SPELLINGS[turn++ % SPELLINGS.length]!(r.args);
  const res = await runPgdr(argv, { cwd: root, env });
  const what = `pgdr ${argv.join(' ')}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`;
  assert.ok(!`${res.stdout}${res.stderr}`.includes(SECRET), `a secret in the output of ${what}`);
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(res.stdout) as Record<string, unknown>;
  } catch (e) {
    assert.fail(`stdout is not one JSON document (${(e as Error).message}): ${what}`);
  }
  assert.equal(res.code, r.code, what);
  if (r.kind === 'error') {
    assertErrorObject(v, what);
    assert.equal((v.error as { name: string }).name, r.check, what);
    // The text still goes to stderr, for the person watching.
    assert.match(res.stderr, /^pgdr: error: /m, what);
  } else {
    assert.ok(
      !('error' in v && Object.keys(v).length === 1),
      `an error where a result was expected: ${what}`,
    );
    if (typeof r.check === 'function') r.check(v);
  }
}

function assertErrorObject(v: Record<string, unknown>, what: string): void {
  assert.deepEqual(Object.keys(v), ['error'], what);
  const e = v.error as Record<string, unknown>;
  assert.equal(typeof e.code, 'number', what);
  assert.equal(typeof e.name, 'string', what);
  assert.equal(
    ERRORS[e.name as keyof typeof ERRORS]?.exitCode,
    e.code,
    `code is the exit code of name: ${what}`,
  );
  assert.equal(typeof e.message, 'string', what);
  assert.ok(typeof e.hint === 'string' || e.hint === null, what);
}

before(async () => {
  await writeSyntheticBackup({ root: bucket, data: dataMembers(), manifest: true });
  // "empty": a server with archived WAL and no backup.
  for (const server of ['empty', 'empty-drill']) {
    const wals = join(bucket, server, 'wals', '0000000100000000');
    mkdirSync(wals, { recursive: true });
    writeFileSync(join(wals, '000000010000000000000001'), Buffer.alloc(16 << 20));
  }
  writeFileSync(
    closed,
    [
      'serverName: synth',
      'objectStore:',
      `  destinationPath: file://${bucket}`,
      'postgres:',
      `  connection: ${CLOSED}`,
      '',
    ].join('\n'),
  );
  mkdirSync(join(root, 'pg_wal'));
  writeFileSync(walFile, Buffer.alloc(16 << 20));
  mkdirSync(work);
  writeFileSync(join(work, 'precious'), 'x');
  const kube = [
    'kubernetes:',
    '  namespace: ns',
    '  cluster: db',
    '  objectStore: db-store',
    '  credentialsSecret: creds',
    '  applications: [web]',
    '  postgresVersion: 17',
    '  storageSize: 10Gi',
  ];
  writeFileSync(
    config,
    ['serverName: synth', 'objectStore:', `  destinationPath: file://${bucket}`, ''].join('\n'),
  );
  writeFileSync(
    k8sConfig,
    ['serverName: synth', 'objectStore:', '  destinationPath: s3://bucket/db', ...kube, ''].join('\n'),
  );
  writeFileSync(
    join(root, 'bad.yaml'),
    [
      'serverName: synth',
      'objectStore:',
      '  destinationPath: ftp://x',
      '  wal: { maxParallel: -1 }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(root, 'no-postgres.yaml'),
    [
      'serverName: synth',
      'objectStore:',
      `  destinationPath: file://${bucket}`,
      'postgres:',
      `  cacheDir: ${join(root, 'cache')}`,
      '',
    ].join('\n'),
  );
});

describe('--format json on every command', () => {
  it('has cases for every command in the CLI table, and no others', () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...COMMAND_NAMES].sort());
  });

  for (const name of COMMAND_NAMES) {
    const c = CASES[name];
    describe(name, () => {
      if (c === undefined) return;
      if (typeof c.success !== 'string') {
        const success = c.success;
        it('success: one JSON document, the exit code unchanged', () => runJson(success));
      }
      it('empty server: valid JSON, the exit code unchanged', () => runJson(c.empty));
      it('error: the error object, the exit code unchanged', () => runJson(c.error));
      it('a usage mistake: the error object, exit 2', () =>
        runJson(fails([...name.split(' '), '--no-such-flag'], 'USAGE')));
    });
  }

  it('version, help and a command help', async () => {
    await runJson(ok(['version'], (v) => assert.equal(typeof v.version, 'string')));
    await runJson(
      ok(['help'], (v) =>
        assert.deepEqual(
          (v.commands as Array<{ name: string }>).map((c) => c.name),
          COMMAND_NAMES,
        ),
      ),
    );
    await runJson(ok(['status', '--help'], (v) => assert.equal(v.name, 'status')));
    await runJson(fails(['help', 'nosuch'], 'USAGE'));
    await runJson(fails([], 'USAGE'));
    await runJson(fails(['nosuch', 'command'], 'USAGE'));
  });

  it('a configuration error lists the field problems under details', async () => {
    const r = await runPgdr(['status', '-o', 'json', '--config', join(root, 'bad.yaml')], { cwd: root, env });
    assert.equal(r.code, 3, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { details: { problems: Array<{ path: string }> } } };
    assert.deepEqual(
      error.details.problems.map((p) => p.path),
      ['objectStore.destinationPath', 'objectStore.wal.maxParallel'],
    );
  });

  it('serve: the line saying where it listens is JSON', async () => {
    const serve = await startServe(['-o', 'json', '--config', config], env);
    try {
      const first = serve
        .output()
        .split('\n')
        .find((l) => l.startsWith('{'));
      const v = JSON.parse(first ?? '') as { url: string; serverName: string; paths: string[] };
      assert.equal(v.url, serve.url);
      assert.equal(v.serverName, 'synth');
      assert.ok(v.paths.includes('/metrics'));
    } finally {
      await serve.stop();
    }
  });
});
