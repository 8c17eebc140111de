// The upload settings of a pasted ObjectStore, on the wire: a recording proxy in front of s3rver sees the
// server-side encryption and tagging headers on every object-creating request (and only there), none when
// nothing is configured; `pgdr check` names a store that refuses them; endpointCA lets pgdr trust a
// self-signed https endpoint that it refuses without it. Secrets never reach the output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/storage/open-store.js';
import { caught } from '../helpers/caught.js';
import { runPgdr, s3Env } from '../helpers/cli.js';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../helpers/fault-proxy.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'vault';
const SERVER = 'db';
const MIB = 1024 * 1024;
const SSE = 'x-amz-server-side-encryption';
const KMS_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const TAGGING = 'x-amz-tagging';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-upload-opts-'));
let s3: S3rverHandle;
let proxy: FaultProxy;
before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  proxy = await startFaultProxy(s3.port);
});
after(async () => {
  await proxy?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A configuration file as a user writes it (YAML), pointing at `endpoint`. */
function configFile(name: string, endpoint: string, extra: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `serverName: ${SERVER}\nobjectStore:\n  destinationPath: s3://${BUCKET}/cnpg\n  endpointURL: ${endpoint}\n${extra}`,
  );
  return file;
}

async function storeFrom(file: string) {
  return await openStore(
    loadConfig({ overrides: { configFile: file }, env: s3Env(s3), cwd: dir }).objectStore,
  );
}

const ENCRYPTED = `  wal:
    encryption: AES256
  data:
    encryption: aws:kms
    additionalCommandArgs: ["--sse-kms-key-id=alias/pgdr-test"]
  tags:
    team: dba
    cost center: a/b
  historyTags:
    kind: timeline
`;

const WAL_KEY = `${SERVER}/wals/0000000100000000/000000010000000000000001`;
const HISTORY_KEY = `${SERVER}/wals/00000002.history`;
const INFO_KEY = `${SERVER}/base/20250101T000000/backup.info`;
const TAR_KEY = `${SERVER}/base/20250101T000000/data.tar`;

/** Puts one object of each class: a WAL segment, a history file, backup.info and a multipart data.tar. */
async function uploadEach(file: string): Promise<void> {
  const store = await storeFrom(file);
  try {
    await store.put(WAL_KEY, Buffer.alloc(1024, 1));
    await store.put(HISTORY_KEY, Buffer.from('1\t0/3000000\tno recovery target specified\n'));
    await store.put(INFO_KEY, Buffer.from('status=DONE\n'));
    // Larger than a part (16 MiB): CreateMultipartUpload, UploadPart x2, CompleteMultipartUpload.
    await store.put(TAR_KEY, Readable.from([Buffer.alloc(17 * MIB, 2)]));
    assert.equal((await store.head(TAR_KEY))?.size, 17 * MIB);
  } finally {
    await store.close();
  }
}

const onKey = (key: string) => (r: ProxiedRequest) => r.path.split('?')[0] === `/${BUCKET}/cnpg/${key}`;
const creating = (r: ProxiedRequest) =>
  (r.method === 'PUT' && !r.path.includes('partNumber=')) ||
  (r.method === 'POST' && r.path.endsWith('?uploads='));
const picked = (r: ProxiedRequest) => ({
  sse: r.headers[SSE],
  kms: r.headers[KMS_KEY],
  tagging: r.headers[TAGGING],
});

describe('upload settings on the wire', () => {
  it('encryption and tags ride on every object-creating request, as barman-cloud sends them', async () => {
    proxy.setRules([]);
    await uploadEach(configFile('encrypted', proxy.endpoint, ENCRYPTED));
    const dataHeaders = { sse: 'aws:kms', kms: 'alias/pgdr-test', tagging: 'team=dba&cost+center=a%2Fb' };
    const expected: Array<[string, object]> = [
      [WAL_KEY, { sse: 'AES256', kms: undefined, tagging: 'team=dba&cost+center=a%2Fb' }],
      [HISTORY_KEY, { sse: 'AES256', kms: undefined, tagging: 'kind=timeline' }],
      [INFO_KEY, dataHeaders],
      [TAR_KEY, dataHeaders],
    ];
    for (const [key, headers] of expected) {
      const made = proxy.requests.filter(onKey(key)).filter(creating);
      assert.equal(made.length, 1, `one creating request for ${key}`);
      assert.deepEqual(picked(made[0]!), headers, key);
    }
    const multipart = proxy.requests.filter(onKey(TAR_KEY));
    assert.ok(multipart.some((r) => r.method === 'POST' && r.path.endsWith('?uploads=')));
    // S3 refuses SSE-S3/KMS headers on UploadPart and takes tags only when the object is created.
    const parts = multipart.filter((r) => r.path.includes('partNumber='));
    assert.equal(parts.length, 2);
    for (const r of [
      ...parts,
      ...multipart.filter((r) => r.path.includes('uploadId=') && r.method === 'POST'),
    ])
      assert.deepEqual(picked(r), { sse: undefined, kms: undefined, tagging: undefined });
  });

  it('nothing configured: no encryption or tagging header on any request', async () => {
    proxy.setRules([]);
    await uploadEach(configFile('plain', proxy.endpoint, ''));
    assert.ok(proxy.requests.length >= 8);
    for (const r of proxy.requests)
      assert.deepEqual(picked(r), { sse: undefined, kms: undefined, tagging: undefined });
  });

  it('pgdr wal archive sends the WAL settings; pgdr check proves the store takes every set', async () => {
    proxy.setRules([]);
    const file = configFile('cli', proxy.endpoint, ENCRYPTED);
    const wal = join(dir, '000000010000000000000007');
    writeFileSync(wal, Buffer.alloc(16 * MIB, 7));
    const archived = await runPgdr(['wal', 'archive', '--config', file, wal], { env: s3Env(s3) });
    assert.equal(archived.code, 0, archived.stderr);
    const put = proxy.requests.find((r) => r.method === 'PUT' && r.path.includes('000000010000000000000007'));
    assert.deepEqual(picked(put!), { sse: 'AES256', kms: undefined, tagging: 'team=dba&cost+center=a%2Fb' });

    proxy.setRules([]);
    const r = await runPgdr(['check', '--config', file, '--format', 'json'], { env: s3Env(s3) });
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(s3.secretAccessKey));
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ name: string; status: string; finding: string }>;
    };
    const upload = report.checks.find((c) => c.name === 'upload-settings');
    assert.equal(upload?.status, 'pass', JSON.stringify(report.checks));
    assert.match(upload.finding, /encryption AES256 and tags team=dba&cost\+center=a%2Fb \(WAL uploads\)/);
    assert.match(upload.finding, /encryption aws:kms with key alias\/pgdr-test .*\(base backups\)/);
    assert.match(upload.finding, /tags kind=timeline \(history files\)/);
    // One probe per distinct set of headers (WAL, history, data differ here), each deleted again.
    const probes = proxy.requests.filter((r) => r.path.includes(`/${SERVER}/pgdr/upload-probe-`));
    assert.deepEqual(
      probes.map((p) => p.method),
      ['PUT', 'PUT', 'PUT'],
    );
    const store = await storeFrom(file);
    const left = await store.list(`${SERVER}/pgdr/`);
    await store.close();
    assert.deepEqual(left.objects, [], 'no probe object left behind');
  });

  it('pgdr check names a store that refuses server-side encryption, and what it refused', async () => {
    const file = configFile('refused', proxy.endpoint, ENCRYPTED);
    proxy.setRules([
      {
        method: 'PUT',
        header: KMS_KEY,
        action: {
          kind: 'answer',
          status: 501,
          body: '<?xml version="1.0"?><Error><Code>NotImplemented</Code><Message>SSE-KMS is not supported</Message></Error>',
        },
      },
    ]);
    const r = await runPgdr(['check', '--config', file, '--format', 'json'], { env: s3Env(s3) });
    proxy.setRules([]);
    assert.equal(r.code, 51, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(s3.secretAccessKey));
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ name: string; status: string; finding: string; hint: string }>;
    };
    const upload = report.checks.find((c) => c.name === 'upload-settings');
    assert.equal(upload?.status, 'fail');
    assert.match(
      upload.finding,
      /refused an upload with encryption aws:kms with key alias\/pgdr-test .*\(base backups\).*NotImplemented/,
    );
    assert.match(upload.hint, /remove it from objectStore/);
  });
});

