// The pure parts of the Kubernetes runbooks: the step engine (stop at the first failure, clean-up steps still
// run), the Status-to-error mapping (403 names the RBAC rule), reading a Cluster's status, and the diagnoses
// of the seed's troubleshooting cases, which Secret the verification logs in with, and how a refused
// port-forward upgrade is reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgdrError } from '../../src/errors.js';
import type { KubeApi } from '../../src/k8s/api/kube-api.js';
import { kubeError } from '../../src/k8s/api/kube-errors.js';
import { forwardError } from '../../src/k8s/api/port-forward.js';
import { clusterState, isReady, stateLine } from '../../src/k8s/cluster-state.js';
import { diagnose } from '../../src/k8s/diagnose.js';
import type { K8sObject } from '../../src/k8s/manifest-types.js';
import {
  credentialsSecret,
  forwardedConnection,
  readDbCredentials,
} from '../../src/k8s/runbook/db-credentials.js';
import { archiveCheckFailed, redact } from '../../src/k8s/runbook/recovery-runbook.js';
import { runRunbook, type Step } from '../../src/k8s/runbook/runbook.js';

const step = (id: string, run: Step<string[]>['run'], always = false): Step<string[]> => ({
  id,
  title: id,
  always,
  plan: () => [{ text: id }],
  run,
});

const cluster = (
  name: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
): K8sObject => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name, namespace: 'goingdark-social' },
  spec,
  status,
});

const reading = (serverName: string) => ({
  instances: 1,
  externalClusters: [
    { name: 'backup-source', plugin: { name: 'barman-cloud.cloudnative-pg.io', parameters: { serverName } } },
  ],
});

describe('runbook engine', () => {
  it('stops at the first failure: later steps are not run, clean-up steps still are', async () => {
    const ran: string[] = [];
    const r = await runRunbook(
      'test',
      [
        step('a', async (c) => {
          c.push('a');
          return 'ok';
        }),
        step('b', async () => {
          throw new PgdrError('K8S_TIMEOUT', 'never ready');
        }),
        step('c', async (c) => {
          c.push('c');
          return 'ok';
        }),
        step(
          'cleanup',
          async (c) => {
            c.push('cleanup');
            return { skipped: 'nothing' };
          },
          true,
        ),
      ],
      ran,
      { describeState: async (c) => [`ran ${c.join(',')}`] },
    );
    assert.equal(r.ok, false);
    assert.deepEqual(ran, ['a', 'cleanup']);
    assert.deepEqual(
      r.steps.map((s) => [s.name, s.status, s.detail]),
      [
        ['a', 'pass', 'ok'],
        ['b', 'fail', 'K8S_TIMEOUT: never ready'],
        ['c', 'skip', 'not run: an earlier step failed'],
        ['cleanup', 'skip', 'nothing'],
      ],
    );
    assert.equal(r.result, 'fail');
    assert.equal(r.failure?.step, 'b');
    assert.equal(r.failure?.error.code, 'K8S_TIMEOUT');
    assert.deepEqual(r.state, ['ran a,cleanup']);
  });

  it('a non-pgdr error becomes INTERNAL, and success reports no state', async () => {
    const bad = await runRunbook('t', [step('x', async () => Promise.reject(new Error('boom')))], []);
    assert.equal(bad.failure?.error.code, 'INTERNAL');
    const good = await runRunbook('t', [step('x', async () => 'fine')], [], {
      describeState: async () => ['x'],
    });
    assert.equal(good.ok, true);
    assert.deepEqual(good.state, []);
  });
});

describe('Kubernetes API errors', () => {
  const call = {
    verb: 'patch',
    ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'goingdark-social', name: 'mastodon-web' },
    subresource: 'scale',
    where: 'context prod at https://k8s.example',
  };
  const status = (code: number, message: string) => ({
    code,
    body: JSON.stringify({ kind: 'Status', code, message }),
  });

  it('403 names the verb, resource, namespace and the RBAC rule', () => {
    const e = kubeError(status(403, 'deployments.apps "mastodon-web" is forbidden'), call);
    assert.equal(e?.code, 'K8S_FORBIDDEN');
    assert.equal(e?.exitCode, 60);
    assert.equal(
      e?.message,
      'forbidden: cannot patch deployments.apps/scale in namespace goingdark-social (deployments.apps "mastodon-web" is forbidden)',
    );
    assert.equal(
      e?.hint,
      'the identity needs an RBAC rule in a Role of namespace goingdark-social: {apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"]}',
    );
  });

  it('404, 409, 401 and others; no answer at all is left to the caller', () => {
    assert.equal(kubeError(status(404, 'not found'), call)?.code, 'NOT_FOUND');
    assert.equal(kubeError(status(409, 'already exists'), call)?.code, 'CONFLICT');
    assert.match(kubeError(status(401, 'Unauthorized'), call)?.message ?? '', /rejected the credentials/);
    assert.equal(kubeError(status(500, 'etcd down'), call)?.code, 'K8S_API');
    assert.equal(kubeError(new Error('ECONNREFUSED'), call), undefined);
  });
});

