// The configuration pgdr writes for a restored or standby server's restore_command, for an Azure destination:
// it loads back to the same credentials (secrets in 0600 files, never inline), carries no S3 setting (refused
// with an Azure destination), and removeCredentialFiles takes the secrets away again.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { AzureCredentials, ObjectStoreConfig } from '../../src/config/types.js';
import { removeCredentialFiles, writeStoreDocument } from '../../src/engine/restore/store-document.js';

const KEY = Buffer.from('a storage account key, never inline').toString('base64');

async function roundTrip(destinationPath: string, azureCredentials: AzureCredentials) {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-azure-doc-'));
  const objectStore = {
    destinationPath,
    region: 'us-east-1',
    forcePathStyle: false,
    azureCredentials,
    wal: { compression: 'gzip', maxParallel: 1 },
    data: { compression: 'gzip', jobs: 1, immediateCheckpoint: false },
  } as ObjectStoreConfig;
  const doc = {
    serverName: 'db',
    objectStore: await writeStoreDocument(dir, objectStore, { compression: 'gzip' }),
  };
  const text = JSON.stringify(doc);
  await fsp.writeFile(join(dir, 'pgdr.json'), text);
  const loaded = loadConfig({ overrides: { configFile: join(dir, 'pgdr.json') }, env: {}, cwd: dir });
  return { dir, text, loaded: loaded.objectStore.azureCredentials };
}

describe('the restore_command configuration for Azure', () => {
  it('a connection string comes back with its endpoint, from a 0600 file', async () => {
    const endpoint = 'http://127.0.0.1:10000/acct';
    const { dir, text, loaded } = await roundTrip(`${endpoint}/c01/x`, {
      kind: 'sharedKey',
      account: 'acct',
      key: KEY,
      endpoint,
      source: 'AZURE_STORAGE_CONNECTION_STRING',
    });
    try {
      assert.ok(!text.includes(KEY), 'no secret inline');
      assert.ok(!text.includes('region') && !text.includes('forcePathStyle'), text);
      assert.equal(loaded?.kind === 'sharedKey' && loaded.key, KEY);
      assert.equal(loaded?.kind === 'sharedKey' && loaded.endpoint, endpoint);
      assert.equal((await fsp.stat(join(dir, 'azure-connection-string'))).mode & 0o777, 0o600);
      assert.deepEqual(await removeCredentialFiles(dir), [join(dir, 'azure-connection-string')]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('a shared key, a SAS token and Entra ID each load back as themselves', async () => {
    const az = 'https://acct.blob.core.windows.net/c01/x';
    const key = await roundTrip(az, { kind: 'sharedKey', account: 'acct', key: KEY, source: 's' });
    assert.equal(key.loaded?.kind === 'sharedKey' && key.loaded.account, 'acct');
    const sas = await roundTrip(az, { kind: 'sas', sasToken: 'sv=2021-12-02&sig=abcdef', source: 's' });
    assert.equal(sas.loaded?.kind === 'sas' && sas.loaded.sasToken, 'sv=2021-12-02&sig=abcdef');
    assert.ok(!sas.text.includes('abcdef'));
    const ad = await roundTrip(az, {
      kind: 'azureAD',
      flow: 'managedIdentity',
      source: 's',
      authorityHost: 'https://login.microsoftonline.com/',
      imdsHost: 'http://169.254.169.254',
    });
    assert.equal(ad.loaded?.kind === 'azureAD' && ad.loaded.flow, 'managedIdentity');
    for (const r of [key, sas, ad]) {
      await removeCredentialFiles(r.dir);
      assert.deepEqual(await fsp.readdir(r.dir), ['pgdr.json']);
      assert.ok(!existsSync(join(r.dir, 'azure-storage-key')));
      await fsp.rm(r.dir, { recursive: true, force: true });
    }
  });
});
