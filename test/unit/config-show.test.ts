// `pgdr config show`: the configuration in effect, field by field with its source, secrets never printed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { type CliContext, main, reportError } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { PGDR_EXECUTABLE } from '../../src/pgdr-executable.js';

const root = mkdtempSync(join(tmpdir(), 'pgdr-config-show-'));
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));
const cwd = join(root, 'cwd');
mkdirSync(cwd);
const SECRET = 'wJalrXUtnFEMI-secret-from-file';
const KEY_ID = 'AKIA-key-id-from-env';
const PASSWORD = 'pw';
writeFileSync(join(root, 'secret'), SECRET);
const system = join(root, 'pgdr.yaml');
writeFileSync(
  system,
  [
    'serverName: prod',
    'objectStore:',
    '  destinationPath: s3://bucket/dr',
    '  endpointURL: http://127.0.0.1:9000',
    '  s3Credentials:',
    '    accessKeyId: {env: MY_KEY_ID}',
    `    secretAccessKey: {file: ${join(root, 'secret')}}`,
    '  wal: {maxParallel: 8}',
    'postgres:',
    `  connection: postgresql://postgres:${PASSWORD}@db:5432/postgres`,
    '',
  ].join('\n'),
);

async function show(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        add(String(chunk));
        done();
      },
    });
  const ctx: CliContext = {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    isTTY: false,
    env: { MY_KEY_ID: KEY_ID, PATH: '', ...env },
    cwd,
    signal: new AbortController().signal,
    systemConfigFile: system,
  };
  let code: number;
  try {
    code = await main(['config', 'show', ...argv], ctx);
  } catch (e) {
    code = reportError(e, ctx, {});
  }
  return { code, stdout, stderr };
}

