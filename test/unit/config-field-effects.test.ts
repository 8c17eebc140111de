// No configuration field may be accepted and then ignored. The fields are not listed by hand: they are read off
// the validator itself (each mapping answers an unknown key with "unknown field (known: ...)"), so a field added
// to the validator without an entry here fails this test. Each entry proves the field changes the built
// configuration in the way it should; the S3 driver's side (headers, TLS) is proven on the wire in
// test/integration/s3-upload-options.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PgdrConfig } from '../../src/config/types.js';
import { buildConfig, Problems } from '../../src/config/validate.js';

type Raw = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'pgdr-fields-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PEM = join(dir, 'ca.pem');
writeFileSync(PEM, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const SECRET = join(dir, 'secret');
writeFileSync(SECRET, 'from-a-file\n');

const BASE: Raw = { serverName: 'db', objectStore: { destinationPath: 's3://bucket/x' } };
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDBASE', AWS_SECRET_ACCESS_KEY: 'base-secret' };
const K8S: Raw = { namespace: 'ns', objectStore: 'store', credentialsSecret: { name: 'creds' } };

function build(raw: Raw): { config: PgdrConfig | undefined; problems: string[] } {
  const p = new Problems();
  const config = buildConfig({ raw, env: ENV, source: 'test', defaults: { jobs: 2 } }, p);
  return { config, problems: p.list.map((x) => `${x.path}: ${x.message}`) };
}

function withField(raw: Raw, path: string, value: unknown): Raw {
  const out = structuredClone(raw);
  const keys = path.split('.');
  let at = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Raw;
  }
  at[keys[keys.length - 1] as string] = value;
  return out;
}

/** Every field path the validator accepts, by asking each mapping which keys it knows. */
function acceptedFields(path: string[] = []): string[] {
  const probe = withField(BASE, [...path, '__probe'].join('.'), 1);
  const hit = build(probe).problems.find((m) => m.startsWith(`${[...path, '__probe'].join('.')}: `));
  const known = hit === undefined ? undefined : /unknown field \(known: ([^)]*)\)/.exec(hit)?.[1];
  if (known === undefined) return [path.join('.')];
  return known.split(', ').flatMap((k) => acceptedFields([...path, k]));
}

interface Effect {
  /** The value set at the field (a different one from BASE's for the fields BASE needs). */
  readonly value: unknown;
  /** Other fields the value needs (a kubernetes: section, an https endpoint...). */
  readonly with?: Raw;
  /** What the value must change in the built configuration. */
  readonly shows: (c: PgdrConfig) => unknown;
  readonly expect: unknown;
  /** Work another branch does: the entry states the required effect and is reported as todo until then. */
  readonly todo?: string;
}