describe('Cluster status', () => {
  it('reads phase, readiness, timeline, sources and archive', () => {
    const s = clusterState(
      cluster(
        'db-recovered',
        {
          ...reading('database-cnpg'),
          plugins: [{ isWALArchiver: true, parameters: { serverName: 'db-recovered' } }],
        },
        {
          phase: 'Cluster in healthy state',
          readyInstances: 1,
          currentPrimary: 'db-recovered-1',
          timelineID: 2,
          conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterIsReady', message: '' }],
        },
      ),
    );
    assert.equal(isReady(s), true);
    assert.deepEqual(s.sourceServerNames, ['database-cnpg']);
    assert.equal(s.archiveServerName, 'db-recovered');
    assert.equal(s.replica, false);
    assert.equal(
      stateLine(s),
      'Cluster in healthy state, 1/1 ready, primary db-recovered-1, timeline 2, Ready=True',
    );
    assert.equal(
      isReady(
        clusterState(
          cluster(
            'x',
            { instances: 2 },
            { phase: 'Cluster in healthy state', readyInstances: 1, currentPrimary: 'x-1' },
          ),
        ),
      ),
      false,
    );
    assert.equal(clusterState(cluster('r', { replica: { enabled: true } }, {})).replica, true);
    assert.equal(clusterState(cluster('r', { replica: { primary: 'src', self: 'r' } }, {})).replica, true);
    assert.equal(clusterState(cluster('r', { replica: { primary: 'r', self: 'r' } }, {})).replica, false);
  });

  it('"WAL archive check failed" cannot heal by waiting', () => {
    const s = clusterState(
      cluster(
        'db-recovered',
        { plugins: [{ isWALArchiver: true, parameters: { serverName: 'db-recovered' } }] },
        {
          phase: 'Setting up primary',
          conditions: [
            {
              type: 'ContinuousArchiving',
              status: 'False',
              reason: 'ContinuousArchivingFailing',
              message: 'WAL archive check failed for server db-recovered: Expected empty archive',
            },
          ],
        },
      ),
    );
    const e = archiveCheckFailed(s);
    assert.equal(e?.code, 'ARCHIVE_NOT_EMPTY');
    assert.match(e?.hint ?? '', /--archive-server-name db-recovered-2/);
    assert.equal(
      archiveCheckFailed(clusterState(cluster('ok', {}, { phase: 'Setting up primary' }))),
      undefined,
    );
  });

  it('never prints a password of a connection', () => {
    assert.equal(
      redact('postgresql://app:s3cret@db-rw:5432/mastodon'),
      'postgresql://app:***@db-rw:5432/mastodon',
    );
    assert.equal(redact('host=db password=s3cret user=app'), 'host=db password=*** user=app');
  });
});

describe('diagnoses', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const bucket = {
    servers: new Map([
      ['database-cnpg', 3],
      ['database-cnpg-recovered', 0],
      ['database-cnpg-recovered-2', 0],
    ]),
    newestWalAgeMs: new Map<string, number | null>([['database-cnpg', 2 * 3_600_000]]),
  };

  it('stuck in "Setting up primary" on a serverName without backups names the ones with backups', () => {
    const s = clusterState(
      cluster('database-cnpg-recovered', reading('mastodon-db'), { phase: 'Setting up primary' }),
    );
    const d = diagnose({
      clusters: [{ role: 'recovered', state: s }],
      bucket,
      originalName: 'database-cnpg',
      now,
    });
    assert.equal(d[0]?.level, 'error');
    assert.match(d[0]?.finding ?? '', /serverName mastodon-db, which has no backups/);
    assert.match(d[0]?.advice ?? '', /server names with backups: database-cnpg;/);
    assert.equal(d[1]?.level, 'info');
    assert.match(d[1]?.finding ?? '', /metadata.name is immutable/);
  });

  it('archive check failure proposes a serverName that is free in the bucket', () => {
    const s = clusterState(
      cluster('database-cnpg-recovered', reading('database-cnpg'), {
        phase: 'Setting up primary',
        phaseReason: 'WAL archive check failed',
      }),
    );
    const d = diagnose({
      clusters: [{ role: 'source', state: s }],
      bucket,
      originalName: 'database-cnpg',
      now,
    });
    assert.equal(d.length, 1);
    assert.match(d[0]?.advice ?? '', /database-cnpg-recovered-3/);
  });

  it('a replica not catching up, behind a source whose WAL is old', () => {
    const s = clusterState(
      cluster(
        'database-cnpg-replica',
        { ...reading('database-cnpg'), replica: { enabled: true } },
        {
          phase: 'Waiting for the instances to become active',
        },
      ),
    );
    const d = diagnose({
      clusters: [{ role: 'replica', state: s }],
      bucket,
      originalName: 'database-cnpg',
      now,
    });
    assert.deepEqual(
      d.map((x) => x.level),
      ['warn', 'warn'],
    );
    assert.match(d[0]?.finding ?? '', /replica not catching up/);
    assert.match(d[1]?.finding ?? '', /archived its newest WAL 120 min ago/);
  });
});

