import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { PgdrError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function load(file: string | undefined, env: NodeJS.ProcessEnv = {}, extra: Record<string, string> = {}) {
  return loadConfig({ overrides: { configFile: file, ...extra }, env, cwd: dir });
}

function failure(fn: () => unknown): PgdrError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgdrError, `expected PgdrError, got ${e}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('config', () => {
  it('reads a JSON file as the same configuration as its YAML form, also when JSON.parse rejects it', () => {
    const same = (file: string) => ({ ...load(file), source: '' });
    const doc = {
      serverName: 'db',
      objectStore: { destinationPath: 'file:///srv/repo', wal: { maxParallel: 4 } },
    };
    const yaml = same(
      write(
        'same.yaml',
        'serverName: db\nobjectStore:\n  destinationPath: file:///srv/repo\n  wal: { maxParallel: 4 }\n',
      ),
    );
    assert.deepEqual(same(write('same.json', JSON.stringify(doc))), yaml);
    // Flow-style YAML that is not JSON (unquoted keys) still loads.
    assert.deepEqual(
      same(
        write(
          'flow.yaml',
          '{serverName: db, objectStore: {destinationPath: "file:///srv/repo", wal: {maxParallel: 4}}}',
        ),
      ),
      yaml,
    );
  });

  it('loads the DESIGN.md example with credentials from the environment', () => {
    const f = write(
      'full.yaml',
      `serverName: database-cnpg
objectStore:
  destinationPath: s3://mastovault/cnpg/mastodon-database
  endpointURL: https://account.r2.cloudflarestorage.com
  s3Credentials:
    accessKeyId: { env: MY_KEY }
    secretAccessKey: { env: MY_SECRET }
  wal: { compression: gzip, maxParallel: 8 }
  data: { compression: gzip, jobs: 2 }
retentionPolicy: 14d
postgres:
  connection: postgresql://postgres@localhost:5432/postgres
  pgdata: /var/lib/postgresql/data
`,
    );
    const c = load(f, { MY_KEY: 'AKIDEXAMPLE', MY_SECRET: 'topsecret' });
    assert.equal(c.serverName, 'database-cnpg');
    assert.equal(c.objectStore.destinationPath, 's3://mastovault/cnpg/mastodon-database');
    assert.equal(c.objectStore.forcePathStyle, true);
    assert.deepEqual(c.objectStore.wal, { compression: 'gzip', maxParallel: 8 });
    assert.equal(c.objectStore.data.jobs, 2);
    assert.equal(c.objectStore.s3Credentials?.secretAccessKey, 'topsecret');
    assert.equal(c.retentionPolicy, '14d');
    assert.equal(c.postgres.pgdata, '/var/lib/postgresql/data');
  });

  it('s3Credentials: static keys name their reference; inheritFromIAMRole or nothing set takes the AWS chain', () => {
    const store = (creds: string) =>
      write(
        `creds-${Math.random()}.yaml`,
        `serverName: db\nobjectStore:\n  destinationPath: s3://bkt/p\n${creds}`,
      );
    const secretFile = write('secret-key', 's');
    const keys = load(
      store(`  s3Credentials: { accessKeyId: { env: K }, secretAccessKey: { file: ${secretFile} } }\n`),
      { K: 'AKID' },
    );
    assert.equal(keys.objectStore.s3Credentials?.source, '{env: K}');
    assert.equal(keys.objectStore.awsCredentialChain, undefined);

    const env = {
      AWS_ROLE_ARN: 'arn:aws:iam::1:role/r',
      HOME: '/home/pg',
      PATH: '/usr/bin',
      AWS_REGION: 'eu-west-1',
    };
    const inherit = load(store('  s3Credentials: { inheritFromIAMRole: true }\n'), env);
    assert.equal(inherit.objectStore.s3Credentials, undefined);
    assert.deepEqual(inherit.objectStore.awsCredentialChain, {
      env: { AWS_ROLE_ARN: 'arn:aws:iam::1:role/r', HOME: '/home/pg', AWS_REGION: 'eu-west-1' },
      region: 'eu-west-1',
      inheritFromIAMRole: true,
    });
    assert.equal(load(store(''), env).objectStore.awsCredentialChain?.inheritFromIAMRole, false);

    const fromEnv = load(store(''), { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' });
    assert.equal(fromEnv.objectStore.s3Credentials?.source, '{env: AWS_ACCESS_KEY_ID}');
    const temporary = {
      AWS_ACCESS_KEY_ID: 'ASIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    };
    const t = load(store(''), temporary).objectStore;
    assert.equal(t.s3Credentials, undefined, 'keys with a session token are temporary: read by the chain');
    assert.ok(t.awsCredentialChain);

    const both = failure(() =>
      load(store('  s3Credentials: { inheritFromIAMRole: true, accessKeyId: { env: K } }\n'), { K: 'x' }),
    );
    assert.match(
      both.message,
      /inheritFromIAMRole: takes the credentials from the environment .*leave out accessKeyId/,
    );
    const empty = failure(() =>
      load(store('  s3Credentials: { accessKeyId: { env: K }, secretAccessKey: { file: /dev/null } }\n'), {
        K: 'x',
      }),
    );
    assert.match(empty.message, /secretAccessKey: the file \/dev\/null is empty/);
    const notBool = failure(() => load(store('  s3Credentials: { inheritFromIAMRole: yes please }\n')));
    assert.match(notBool.message, /inheritFromIAMRole: must be true or false/);
  });

  it('reports every mistake with its field path and a hint', () => {
    const f = write(
      'bad.yaml',
      'serverName: x\nobjectStore:\n  destinationPath: ftp://nope\n  wal: { compression: rar }\n  colour: blue\n',
    );
    const e = failure(() => load(f));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /objectStore\.destinationPath: must start with s3:\/\/, gs:\/\/ or file:\/\//);
    assert.match(e.message, /objectStore\.wal\.compression: must be one of none, gzip/);
    assert.match(e.message, /objectStore\.colour: unknown field/);
    assert.match(e.hint ?? '', /bad\.yaml/);
  });

  it('refuses a secret written inline and never echoes it', () => {
    const f = write(
      'inline.yaml',
      'serverName: x\nobjectStore:\n  destinationPath: s3://bucket/p\n  s3Credentials:\n    accessKeyId: AKID\n    secretAccessKey: hunter2-very-secret\n',
    );
    const e = failure(() => load(f));
    assert.match(e.message, /s3Credentials\.secretAccessKey: must not hold the secret itself/);
    assert.ok(!JSON.stringify({ m: e.message, h: e.hint, d: e.details }).includes('hunter2-very-secret'));
  });

  it('names a missing environment variable without printing any value', () => {
    const f = write(
      'env.yaml',
      'serverName: x\nobjectStore:\n  destinationPath: s3://bucket/p\n  s3Credentials:\n    accessKeyId: { env: K }\n    secretAccessKey: { env: S }\n',
    );
    const e = failure(() => load(f, { K: 'visible-key-id' }));
    assert.match(e.message, /secretAccessKey: environment variable S is not set/);
    assert.ok(!e.message.includes('visible-key-id'));
  });

  it('accepts a CloudNativePG ObjectStore manifest with --server-name', () => {
    const f = write(
      'objectstore.yaml',
      `apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata: { name: database-backup }
spec:
  retentionPolicy: "14d"
  configuration:
    destinationPath: s3://mastovault/cnpg/mastodon-database
    endpointURL: https://a.r2.cloudflarestorage.com
    s3Credentials:
      accessKeyId: { name: mastodon-walg-s3, key: ACCESS_KEY_ID }
      secretAccessKey: { name: mastodon-walg-s3, key: ACCESS_SECRET_KEY }
    wal: { compression: gzip, maxParallel: 8 }
`,
    );
    const e = failure(() => load(f));
    assert.match(e.message, /serverName: is required/);
    const e2 = failure(() => load(f, {}, { serverName: 'database-cnpg' }));
    assert.match(e2.message, /Kubernetes secret references/);
  });

  it('lets flags override the file and works with flags alone', () => {
    const f = write('base.yaml', 'serverName: a\nobjectStore:\n  destinationPath: file:///srv/a\n');
    const c = load(f, {}, { serverName: 'b', destinationPath: 'file:///srv/b' });
    assert.equal(c.serverName, 'b');
    assert.equal(c.objectStore.destinationPath, 'file:///srv/b');
    const c2 = load(
      undefined,
      { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' },
      {
        serverName: 'db',
        destinationPath: 's3://bkt',
        endpointURL: 'http://127.0.0.1:9000',
      },
    );
    assert.equal(c2.objectStore.s3Credentials?.accessKeyId, 'k');
    assert.equal(c2.objectStore.endpointURL, 'http://127.0.0.1:9000');
  });

  it('explains what to do when there is no configuration at all', () => {
    const e = failure(() => load(undefined));
    assert.match(e.hint ?? '', /no pgdr\.yaml here/);
  });

  it('rejects base-backup compressions barman-cloud cannot restore', () => {
    const f = write(
      'zstd.yaml',
      'serverName: a\nobjectStore:\n  destinationPath: file:///srv/a\n  data: { compression: zstd }\n',
    );
    assert.match(
      failure(() => load(f)).message,
      /objectStore\.data\.compression: barman-cloud cannot restore xz or zstd/,
    );
  });

  it('refuses a malformed retention policy with the accepted forms', () => {
    const f = write(
      'policy.yaml',
      'serverName: a\nobjectStore:\n  destinationPath: file:///srv/a\nretentionPolicy: 14 days\n',
    );
    const e = failure(() => load(f));
    assert.match(e.message, /^retentionPolicy: .*accepted: '14d', '2w', '1m'/);
    const ok = write(
      'policy-ok.yaml',
      'serverName: a\nobjectStore:\n  destinationPath: file:///srv/a\nretentionPolicy: REDUNDANCY 3\n',
    );
    assert.equal(load(ok).retentionPolicy, 'REDUNDANCY 3');
  });

  it('reads PGDR_CONFIG', () => {
    const f = write('envfile.yaml', 'serverName: z\nobjectStore:\n  destinationPath: file:///srv/z\n');
    const c = loadConfig({ overrides: {}, env: { PGDR_CONFIG: f }, cwd: '/' });
    assert.equal(c.serverName, 'z');
  });

  it('treats PGDR_CONFIG set but empty as unset: ./pgdr.yaml, else the flags', () => {
    const cwd = mkdtempSync(join(dir, 'empty-env-'));
    const flags = { destinationPath: 'file:///srv/f', serverName: 'f' };
    const viaFlags = loadConfig({ overrides: flags, env: { PGDR_CONFIG: '' }, cwd });
    assert.deepEqual([viaFlags.serverName, viaFlags.source], ['f', 'flags']);
    writeFileSync(
      join(cwd, 'pgdr.yaml'),
      'serverName: here\nobjectStore:\n  destinationPath: file:///srv/h\n',
    );
    const here = loadConfig({ overrides: {}, env: { PGDR_CONFIG: '' }, cwd });
    assert.deepEqual([here.serverName, here.source], ['here', 'pgdr.yaml']);
  });
});