const store = (c: PgdrConfig) => c.objectStore;
const EFFECTS: Record<string, Effect> = {
  serverName: { value: 'other', shows: (c) => c.serverName, expect: 'other' },
  pgdrCommand: { value: '/opt/pgdr/bin/pgdr', shows: (c) => c.pgdrCommand, expect: '/opt/pgdr/bin/pgdr' },
  'objectStore.destinationPath': {
    value: 's3://other/y',
    shows: (c) => store(c).destinationPath,
    expect: 's3://other/y',
  },
  'objectStore.endpointURL': {
    value: 'https://minio.local:9000',
    shows: (c) => [store(c).endpointURL, store(c).forcePathStyle],
    expect: ['https://minio.local:9000', true],
  },
  'objectStore.region': { value: 'eu-west-3', shows: (c) => store(c).region, expect: 'eu-west-3' },
  'objectStore.forcePathStyle': { value: true, shows: (c) => store(c).forcePathStyle, expect: true },
  'objectStore.s3Credentials.accessKeyId': {
    value: { env: 'MY_ID' },
    with: { objectStore: { s3Credentials: { secretAccessKey: { file: SECRET } } } },
    shows: (c) => store(c).s3Credentials?.accessKeyId,
    expect: 'AKIDFILE',
  },
  'objectStore.s3Credentials.secretAccessKey': {
    value: { file: SECRET },
    with: { objectStore: { s3Credentials: { accessKeyId: { env: 'AWS_ACCESS_KEY_ID' } } } },
    shows: (c) => store(c).s3Credentials?.secretAccessKey,
    expect: 'from-a-file',
  },
  'objectStore.s3Credentials.sessionToken': {
    value: { file: SECRET },
    with: {
      objectStore: {
        s3Credentials: { accessKeyId: { env: 'AWS_ACCESS_KEY_ID' }, secretAccessKey: { file: SECRET } },
      },
    },
    shows: (c) => store(c).s3Credentials?.sessionToken,
    expect: 'from-a-file',
  },
  'objectStore.s3Credentials.region': {
    value: { env: 'MY_REGION' },
    with: {
      objectStore: {
        s3Credentials: { accessKeyId: { env: 'AWS_ACCESS_KEY_ID' }, secretAccessKey: { file: SECRET } },
      },
    },
    shows: (c) => store(c).region,
    expect: 'eu-north-1',
  },
  'objectStore.s3Credentials.inheritFromIAMRole': {
    value: true,
    shows: (c) => [store(c).s3Credentials, store(c).awsCredentialChain?.inheritFromIAMRole],
    expect: [undefined, true],
  },
  'objectStore.googleCredentials': {
    value: { gkeEnvironment: true },
    with: { objectStore: { destinationPath: 'gs://bucket/x' } },
    shows: (c) => store(c).google?.credentials.kind,
    expect: 'metadata',
  },
  'objectStore.azureCredentials': {
    value: { storageAccount: 'acct', storageKey: { env: 'AZ_KEY' } },
    with: { objectStore: { destinationPath: 'https://acct.blob.core.windows.net/container/x' } },
    shows: (c) => store(c).azureCredentials?.kind,
    expect: 'sharedKey',
  },
  'objectStore.wal.compression': { value: 'zstd', shows: (c) => store(c).wal.compression, expect: 'zstd' },
  'objectStore.wal.maxParallel': { value: 8, shows: (c) => store(c).wal.maxParallel, expect: 8 },
  'objectStore.wal.encryption': {
    value: 'AES256',
    shows: (c) => store(c).uploads?.walEncryption,
    expect: { method: 'AES256' },
  },
  'objectStore.wal.archiveAdditionalCommandArgs': {
    value: ['--encryption=aws:kms', '--sse-kms-key-id', 'alias/pg'],
    shows: (c) => store(c).uploads?.walEncryption,
    expect: { method: 'aws:kms', kmsKeyId: 'alias/pg' },
  },
  'objectStore.wal.restoreAdditionalCommandArgs': {
    value: ['--no-partial'],
    shows: (c) => store(c).wal.noPartial,
    expect: true,
  },
  'objectStore.data.compression': {
    value: 'bzip2',
    shows: (c) => store(c).data.compression,
    expect: 'bzip2',
  },
  'objectStore.data.jobs': { value: 7, shows: (c) => store(c).data.jobs, expect: 7 },
  'objectStore.data.immediateCheckpoint': {
    value: true,
    shows: (c) => store(c).data.immediateCheckpoint,
    expect: true,
  },
  'objectStore.data.encryption': {
    value: 'aws:kms',
    shows: (c) => store(c).uploads?.dataEncryption,
    expect: { method: 'aws:kms' },
  },
  'objectStore.data.additionalCommandArgs': {
    value: ['--immediate-checkpoint', '--jobs=3', '--encryption', 'AES256'],
    shows: (c) => [store(c).data.immediateCheckpoint, store(c).data.jobs, store(c).uploads?.dataEncryption],
    expect: [true, 3, { method: 'AES256' }],
  },
  'objectStore.timeouts.connect': { value: '3s', shows: (c) => store(c).timeouts?.connectMs, expect: 3000 },
  'objectStore.timeouts.request': {
    value: '20s',
    shows: (c) => store(c).timeouts?.requestMs,
    expect: 20_000,
  },
  'objectStore.timeouts.operation': {
    value: '9m',
    shows: (c) => store(c).timeouts?.operationMs,
    expect: 540_000,
  },
  'objectStore.timeouts.command': { value: '1m', shows: (c) => store(c).timeouts?.commandMs, expect: 60_000 },
  'objectStore.tags': {
    value: { team: 'dba', 'cost center': 'a/b' },
    shows: (c) => store(c).uploads?.tags,
    expect: [
      ['team', 'dba'],
      ['cost center', 'a/b'],
    ],
  },
  'objectStore.historyTags': {
    value: { kind: 'history' },
    shows: (c) => store(c).uploads?.historyTags,
    expect: [['kind', 'history']],
  },
  'objectStore.endpointCA': {
    value: { file: PEM },
    with: { objectStore: { endpointURL: 'https://minio.local:9000' } },
    shows: (c) => store(c).endpointCA?.startsWith('-----BEGIN CERTIFICATE-----'),
    expect: true,
  },
  retentionPolicy: { value: '30d', shows: (c) => c.retentionPolicy, expect: '30d' },
  'postgres.connection': {
    value: 'postgresql://u@h/db',
    shows: (c) => c.postgres.connection,
    expect: 'postgresql://u@h/db',
  },
  'postgres.pgdata': { value: '/srv/pg', shows: (c) => c.postgres.pgdata, expect: '/srv/pg' },
  'postgres.binDir': { value: '/usr/lib/pg/bin', shows: (c) => c.postgres.binDir, expect: '/usr/lib/pg/bin' },
  'postgres.cacheDir': { value: '/var/cache/pg', shows: (c) => c.postgres.cacheDir, expect: '/var/cache/pg' },
  'drill.schedule': { value: '@weekly', shows: (c) => c.agent?.drillSchedule, expect: '@weekly' },
  schedule: { value: '0 0 3 * * *', shows: (c) => c.agent?.schedule, expect: '0 0 3 * * *' },
  'agent.listen': {
    value: '127.0.0.1:9999',
    shows: (c) => c.agent?.listen,
    expect: { host: '127.0.0.1', port: 9999 },
  },
  'agent.stateFile': {
    value: '/var/lib/s.json',
    shows: (c) => c.agent?.stateFile,
    expect: '/var/lib/s.json',
  },
  'agent.retentionPolicyIntervalSeconds': {
    value: 60,
    shows: (c) => c.agent?.retentionPolicyIntervalSeconds,
    expect: 60,
  },
  'agent.minimumRedundancy': { value: 2, shows: (c) => c.agent?.minimumRedundancy, expect: 2 },
  'agent.lockStaleSeconds': { value: 30, shows: (c) => c.agent?.lockStaleSeconds, expect: 30 },
  'agent.incrementalSchedule': {
    value: '0 0 6 * * *',
    shows: (c) => c.agent?.incrementalSchedule,
    expect: '0 0 6 * * *',
  },
};

