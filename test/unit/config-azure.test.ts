// objectStore.azureCredentials and Azure destination paths: what barman-cloud accepts is accepted, the rest is
// refused at validation with the field and a hint, and no problem ever shows a secret.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAzureUrl } from '../../src/common/azure-url.js';
import { loadConfig } from '../../src/config/load.js';
import { PgdrError } from '../../src/errors.js';
import { knownSecrets, redactor } from '../../src/serve/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'pgdr-config-azure-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = Buffer.from('a storage account key that must never be shown').toString('base64');
const SAS = 'sv=2021-12-02&ss=b&srt=sco&sp=rwdl&se=2030-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D';
const AZ = 'https://acct.blob.core.windows.net/backups/cnpg/db';
const EMU = 'http://127.0.0.1:10000/devstoreaccount1/backups/cnpg';
const CONN = `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:10000/acct;`;

let n = 0;
function load(destinationPath: string, azureCredentials: string | undefined, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `c${n++}.yaml`);
  const creds = azureCredentials === undefined ? '' : `  azureCredentials: ${azureCredentials}\n`;
  writeFileSync(file, `serverName: db\nobjectStore:\n  destinationPath: ${destinationPath}\n${creds}`);
  return loadConfig({ overrides: { configFile: file }, env: { K: KEY, S: SAS, C: CONN, ...env }, cwd: dir });
}

function failure(fn: () => unknown): PgdrError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgdrError, `expected PgdrError, got ${e}`);
    const shown = JSON.stringify({ m: e.message, h: e.hint, d: e.details });
    for (const s of [KEY, SAS, 'c2VjcmV0LXNpZ25hdHVyZQ', CONN]) assert.ok(!shown.includes(s), `${s} shown`);
    return e;
  }
  assert.fail('expected an error');
}

describe('Azure destination paths (as barman-cloud parses them)', () => {
  it('reads account, container and path from both forms', () => {
    assert.deepEqual(parseAzureUrl(AZ), {
      account: 'acct',
      container: 'backups',
      prefix: 'cnpg/db',
      service: 'https://acct.blob.core.windows.net',
    });
    assert.deepEqual(parseAzureUrl('http://azurite:10000/devstoreaccount1/c01//x/'), {
      account: undefined,
      container: 'c01',
      prefix: 'x',
      service: 'http://azurite:10000/devstoreaccount1',
    });
  });

  it('refuses a path without a container, a bad container name, and credentials in the URL', () => {
    for (const bad of [
      'https://acct.blob.core.windows.net/',
      'https://acct.blob.core.windows.net/Upper',
      'http://127.0.0.1:10000/devstoreaccount1',
      'https://user:pw@acct.blob.core.windows.net/c01/x',
      `${AZ}?${SAS}`,
    ]) {
      const e = failure(() => load(bad, '{storageKey: {env: K}}'));
      assert.match(
        e.message,
        /objectStore\.destinationPath: must (name a container|not hold user info)/,
        bad,
      );
    }
  });
});

