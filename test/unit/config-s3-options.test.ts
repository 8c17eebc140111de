// objectStore's upload settings from a pasted ObjectStore: what is carried out, and what is refused with a hint
// (never accepted and dropped). The headers they become are checked against Python's urlencode, which
// barman-cloud uses for its tags.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PgdrConfig } from '../../src/config/types.js';
import { buildConfig, Problems } from '../../src/config/validate.js';
import { taggingHeader, uploadClass, uploadHeaders } from '../../src/storage/s3/upload-headers.js';

type Raw = Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'pgdr-s3opts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const pemFile = join(dir, 'ca.pem');
writeFileSync(pemFile, `${PEM}\n`);

function build(store: Raw, env: NodeJS.ProcessEnv = {}): { config?: PgdrConfig; problems: string[] } {
  const p = new Problems();
  const raw = { serverName: 'db', objectStore: { destinationPath: 's3://bucket/p', ...store } };
  const config = buildConfig({ raw, env, source: 't', defaults: { jobs: 2 } }, p);
  return { ...(config ? { config } : {}), problems: p.list.map((x) => `${x.path}: ${x.message}`) };
}

function refused(store: Raw, pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  const r = build(store, env);
  assert.equal(r.config, undefined, `accepted: ${JSON.stringify(store)}`);
  assert.ok(
    r.problems.some((m) => pattern.test(m)),
    `no problem matches ${pattern}:\n${r.problems.join('\n')}`,
  );
}