describe('pgdr config show', () => {
  it('prints each field with its source as a YAML comment; secrets only as their references', async () => {
    const r = await show(['--server-name', 'other'], {
      AWS_REGION: 'eu-west-1',
      PGDR_COMMAND: PGDR_EXECUTABLE,
    });
    assert.equal(r.code, 0, r.stderr);
    for (const secret of [SECRET, KEY_ID, `:${PASSWORD}@`]) assert.ok(!r.stdout.includes(secret), r.stdout);
    const lines = r.stdout.split('\n');
    const has = (text: string) => assert.ok(lines.includes(text), `${text}\nin:\n${r.stdout}`);
    has(`# read from ${system} (the host-wide file: no --config, PGDR_CONFIG or ./pgdr.yaml)`);
    has('serverName: other # flag --server-name');
    has(`pgdrCommand: ${PGDR_EXECUTABLE} # env PGDR_COMMAND`);
    has(`  destinationPath: s3://bucket/dr # file ${system}`);
    has('  region: eu-west-1 # env AWS_REGION');
    has('  forcePathStyle: true # default');
    has(`    accessKeyId: { env: MY_KEY_ID } # file ${system}`);
    has(`    secretAccessKey: { file: ${join(root, 'secret')} } # file ${system}`);
    has(`    maxParallel: 8 # file ${system}`);
    has('    compression: gzip # default');
    has('    command: 2m # default');
    has(`  connection: postgresql://postgres:[redacted]@db:5432/postgres # file ${system}`);
    // What it prints is a configuration pgdr reads back as the same one (secrets through the same references).
    const printed = join(root, 'printed.yaml');
    writeFileSync(printed, r.stdout);
    const env = { MY_KEY_ID: KEY_ID, AWS_REGION: 'eu-west-1' };
    const again = loadConfig({ overrides: { configFile: printed }, env, cwd });
    const first = loadConfig({ overrides: { configFile: system, serverName: 'other' }, env, cwd });
    assert.deepEqual(again.objectStore, first.objectStore);
    assert.deepEqual(again.agent, first.agent);
    assert.equal(again.serverName, 'other');
    assert.equal(again.pgdrCommand, PGDR_EXECUTABLE);
  });

  it('--format json: the configuration, and every field with value and source', async () => {
    const r = await show(['--format', 'json'], { AWS_ACCESS_KEY_ID: 'unused' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stdout.includes(KEY_ID), r.stdout);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.file, { path: system, foundBy: 'system' });
    assert.equal(out.config.objectStore.wal.maxParallel, 8);
    const field = (name: string) => out.fields.find((f: { field: string }) => f.field === name);
    assert.deepEqual(field('serverName'), {
      field: 'serverName',
      value: 'prod',
      source: { kind: 'file', name: system },
    });
    assert.deepEqual(field('objectStore.region').source, { kind: 'default' });
    assert.deepEqual(field('objectStore.s3Credentials.secretAccessKey').value, {
      file: join(root, 'secret'),
    });
    // No pgdr on PATH and none configured: shown as missing, with the reason, and a warning.
    assert.equal(field('pgdrCommand').value, null);
    assert.equal(field('pgdrCommand').source.kind, 'PATH');
    assert.match(field('pgdrCommand').source.name, /no pgdr on PATH/);
    assert.match(r.stderr, /^pgdr: warning: no pgdr on PATH/);
    assert.equal(out.warnings.length, 1);
  });

  it('encryption, tags, endpointCA and the flag lists: shown with their source, the CA as its reference', async () => {
    const ca = join(root, 'ca.pem');
    const PEM_BODY = 'MIIBpem-body-not-printed';
    writeFileSync(ca, `-----BEGIN CERTIFICATE-----\n${PEM_BODY}\n-----END CERTIFICATE-----\n`);
    const file = join(root, 'uploads.yaml');
    writeFileSync(
      file,
      [
        'serverName: s',
        'objectStore:',
        '  destinationPath: s3://bucket/x',
        '  endpointURL: https://minio.local:9000',
        `  endpointCA: {file: ${ca}}`,
        '  wal: {encryption: AES256}',
        '  data: {additionalCommandArgs: ["--encryption=aws:kms", "--sse-kms-key-id=alias/pg"]}',
        '  tags: {team: dba}',
        '  historyTags: {kind: timeline}',
        '',
      ].join('\n'),
    );
    const r = await show(['--config', file, '--format', 'json'], {
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stdout.includes(PEM_BODY), r.stdout);
    const out = JSON.parse(r.stdout);
    const field = (name: string) => out.fields.find((f: { field: string }) => f.field === name);
    assert.deepEqual(field('objectStore.wal.encryption'), {
      field: 'objectStore.wal.encryption',
      value: 'AES256',
      source: { kind: 'file', name: file },
    });
    // Set by a flag of the list: the source says which list.
    assert.deepEqual(field('objectStore.data.encryption'), {
      field: 'objectStore.data.encryption',
      value: 'aws:kms',
      source: { kind: 'file', name: `${file} objectStore.data.additionalCommandArgs` },
    });
    assert.deepEqual(field('objectStore.data.additionalCommandArgs').value, [
      '--encryption=aws:kms',
      '--sse-kms-key-id=alias/pg',
    ]);
    assert.equal(field('objectStore.tags.team').value, 'dba');
    assert.equal(field('objectStore.historyTags.kind').value, 'timeline');
    assert.deepEqual(field('objectStore.endpointCA').value, { file: ca });
    assert.equal(field('objectStore.wal.noPartial'), undefined);
  });

  it('credentials from AWS_* show as {env: NAME} references from the environment', async () => {
    const file = join(root, 'envcreds.yaml');
    writeFileSync(file, 'serverName: s\nobjectStore: {destinationPath: "s3://bucket/x"}\n');
    const r = await show(['--config', file, '--format', 'json'], {
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stdout.includes(KEY_ID), r.stdout);
    const out = JSON.parse(r.stdout);
    assert.equal(out.file.foundBy, '--config');
    const f = out.fields.find(
      (x: { field: string }) => x.field === 'objectStore.s3Credentials.secretAccessKey',
    );
    assert.deepEqual(f, {
      field: 'objectStore.s3Credentials.secretAccessKey',
      value: { env: 'AWS_SECRET_ACCESS_KEY' },
      source: { kind: 'env', name: 'AWS_SECRET_ACCESS_KEY' },
    });
  });

  it('keys from the AWS credential chain: the source it will use, never a secret or session token', async () => {
    const file = join(root, 'chaincreds.yaml');
    writeFileSync(file, 'serverName: s\nobjectStore: {destinationPath: "s3://bucket/x"}\n');
    const field = async (env: NodeJS.ProcessEnv) => {
      const r = await show(['--config', file, '--format', 'json'], { HOME: root, ...env });
      assert.equal(r.code, 0, r.stderr);
      for (const s of [SECRET, 'the-session-token-value']) assert.ok(!r.stdout.includes(s), r.stdout);
      return JSON.parse(r.stdout).fields.filter((x: { field: string }) => x.field.includes('s3Credentials'));
    };
    assert.deepEqual(
      await field({ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' }),
      [
        {
          field: 'objectStore.s3Credentials.source',
          value: 'AWS credential chain: web identity role arn:aws:iam::1:role/r',
          source: { kind: 'env', name: 'AWS_WEB_IDENTITY_TOKEN_FILE' },
        },
      ],
    );
    const temporary = await field({
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_SESSION_TOKEN: 'the-session-token-value',
    });
    assert.equal(
      temporary[0].value,
      'AWS credential chain: environment (AWS_ACCESS_KEY_ID with AWS_SESSION_TOKEN)',
    );
  });

  it('a webhook URL is [redacted]; the short credentialsSecret form is the name from the file', async () => {
    const file = join(root, 'k8s.yaml');
    const hook = 'https://hooks.example.com/services/T0/B0/webhook-secret-part';
    writeFileSync(
      file,
      [
        'serverName: db',
        'objectStore: {destinationPath: "file:///srv/db"}',
        'kubernetes:',
        '  namespace: prod',
        '  objectStore: store',
        '  credentialsSecret: s3-creds',
        `  drill: {webhook: "${hook}"}`,
        '',
      ].join('\n'),
    );
    const r = await show(['--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('webhook-secret-part'), r.stdout);
    const lines = r.stdout.split('\n');
    assert.ok(lines.includes(`    webhook: "[redacted]" # file ${file}`), r.stdout);
    assert.ok(lines.includes(`    name: s3-creds # file ${file}`), r.stdout);
    assert.ok(lines.includes('    accessKeyIdKey: ACCESS_KEY_ID # default'), r.stdout);
  });

  it('a configuration that does not load: the error as JSON on stdout, exit 3', async () => {
    const r = await show(['--format', 'json'], { MY_KEY_ID: '' });
    assert.equal(r.code, 3);
    const out = JSON.parse(r.stdout);
    assert.equal(out.error.name, 'CONFIG_INVALID');
    assert.match(out.error.message, /MY_KEY_ID is not set/);
  });

  it('googleCredentials: the key file reference, from the file or GOOGLE_APPLICATION_CREDENTIALS, never the key', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const key = join(root, 'gcs-key.json');
    const doc = { type: 'service_account', client_email: 'b@p.iam.gserviceaccount.com', private_key: pem };
    writeFileSync(key, JSON.stringify(doc));
    const inFile = join(root, 'gcs.yaml');
    const base = ['serverName: db', 'objectStore:', '  destinationPath: gs://bkt/dr'];
    writeFileSync(
      inFile,
      [...base, '  googleCredentials:', `    applicationCredentials: {file: ${key}}`, ''].join('\n'),
    );
    const fromEnv = join(root, 'gcs-env.yaml');
    writeFileSync(fromEnv, [...base, ''].join('\n'));
    const a = await show(['--config', inFile]);
    assert.ok(
      a.stdout.split('\n').includes(`    applicationCredentials: { file: ${key} } # file ${inFile}`),
      a.stdout,
    );
    const b = await show(['--config', fromEnv], { GOOGLE_APPLICATION_CREDENTIALS: key });
    assert.ok(
      b.stdout
        .split('\n')
        .includes(`    applicationCredentials: { file: ${key} } # env GOOGLE_APPLICATION_CREDENTIALS`),
      b.stdout,
    );
    for (const out of [a.stdout, b.stdout]) assert.ok(!out.includes(pem.split('\n')[2] as string), out);
  });
});