describe('objectStore.azureCredentials', () => {
  it('storageAccount + storageKey: a shared key, the account checked against the URL', () => {
    const c = load(AZ, '{storageAccount: acct, storageKey: {env: K}}').objectStore.azureCredentials;
    assert.deepEqual(c, {
      kind: 'sharedKey',
      account: 'acct',
      key: KEY,
      source: 'shared key of storage account acct (objectStore.azureCredentials.storageKey)',
    });
    const e = failure(() => load(AZ, '{storageAccount: other, storageKey: {env: K}}'));
    assert.match(
      e.message,
      /storageAccount: other is not the account of objectStore\.destinationPath \(acct\)/,
    );
  });

  it('storageSasToken: the token as given, without a leading ?', () => {
    const file = join(dir, 'sas');
    writeFileSync(file, `?${SAS}\n`);
    const c = load(AZ, `{storageAccount: {env: A}, storageSasToken: {file: ${file}}}`, { A: 'acct' });
    assert.deepEqual(c.objectStore.azureCredentials, {
      kind: 'sas',
      sasToken: SAS,
      source: 'SAS token (objectStore.azureCredentials.storageSasToken)',
    });
  });

  it('connectionString: credentials and the blob endpoint, also for the emulator form', () => {
    const c = load(EMU, '{connectionString: {env: C}}').objectStore.azureCredentials;
    assert.equal(c?.kind, 'sharedKey');
    assert.equal(c?.kind === 'sharedKey' && c.endpoint, 'http://127.0.0.1:10000/acct');
    assert.equal(
      c?.source,
      'connection string (objectStore.azureCredentials.connectionString): shared key of storage account acct',
    );
    const sas = load(AZ, '{connectionString: {env: X}}', {
      X: `BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=${SAS}`,
    });
    assert.equal(sas.objectStore.azureCredentials?.kind, 'sas');
    const dev = load(EMU, '{connectionString: {env: X}}', { X: 'UseDevelopmentStorage=true' }).objectStore
      .azureCredentials;
    assert.equal(dev?.kind === 'sharedKey' && dev.endpoint, 'http://127.0.0.1:10000/devstoreaccount1');
    const e = failure(() => load(AZ, '{connectionString: {env: X}}', { X: `AccountKey=${KEY}` }));
    assert.match(e.message, /connectionString: is not a storage connection string/);
  });

  it('the emulator form only with a connection string, as barman-cloud', () => {
    const e = failure(() => load(EMU, '{storageKey: {env: K}, storageAccount: devstoreaccount1}'));
    assert.match(e.message, /barman-cloud accepts an emulator or other host only with a connection string/);
  });

  it('inheritFromAzureAD: managed identity, or workload identity when AKS projected its token', () => {
    const mi = load(AZ, '{inheritFromAzureAD: true}').objectStore.azureCredentials;
    assert.equal(mi?.kind === 'azureAD' && mi.flow, 'managedIdentity');
    assert.equal(mi?.source, 'managed identity: system-assigned identity (IMDS at http://169.254.169.254)');
    const wi = load(AZ, '{inheritFromAzureAD: true}', {
      AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
      AZURE_CLIENT_ID: 'cid',
      AZURE_TENANT_ID: 'tid',
    }).objectStore.azureCredentials;
    assert.equal(wi?.kind === 'azureAD' && wi.flow, 'workloadIdentity');
    assert.equal(wi?.source, 'workload identity: client cid of tenant tid (AZURE_FEDERATED_TOKEN_FILE)');
    const half = failure(() => load(AZ, '{inheritFromAzureAD: true}', { AZURE_FEDERATED_TOKEN_FILE: '/t' }));
    assert.match(
      half.message,
      /AZURE_FEDERATED_TOKEN_FILE: workload identity also needs AZURE_CLIENT_ID and AZURE_TENANT_ID/,
    );
    const sp = load(AZ, '{useDefaultAzureCredentials: true}', {
      AZURE_CLIENT_ID: 'cid',
      AZURE_TENANT_ID: 'tid',
      AZURE_CLIENT_SECRET: 'a-client-secret',
    }).objectStore.azureCredentials;
    assert.equal(sp?.kind === 'azureAD' && sp.flow, 'clientSecret');
    assert.ok(!sp?.source.includes('a-client-secret'));
  });

  it('refuses a Kubernetes secretKeySelector, an inline secret, two methods, none, and unknown fields', () => {
    const selector = failure(() =>
      load(AZ, '{storageAccount: acct, storageKey: {name: azure-creds, key: KEY}}'),
    );
    assert.match(
      selector.message,
      /storageKey: Kubernetes secret references \(\{name, key\}\) cannot be read outside the cluster/,
    );
    assert.match(selector.message, /AZURE_STORAGE_CONNECTION_STRING/);
    const inline = failure(() => load(AZ, `{storageAccount: acct, storageKey: "${KEY}"}`));
    assert.match(inline.message, /storageKey: must not hold the secret itself/);
    const two = failure(() => load(AZ, '{storageKey: {env: K}, inheritFromAzureAD: true}'));
    assert.match(two.message, /sets storageKey and inheritFromAzureAD: choose one/);
    assert.match(failure(() => load(AZ, '{}')).message, /names no credential/);
    assert.match(
      failure(() => load(AZ, '{storageKey: {env: K}, colour: red}')).message,
      /azureCredentials\.colour: unknown field/,
    );
    const onS3 = failure(() => load('s3://bucket/x', '{inheritFromAzureAD: true}'));
    assert.match(onS3.message, /azureCredentials: is only used with an Azure destination/);
  });

  it('without azureCredentials: the variables barman-cloud reads, in its order', () => {
    const env = {
      AZURE_STORAGE_CONNECTION_STRING: CONN,
      AZURE_STORAGE_SAS_TOKEN: SAS,
      AZURE_STORAGE_KEY: KEY,
    };
    const cred = (e: NodeJS.ProcessEnv) => load(AZ, undefined, e).objectStore.azureCredentials?.source;
    assert.equal(
      cred(env),
      'connection string (AZURE_STORAGE_CONNECTION_STRING): shared key of storage account acct',
    );
    assert.equal(
      cred({ ...env, AZURE_STORAGE_CONNECTION_STRING: undefined }),
      'SAS token (AZURE_STORAGE_SAS_TOKEN)',
    );
    assert.equal(cred({ AZURE_STORAGE_KEY: KEY }), 'shared key of storage account acct (AZURE_STORAGE_KEY)');
    const other = failure(() =>
      load(AZ, undefined, { AZURE_STORAGE_KEY: KEY, AZURE_STORAGE_ACCOUNT: 'other' }),
    );
    assert.match(
      other.message,
      /AZURE_STORAGE_ACCOUNT: other is not the account of the destination \(acct\)/,
    );
    assert.equal(cred({}), undefined);
  });
});

