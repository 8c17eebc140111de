// gs:// destinations and googleCredentials: what is accepted works (the key is parsed and checked here),
// what cannot work is refused at validation with a hint, and no message holds the key.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseGcsDestination } from '../../src/common/gcs-url.js';
import { loadConfig } from '../../src/config/load.js';
import { PgdrError } from '../../src/errors.js';
import { openStore } from '../../src/storage/open-store.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-config-google-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const keyDoc = {
  type: 'service_account',
  project_id: 'p',
  private_key_id: 'abc123',
  private_key: privateKey,
  client_email: 'backup@p.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
};
const keyFile = join(dir, 'key.json');
writeFileSync(keyFile, JSON.stringify(keyDoc));
const keyLine = privateKey.split('\n')[3] as string;

function load(store: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, 'pgdr.json');
  writeFileSync(
    file,
    JSON.stringify({ serverName: 'db', objectStore: { destinationPath: 'gs://bkt/cnpg/db', ...store } }),
  );
  return loadConfig({ overrides: { configFile: file }, env, cwd: dir });
}

function failure(fn: () => unknown): PgdrError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgdrError, `expected PgdrError, got ${e}`);
    assert.equal(e.code, 'CONFIG_INVALID');
    const text = JSON.stringify({ m: e.message, h: e.hint, d: e.details });
    assert.ok(!text.includes(keyLine), `the key leaked: ${text}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('gs:// destinations', () => {
  it('parses gs://BUCKET/PATH and the console address as barman-cloud does', () => {
    assert.deepEqual(parseGcsDestination('gs://bkt/a//b/'), { bucket: 'bkt', prefix: 'a/b' });
    assert.deepEqual(parseGcsDestination('gs://bkt'), { bucket: 'bkt', prefix: '' });
    assert.deepEqual(parseGcsDestination('https://console.cloud.google.com/storage/browser/my_bkt.x/cnpg'), {
      bucket: 'my_bkt.x',
      prefix: 'cnpg',
    });
    for (const bad of ['gs://', 'gs:///x', 'gs://Upper/x', 'gs://a/x', 'gs://bkt/x?y=1'])
      assert.equal(typeof parseGcsDestination(bad), 'string', bad);
  });

  it('refuses a bad bucket name at validation', () => {
    const e = failure(() =>
      load({ destinationPath: 'gs://No_Such!/x', googleCredentials: { gkeEnvironment: true } }),
    );
    assert.match(e.message, /objectStore\.destinationPath: must name a bucket: gs:\/\/BUCKET/);
  });
});

describe('googleCredentials', () => {
  it('applicationCredentials {file}: the key is parsed, the source names the file and the account', async () => {
    const c = load({ googleCredentials: { applicationCredentials: { file: keyFile } } });
    const g = c.objectStore.google?.credentials;
    assert.equal(g?.kind, 'service-account');
    assert.ok(g?.kind === 'service-account');
    assert.equal(g.key.clientEmail, keyDoc.client_email);
    assert.equal(g.key.tokenUri, keyDoc.token_uri);
    assert.equal(g.key.privateKeyId, 'abc123');
    assert.equal(
      g.source,
      `the service-account key {file: ${keyFile}} (applicationCredentials) of ${keyDoc.client_email}`,
    );
    assert.equal((await openStore(c.objectStore)).displayUrl, 'gs://bkt/cnpg/db');
  });

  it('applicationCredentials {env}: the variable holds the key itself', () => {
    const c = load(
      { googleCredentials: { applicationCredentials: { env: 'GCS_KEY' } } },
      { GCS_KEY: JSON.stringify(keyDoc) },
    );
    assert.equal(
      c.objectStore.google?.credentials.source.startsWith('the service-account key {env: GCS_KEY}'),
      true,
    );
  });

  it('refuses the Kubernetes Secret form with how to mount it, and a key pasted in place', () => {
    const e = failure(() =>
      load({ googleCredentials: { applicationCredentials: { name: 'gcs-creds', key: 'gcsCredentials' } } }),
    );
    assert.match(
      e.message,
      /mount it as a file \(a Secret volume\) and use \{file: \/mounted\/path\/gcsCredentials\}/,
    );
    const pasted = failure(() =>
      load({ googleCredentials: { applicationCredentials: JSON.stringify(keyDoc) } }),
    );
    assert.match(pasted.message, /must not hold the key itself/);
  });

  it('gkeEnvironment: the metadata server, GCE_METADATA_HOST overriding its host', () => {
    const c = load({ googleCredentials: { gkeEnvironment: true } });
    assert.deepEqual(c.objectStore.google?.credentials, {
      kind: 'metadata',
      host: 'metadata.google.internal',
      source: 'the metadata server (gkeEnvironment)',
    });
    const o = load({ googleCredentials: { gkeEnvironment: true } }, { GCE_METADATA_HOST: '127.0.0.1:8080' });
    assert.equal(
      o.objectStore.google?.credentials.kind === 'metadata' && o.objectStore.google.credentials.host,
      '127.0.0.1:8080',
    );
  });

  it('GOOGLE_APPLICATION_CREDENTIALS when googleCredentials is absent; otherwise a refusal that says what to set', () => {
    const c = load({}, { GOOGLE_APPLICATION_CREDENTIALS: keyFile });
    assert.match(
      c.objectStore.google?.credentials.source ?? '',
      /\(GOOGLE_APPLICATION_CREDENTIALS\) of backup@/,
    );
    const e = failure(() => load({}));
    assert.match(
      e.message,
      /googleCredentials: is required for gs:\/\/: applicationCredentials.*gkeEnvironment: true, or GOOGLE_APPLICATION_CREDENTIALS/,
    );
    const off = failure(() => load({ googleCredentials: { gkeEnvironment: false } }));
    assert.match(off.message, /is required for gs:\/\//);
    const unreadable = failure(() => load({}, { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'none.json') }));
    assert.match(
      unreadable.message,
      /GOOGLE_APPLICATION_CREDENTIALS: cannot read the key file .*none\.json \(ENOENT\)/,
    );
  });

  it('STORAGE_EMULATOR_HOST: the endpoint, with no credentials when none are set', async () => {
    const c = load({}, { STORAGE_EMULATOR_HOST: '127.0.0.1:9023' });
    assert.equal(c.objectStore.google?.credentials.kind, 'anonymous');
    assert.equal(c.objectStore.google?.emulatorEndpoint, 'http://127.0.0.1:9023');
    assert.equal((await openStore(c.objectStore)).displayUrl, 'gs://bkt/cnpg/db at http://127.0.0.1:9023');
    const withKey = load(
      { googleCredentials: { applicationCredentials: { file: keyFile } } },
      { STORAGE_EMULATOR_HOST: 'http://h:1/' },
    );
    assert.equal(withKey.objectStore.google?.credentials.kind, 'service-account');
    assert.equal(withKey.objectStore.google?.emulatorEndpoint, 'http://h:1');
  });

  it('refuses what cannot work: both sources, other credential types, broken keys, a clear-text token_uri', () => {
    assert.match(
      failure(() =>
        load({ googleCredentials: { gkeEnvironment: true, applicationCredentials: { file: keyFile } } }),
      ).message,
      /either applicationCredentials or gkeEnvironment: true, not both/,
    );
    const write = (name: string, doc: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
      return { googleCredentials: { applicationCredentials: { file: f } } };
    };
    const cases: Array<[unknown, RegExp]> = [
      [{ ...keyDoc, type: 'authorized_user' }, /type "authorized_user": pgdr takes a service-account key/],
      ['not json', /not JSON/],
      [{ ...keyDoc, client_email: undefined }, /client_email missing/],
      [
        { ...keyDoc, private_key: `${privateKey.slice(0, 200)}broken` },
        /private_key is not a PEM private key/,
      ],
      [{ ...keyDoc, token_uri: 'http://oauth2.example/token' }, /token_uri must be an https:\/\/ URL/],
    ];
    for (const [i, [doc, want]] of cases.entries())
      assert.match(failure(() => load(write(`k${i}.json`, doc))).message, want);
    assert.match(
      failure(() => load({ googleCredentials: { gkeEnvironment: 'yes' } })).message,
      /gkeEnvironment: must be true or false/,
    );
  });

  it('googleCredentials on another destination, and s3Credentials on gs://, are refused, not ignored', () => {
    const e = failure(() =>
      load({ destinationPath: 's3://bkt/x', googleCredentials: { gkeEnvironment: true } }),
    );
    assert.match(e.message, /googleCredentials: applies to gs:\/\/ destinations only/);
    const s3 = failure(() =>
      load({ googleCredentials: { gkeEnvironment: true }, s3Credentials: { accessKeyId: { env: 'A' } } }),
    );
    assert.match(
      s3.message,
      /s3Credentials: applies to s3:\/\/ destinations only: use googleCredentials for gs:\/\//,
    );
  });
});