type K8s = NonNullable<PgdrConfig['kubernetes']>;
const k8s = (value: unknown, shows: (k: K8s) => unknown, expect: unknown): Effect => ({
  value,
  with: { kubernetes: K8S },
  shows: (c) => (c.kubernetes === undefined ? 'no kubernetes' : shows(c.kubernetes)),
  expect,
});
Object.assign(EFFECTS, {
  'kubernetes.namespace': k8s('other', (k) => k.namespace, 'other'),
  'kubernetes.cluster': k8s('pg-main', (k) => k.cluster, 'pg-main'),
  'kubernetes.objectStore': k8s('other', (k) => k.objectStore, 'other'),
  'kubernetes.credentialsSecret.name': k8s('other', (k) => k.credentialsSecret.name, 'other'),
  'kubernetes.credentialsSecret.accessKeyIdKey': k8s('ID', (k) => k.credentialsSecret.accessKeyIdKey, 'ID'),
  'kubernetes.credentialsSecret.secretAccessKeyKey': k8s(
    'SECRET',
    (k) => k.credentialsSecret.secretAccessKeyKey,
    'SECRET',
  ),
  'kubernetes.applications': k8s(['web', 'sidekiq'], (k) => k.applications, ['web', 'sidekiq']),
  'kubernetes.pooler': k8s('pool', (k) => k.pooler, 'pool'),
  'kubernetes.replicaCluster': k8s('dr', (k) => k.replicaCluster, 'dr'),
  'kubernetes.recoveredCluster': k8s('back', (k) => k.recoveredCluster, 'back'),
  'kubernetes.imageName': k8s('pg:17', (k) => k.imageName, 'pg:17'),
  'kubernetes.postgresVersion': k8s(16, (k) => k.postgresVersion, 16),
  'kubernetes.instances': k8s(3, (k) => k.instances, 3),
  'kubernetes.storageSize': k8s('50Gi', (k) => k.storageSize, '50Gi'),
  'kubernetes.drill.schedule': k8s('0 4 * * 1', (k) => k.drill.schedule, '0 4 * * 1'),
  'kubernetes.drill.webhook': k8s('https://hooks.local/x', (k) => k.drill.webhook, {
    url: 'https://hooks.local/x',
  }),
  'kubernetes.drill.image': k8s('pgdr:1', (k) => k.drill.image, 'pgdr:1'),
  'kubernetes.drill.database': k8s('mastodon_production', (k) => k.drill.database, 'mastodon_production'),
  'kubernetes.drill.preset': k8s('mastodon', (k) => k.drill.preset, 'mastodon'),
  'objectives.rpo': { value: '5m', shows: (c: PgdrConfig) => c.objectives?.rpoMs, expect: 300_000 },
  'objectives.rto': { value: '1h', shows: (c: PgdrConfig) => c.objectives?.rtoMs, expect: 3_600_000 },
  'objectives.backupAge': {
    value: '2d',
    shows: (c: PgdrConfig) => c.objectives?.backupAgeMs,
    expect: 172_800_000,
  },
  'objectives.drillAge': {
    value: '14d',
    shows: (c: PgdrConfig) => c.objectives?.drillAgeMs,
    expect: 1_209_600_000,
  },
});