describe('objectStore encryption', () => {
  it('takes AES256 and aws:kms per section, the KMS key from --sse-kms-key-id as barman-cloud does', () => {
    const { config, problems } = build({
      wal: { encryption: 'AES256' },
      data: { encryption: 'aws:kms', additionalCommandArgs: ['--sse-kms-key-id=arn:aws:kms:eu:1:key/k'] },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(config?.objectStore.uploads, {
      walEncryption: { method: 'AES256' },
      dataEncryption: { method: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu:1:key/k' },
      tags: [],
      historyTags: [],
    });
  });

  it('sets nothing when nothing is configured', () => {
    assert.equal(build({}).config?.objectStore.uploads, undefined);
  });

  it('refuses a method barman-cloud does not take, and a KMS key without aws:kms', () => {
    refused({ wal: { encryption: 'aes256' } }, /^objectStore\.wal\.encryption: must be AES256 or aws:kms/);
    refused({ data: { encryption: '' } }, /^objectStore\.data\.encryption: must be AES256 or aws:kms/);
    refused({ wal: { encryption: 'aws:kms:dsse' } }, /objectStore\.wal\.encryption/);
    refused(
      { wal: { encryption: 'AES256', archiveAdditionalCommandArgs: ['--sse-kms-key-id', 'k'] } },
      /archiveAdditionalCommandArgs: --sse-kms-key-id needs objectStore\.wal\.encryption: aws:kms/,
    );
  });

  it('refuses a flag that contradicts the field, and encryption for a file:// destination', () => {
    refused(
      { wal: { encryption: 'AES256', archiveAdditionalCommandArgs: ['--encryption=aws:kms'] } },
      /--encryption aws:kms contradicts objectStore\.wal\.encryption: AES256/,
    );
    refused(
      { destinationPath: 'file:///srv/repo', data: { encryption: 'AES256' } },
      /^objectStore\.data\.encryption: applies to s3:\/\/ destinations only/,
    );
  });
});

describe('objectStore additional command args', () => {
  it('maps the barman-cloud flags with a pgdr meaning, as --flag=value or --flag value', () => {
    const { config, problems } = build({
      wal: {
        archiveAdditionalCommandArgs: ['-e', 'aws:kms', '--zstd'],
        restoreAdditionalCommandArgs: ['--no-partial'],
      },
      data: { additionalCommandArgs: ['--immediate-checkpoint', '-J', '6', '--bzip2'] },
    });
    assert.deepEqual(problems, []);
    const s = config?.objectStore;
    assert.equal(s?.wal.compression, 'zstd');
    assert.equal(s?.wal.noPartial, true);
    assert.deepEqual(s?.uploads?.walEncryption, { method: 'aws:kms' });
    assert.deepEqual(s?.data, { compression: 'bzip2', jobs: 6, immediateCheckpoint: true });
  });

  it('refuses every other flag, naming it and what to use instead', () => {
    const cases: Array<[Raw, RegExp]> = [
      [
        { wal: { archiveAdditionalCommandArgs: ['--read-timeout=60'] } },
        /--read-timeout .*timeouts\.request/,
      ],
      [{ wal: { archiveAdditionalCommandArgs: ['--tags', 'a,b'] } }, /--tags .*objectStore\.tags/],
      [{ wal: { restoreAdditionalCommandArgs: ['--endpoint-url=x'] } }, /--endpoint-url .*endpointURL/],
      [{ data: { additionalCommandArgs: ['--max-bandwidth=10MB'] } }, /--max-bandwidth .*no bandwidth limit/],
      [{ data: { additionalCommandArgs: ['--min-chunk-size', '5MB'] } }, /--min-chunk-size/],
      [{ data: { additionalCommandArgs: ['--xz'] } }, /--xz is not taken by pgdr/],
      [{ data: { restoreAdditionalCommandArgs: ['--tablespace', 'a:/b'] } }, /--tablespace .*pgdr restore/],
      [{ data: { additionalCommandArgs: ['--frobnicate'] } }, /--frobnicate is not taken by pgdr/],
      [{ data: { additionalCommandArgs: ['--jobs=0'] } }, /--jobs must be a whole number from 1 to 64/],
      [{ data: { additionalCommandArgs: ['--jobs'] } }, /--jobs needs a value/],
      [{ data: { additionalCommandArgs: '--jobs=2' } }, /must be a list of strings/],
      [{ data: { jobs: 4, additionalCommandArgs: ['--jobs=2'] } }, /sets jobs to 2, but .*data\.jobs is 4/],
      [{ wal: { compression: 'gzip', archiveAdditionalCommandArgs: ['--lz4'] } }, /sets compression to lz4/],
    ];
    for (const [store, pattern] of cases) refused(store, pattern);
  });
});

describe('objectStore tags and historyTags', () => {
  it('takes the ObjectStore map, in its order', () => {
    const { config } = build({ tags: { team: 'dba', env: 'prod' }, historyTags: { kind: 'timeline' } });
    assert.deepEqual(config?.objectStore.uploads?.tags, [
      ['team', 'dba'],
      ['env', 'prod'],
    ]);
    assert.deepEqual(config?.objectStore.uploads?.historyTags, [['kind', 'timeline']]);
  });

  it('refuses what S3 (and barman-cloud) would refuse at the first upload', () => {
    refused({ tags: [{ key: 'a', value: 'b' }] }, /^objectStore\.tags: must be a map of key: value/);
    refused({ tags: { n: 3 } }, /^objectStore\.tags\.n: must be a string \(quote it/);
    refused({ tags: { 'aws:x': 'y' } }, /may not start with aws:/);
    refused({ historyTags: { k: 'v'.repeat(257) } }, /at most 256 characters/);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    refused({ tags: eleven }, /at most 10 tags per object \(got 11\)/);
    refused({ destinationPath: 'file:///srv/repo', tags: { a: 'b' } }, /^objectStore\.tags: applies to s3/);
  });
});

describe('objectStore endpointCA', () => {
  it('reads a PEM bundle from {file} or {env}', () => {
    const https = { endpointURL: 'https://minio.local:9000' };
    assert.equal(
      build({ ...https, endpointCA: { file: pemFile } }).config?.objectStore.endpointCA,
      `${PEM}\n`,
    );
    const fromEnv = build({ ...https, endpointCA: { env: 'CA' } }, { CA: PEM });
    assert.equal(fromEnv.config?.objectStore.endpointCA, `${PEM}\n`);
  });

  it('refuses the Kubernetes form with how to mount it, plain http, and text that is no certificate', () => {
    refused(
      { endpointURL: 'https://minio.local', endpointCA: { name: 'minio-ca', key: 'ca.crt' } },
      /mount the Secret's key ca\.crt as a file.*endpointCA: \{file: /,
    );
    refused(
      { endpointURL: 'http://minio.local', endpointCA: { file: pemFile } },
      /TLS only, and endpointURL http:\/\/minio\.local is plain http/,
    );
    refused({ endpointURL: 'https://m', endpointCA: { env: 'CA' } }, /holds no PEM certificate/, { CA: 'x' });
    refused({ endpointURL: 'https://m', endpointCA: '/etc/ca.pem' }, /must be \{file: PATH\}/);
  });
});

describe('upload headers', () => {
  const uploads = {
    walEncryption: { method: 'AES256' as const },
    dataEncryption: { method: 'aws:kms' as const, kmsKeyId: 'alias/pg' },
    tags: [['team', 'dba'] as const],
    historyTags: [['kind', 'history'] as const],
  };

  it('gives WAL keys the WAL settings, history files the history tags, everything else the data settings', () => {
    assert.equal(uploadClass('db/wals/0000000100000000/000000010000000000000001.gz'), 'wal');
    assert.equal(uploadClass('db/wals/00000002.history.gz'), 'history');
    assert.equal(uploadClass('db/wals/00000002.history'), 'history');
    assert.equal(uploadClass('db/base/20240101T000000/data.tar.gz'), 'data');
    assert.equal(uploadClass('db/pgdr/drills/x.json'), 'data');
    assert.deepEqual(uploadHeaders('db/wals/0000000100000000/000000010000000000000001', uploads), {
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-tagging': 'team=dba',
    });
    assert.deepEqual(uploadHeaders('db/wals/00000002.history', uploads), {
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-tagging': 'kind=history',
    });
    assert.deepEqual(uploadHeaders('db/base/20240101T000000/backup.info', uploads), {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'alias/pg',
      'x-amz-tagging': 'team=dba',
    });
    // barman-cloud: a history file without history tags takes the tags.
    assert.deepEqual(uploadHeaders('db/wals/00000002.history', { ...uploads, historyTags: [] }), {
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-tagging': 'team=dba',
    });
    assert.deepEqual(uploadHeaders('db/wals/00000002.history', undefined), {});
  });

  it('encodes tags exactly as Python urlencode does for barman-cloud', () => {
    const tags: Array<[string, string]> = [
      ['cost center', 'a/b+c'],
      ['é~_.-', "x!'()*=&%"],
      ['k', ''],
      ['日本', 'v w'],
    ];
    const python = execFileSync(
      'python3',
      [
        '-c',
        'import sys,json,urllib.parse;print(urllib.parse.urlencode([tuple(t) for t in json.loads(sys.argv[1])]),end="")',
        JSON.stringify(tags),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(taggingHeader(tags), python);
  });
});