describe('objectStore with an Azure destination', () => {
  it('refuses the S3 settings barman-cloud does not use with Azure', () => {
    const file = join(dir, 's3-on-azure.yaml');
    writeFileSync(
      file,
      `serverName: db\nobjectStore:\n  destinationPath: ${AZ}\n  endpointURL: http://127.0.0.1:10000\n  region: eu-west-1\n  forcePathStyle: true\n  azureCredentials: {inheritFromAzureAD: true}\n`,
    );
    const e = failure(() => loadConfig({ overrides: { configFile: file }, env: {}, cwd: dir }));
    assert.match(
      e.message,
      /objectStore\.endpointURL: is not used with an Azure destination: an emulator or other host goes in destinationPath/,
    );
    assert.match(e.message, /objectStore\.region: is not used with an Azure destination/);
    assert.match(e.message, /objectStore\.forcePathStyle: is not used with an Azure destination/);
  });

  it('refuses what pgdr does not apply to Azure blobs rather than ignore it', () => {
    const file = join(dir, 'unsupported-on-azure.yaml');
    writeFileSync(
      file,
      `serverName: db\nobjectStore:\n  destinationPath: ${AZ}\n  tags: {a: b}\n  wal: {encryption: AES256}\n  azureCredentials: {inheritFromAzureAD: true}\n`,
    );
    const e = failure(() => loadConfig({ overrides: { configFile: file }, env: {}, cwd: dir }));
    assert.match(e.message, /objectStore\.tags: is not supported with an Azure destination/);
    assert.match(e.message, /objectStore\.wal\.encryption: is not supported with an Azure destination/);
  });
});

describe('redaction of Azure secrets', () => {
  it('the serve redactor knows the key, the SAS token and its signature', () => {
    const key = load(AZ, '{storageAccount: acct, storageKey: {env: K}}');
    const sas = load(AZ, '{storageSasToken: {env: S}}');
    const redact = redactor([...knownSecrets(key), ...knownSecrets(sas)]);
    const sig = new URLSearchParams(SAS).get('sig') ?? '';
    const text = redact(`key ${KEY} sas ?${SAS} sig ${sig} escaped ${encodeURIComponent(sig)}`);
    for (const s of [KEY, SAS, sig, encodeURIComponent(sig)]) assert.ok(!text.includes(s), text);
  });
});