/**
 * Accepted fields that change nothing pgdr does, each with the reason it is accepted all the same and a proof
 * that nothing in it can be silently dropped.
 */
const INFORMATIONAL: Record<string, { reason: string; proof: () => void }> = {
  'objectStore.data.restoreAdditionalCommandArgs': {
    reason:
      'pasted ObjectStores carry it; barman-cloud-restore takes no flag that pgdr has a setting for, so only an empty list is accepted and every flag in it is refused',
    proof: () => {
      const field = 'objectStore.data.restoreAdditionalCommandArgs';
      assert.deepEqual(build(withField(BASE, field, [])).problems, []);
      const refused = build(withField(BASE, field, ['--read-timeout=60'])).problems;
      assert.match(refused[0] ?? '', /--read-timeout is not taken by pgdr.*objectStore\.timeouts\.request/);
    },
  },
};

function merge(a: Raw, b: Raw): Raw {
  const out: Raw = structuredClone(a);
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof cur === 'object' && cur !== null
        ? merge(cur as Raw, v as Raw)
        : structuredClone(v);
  }
  return out;
}

describe('every accepted configuration field has an effect', () => {
  const fields = acceptedFields();

  it('finds the fields by asking the validator, and every one has an entry here', () => {
    assert.ok(fields.includes('objectStore.wal.encryption') && fields.length > 40, fields.join(' '));
    const missing = fields.filter((f) => EFFECTS[f] === undefined && INFORMATIONAL[f] === undefined);
    assert.deepEqual(missing, [], 'accepted fields with neither an effect nor an informational reason');
    const stale = [...Object.keys(EFFECTS), ...Object.keys(INFORMATIONAL)].filter(
      (f) => !fields.includes(f) && !fields.some((g) => g.startsWith(`${f}.`)),
    );
    assert.deepEqual(stale, [], 'entries for fields the validator does not accept');
  });

  for (const [field, { reason, proof }] of Object.entries(INFORMATIONAL)) {
    it(`${field} is informational: ${reason}`, proof);
  }

  for (const [field, e] of Object.entries(EFFECTS)) {
    it(`${field} changes the configuration`, { todo: e.todo }, () => {
      const base = merge(BASE, e.with ?? {});
      const before = build(base);
      const env = {
        ...ENV,
        MY_ID: 'AKIDFILE',
        MY_REGION: 'eu-north-1',
        AZ_KEY: 'c2VjcmV0LWtleS0xMjM0NTY3OA==',
      };
      const p = new Problems();
      const raw = withField(base, field, e.value);
      const config = buildConfig({ raw, env, source: 'test', defaults: { jobs: 2 } }, p);
      assert.deepEqual(p.list, [], `${field}: ${JSON.stringify(e.value)} is refused`);
      assert.ok(config !== undefined);
      assert.notDeepEqual({ ...config, source: '' }, { ...before.config, source: '' });
      assert.deepEqual(e.shows(config), e.expect);
    });
  }
});