describe('the credentials the verification logs in with', () => {
  const named = (spec: Record<string, unknown>) => credentialsSecret(cluster('rec', spec, {}));
  it("CloudNativePG's names: -superuser with enableSuperuserAccess, else -app, or the ones the spec gives", () => {
    assert.deepEqual(named({}), { name: 'rec-app', superuser: false });
    assert.deepEqual(named({ enableSuperuserAccess: true }), { name: 'rec-superuser', superuser: true });
    assert.deepEqual(named({ enableSuperuserAccess: true, superuserSecret: { name: 'su' } }), {
      name: 'su',
      superuser: true,
    });
    assert.deepEqual(
      named({ enableSuperuserAccess: false, bootstrap: { recovery: { secret: { name: 'own' } } } }),
      {
        name: 'own',
        superuser: false,
      },
    );
  });

  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const apiWith = (data: Record<string, string> | undefined) =>
    ({
      get: async () =>
        data ? { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, data } : undefined,
    }) as unknown as KubeApi;

  it("reads username, password and dbname; the superuser's dbname * means postgres", async () => {
    const app = await readDbCredentials(
      apiWith({ username: b64('app'), password: b64('p@ss:/w'), dbname: b64('mastodon_production') }),
      cluster('rec', {}, {}),
    );
    assert.deepEqual(app, {
      secret: 'rec-app',
      superuser: false,
      user: 'app',
      password: 'p@ss:/w',
      database: 'mastodon_production',
    });
    assert.equal(
      forwardedConnection(app, '127.0.0.1', 4000),
      'postgresql://app:p%40ss%3A%2Fw@127.0.0.1:4000/mastodon_production',
    );
    const su = await readDbCredentials(
      apiWith({ username: b64('postgres'), password: b64('x'), dbname: b64('*') }),
      cluster('rec', { enableSuperuserAccess: true }, {}),
    );
    assert.equal(su.database, 'postgres');
  });

  it('a missing Secret or key is an error that names the Secret, never a value', async () => {
    await assert.rejects(readDbCredentials(apiWith(undefined), cluster('rec', {}, {})), (e: PgdrError) => {
      assert.equal(e.code, 'NOT_FOUND');
      assert.match(
        e.message,
        /Secret goingdark-social\/rec-app \(the application credentials CloudNativePG creates for rec\) does not exist/,
      );
      return true;
    });
    await assert.rejects(
      readDbCredentials(apiWith({ username: b64('app') }), cluster('rec', {}, {})),
      /Secret goingdark-social\/rec-app has no password key/,
    );
  });
});

describe('a refused port-forward', () => {
  const t = {
    namespace: 'ns',
    pod: 'rec-1',
    port: 5432,
    where: 'context fake at https://k',
    timeoutMs: 1000,
  };
  const ws = (status: number) => ({ type: 'error', message: `Unexpected server response: ${status}` });
  it('403 names the RBAC rule, 404 the pod, a timeout the API server', () => {
    const forbidden = forwardError(ws(403), t);
    assert.equal(forbidden.code, 'K8S_FORBIDDEN');
    assert.match(forbidden.message, /^forbidden: cannot create pods\/portforward in namespace ns/);
    assert.match(forbidden.hint ?? '', /resources: \["pods\/portforward"\], verbs: \["get", "create"\]/);
    assert.equal(forwardError(ws(404), t).code, 'NOT_FOUND');
    assert.match(forwardError(ws(404), t).message, /Pod ns\/rec-1 does not exist/);
    assert.equal(forwardError(ws(500), t).code, 'K8S_API');
    const late = forwardError(new DOMException('timed out', 'TimeoutError'), t);
    assert.match(late.message, /did not open the port-forward to pod rec-1 in time/);
  });
});