describe('endpointCA', () => {
  let tls: FaultProxy;
  let ca: string;
  before(async () => {
    const key = join(dir, 'key.pem');
    ca = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        ca,
        '-days',
        '1',
        '-subj',
        '/CN=pgdr test CA',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    tls = await startFaultProxy(s3.port, {
      tls: { key: readFileSync(key, 'utf8'), cert: readFileSync(ca, 'utf8') },
    });
  });
  after(async () => {
    await tls?.close();
  });

  it('without it, a self-signed endpoint fails with STORE_UNREACHABLE naming TLS and endpointCA', async () => {
    const store = await storeFrom(configFile('no-ca', tls.endpoint, ''));
    const e = await caught(store.checkAccess());
    await store.close();
    assert.equal(e.code, 'STORE_UNREACHABLE');
    assert.match(e.message, /TLS to .*127\.0\.0\.1.* failed \((SELF_SIGNED|DEPTH_ZERO|UNABLE_TO_VERIFY)/);
    assert.match(e.hint ?? '', /objectStore\.endpointCA: \{file: /);
  });

  it('with it, the same endpoint is trusted: objects are stored and read back over TLS', async () => {
    const store = await storeFrom(configFile('ca', tls.endpoint, `  endpointCA: {file: ${ca}}\n`));
    try {
      await store.checkAccess();
      await store.put(`${SERVER}/pgdr/tls-probe`, Buffer.from('over tls'));
      assert.equal((await store.getBuffer(`${SERVER}/pgdr/tls-probe`)).toString(), 'over tls');
    } finally {
      await store.close();
    }
    assert.ok(tls.requests.some((r) => r.method === 'PUT' && r.path.endsWith('/pgdr/tls-probe')));
  });

  it('pgdr check over TLS: fails without endpointCA, passes the store checks with it', async () => {
    const without = await runPgdr(
      ['check', '--config', configFile('c1', tls.endpoint, ''), '--format', 'json'],
      {
        env: s3Env(s3),
      },
    );
    const r1 = JSON.parse(without.stdout) as {
      checks: Array<{ name: string; status: string; hint: string }>;
    };
    const reach = r1.checks.find((c) => c.name === 'store-reachable');
    assert.equal(reach?.status, 'fail');
    assert.match(reach.hint, /endpointCA/);
    const file = configFile('c2', tls.endpoint, `  endpointCA: {file: ${ca}}\n`);
    const withCa = await runPgdr(['check', '--config', file, '--format', 'json'], { env: s3Env(s3) });
    const r2 = JSON.parse(withCa.stdout) as { checks: Array<{ name: string; status: string }> };
    for (const name of ['store-reachable', 'credentials', 'bucket'])
      assert.equal(r2.checks.find((c) => c.name === name)?.status, 'pass', name);
    assert.doesNotMatch(
      without.stdout + without.stderr + withCa.stdout + withCa.stderr,
      new RegExp(s3.secretAccessKey),
    );
  });
});

describe('S3-compatible stores (R2, MinIO, Ceph): the options they need', () => {
  it('R2 style: region auto and path-style addressing, signed with region auto, no flexible checksum headers', async () => {
    proxy.setRules([]);
    const file = configFile('r2', proxy.endpoint, '  region: auto\n  forcePathStyle: true\n');
    const store = await storeFrom(file);
    try {
      await store.put(WAL_KEY, Buffer.from('r2'));
      assert.equal((await store.getBuffer(WAL_KEY)).toString(), 'r2');
    } finally {
      await store.close();
    }
    const put = proxy.requests.find((r) => r.method === 'PUT');
    assert.equal(put?.path, `/${BUCKET}/cnpg/${WAL_KEY}`, 'path style: the bucket is the first path segment');
    assert.match(String(put.headers.authorization), /Credential=[^/]+\/\d{8}\/auto\/s3\/aws4_request/);
    // Stores that predate S3's flexible checksums (older MinIO and Ceph, R2 in part) refuse x-amz-checksum-*:
    // pgdr sends Content-MD5 and the signed SHA-256 of the payload only.
    assert.ok(put.headers['content-md5']);
    assert.match(String(put.headers['x-amz-content-sha256']), /^[0-9a-f]{64}$/);
    for (const r of proxy.requests) {
      const names = Object.keys(r.headers).filter(
        (h) => h.startsWith('x-amz-checksum') || h === 'x-amz-sdk-checksum-algorithm',
      );
      assert.deepEqual(names, [], `${r.method} ${r.path}`);
    }
  });
});

describe('wal.restoreAdditionalCommandArgs: --no-partial', () => {
  it('pgdr wal restore serves X.partial for X, and not with [--no-partial] in the configuration', async () => {
    const repo = join(dir, 'repo-partial');
    const plain = join(dir, 'partial.yaml');
    const noPartial = join(dir, 'no-partial.yaml');
    const store = `serverName: ${SERVER}\nobjectStore:\n  destinationPath: file://${repo}\n`;
    writeFileSync(plain, store);
    writeFileSync(noPartial, `${store}  wal: {restoreAdditionalCommandArgs: [--no-partial]}\n`);
    const name = '000000010000000000000009';
    const partial = join(dir, `${name}.partial`);
    writeFileSync(partial, Buffer.alloc(16 * MIB, 9));
    const archived = await runPgdr(['wal', 'archive', '--config', plain, partial]);
    assert.equal(archived.code, 0, archived.stderr);
    const served = await runPgdr(['wal', 'restore', '--config', plain, name, join(dir, 'served')]);
    assert.equal(served.code, 0, served.stderr);
    assert.equal(readFileSync(join(dir, 'served')).length, 16 * MIB);
    const refused = await runPgdr(['wal', 'restore', '--config', noPartial, name, join(dir, 'refused')]);
    assert.equal(refused.code, 1, refused.stderr);
  });
});
