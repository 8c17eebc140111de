// The objectStore section of the small pgdr configurations pgdr writes for PostgreSQL's own commands (the
// restore_command of a restored or standby server, the archive_command of a promoted one). PostgreSQL runs
// them as the server user, who cannot read the operator's configuration: static credentials are copied into
// files of mode 0600 beside the configuration, never put on a command line or in postgresql.conf. Once a
// server no longer needs them they are removed (removeCredentialFiles). Temporary keys are never written.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isAzureUrl } from '../../common/azure-url.js';
import type { ObjectStoreConfig } from '../../config/types.js';
import { localFileError } from '../../errors.js';
import { AZURE_SECRET_FILES, writeAzureCredentials } from './azure-credential-files.js';

const SECRETS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;
const fileOf = (dir: string, k: (typeof SECRETS)[number]) => join(dir, `s3-${k}`);
/** The service-account key of a gs:// destination, as a key file (applicationCredentials: {file}). */
const GCS_KEY = 'gcs-application-credentials.json';

/** Writes the credential files into `dir` and returns the objectStore section that refers to them. */
export async function writeStoreDocument(
  dir: string,
  objectStore: ObjectStoreConfig,
  wal: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  // S3 settings are refused with an Azure destination: they would go unused.
  const azure = isAzureUrl(objectStore.destinationPath);
  const store: Record<string, unknown> = {
    destinationPath: objectStore.destinationPath,
    ...(azure ? {} : { region: objectStore.region, forcePathStyle: objectStore.forcePathStyle }),
    wal: { ...wal },
  };
  if (objectStore.endpointURL !== undefined) store.endpointURL = objectStore.endpointURL;
  // PostgreSQL's commands must give up when the operator's would: same deadlines and command budget.
  const t = objectStore.timeouts;
  if (t !== undefined) {
    store.timeouts = {
      connect: `${t.connectMs}ms`,
      request: `${t.requestMs}ms`,
      operation: `${t.operationMs}ms`,
      command: `${t.commandMs}ms`,
    };
  }
  // Keys from the credential chain are temporary: a copy would expire in the data folder. PostgreSQL's
  // command finds them itself, from the environment the server inherits (web identity, container, profile,
  // instance metadata), and refreshes them as this process does.
  if (objectStore.awsCredentialChain !== undefined && objectStore.s3Credentials === undefined)
    store.s3Credentials = { inheritFromIAMRole: true };
  const creds = objectStore.s3Credentials;
  if (creds !== undefined) {
    const refs: Record<string, { file: string }> = {};
    for (const k of SECRETS) {
      const v = creds[k];
      if (v === undefined) continue;
      await fsp.writeFile(fileOf(dir, k), v, { mode: 0o600 });
      refs[k] = { file: fileOf(dir, k) };
    }
    store.s3Credentials = refs;
  }
  const google = objectStore.google?.credentials;
  if (google?.kind === 'service-account') {
    const k = google.key;
    const doc = {
      type: 'service_account',
      client_email: k.clientEmail,
      private_key: k.privateKey,
      private_key_id: k.privateKeyId,
      token_uri: k.tokenUri,
    };
    await fsp.writeFile(join(dir, GCS_KEY), JSON.stringify(doc), { mode: 0o600 });
    store.googleCredentials = { applicationCredentials: { file: join(dir, GCS_KEY) } };
  } else if (google?.kind === 'metadata') store.googleCredentials = { gkeEnvironment: true };
  if (objectStore.azureCredentials !== undefined) {
    store.azureCredentials = await writeAzureCredentials(dir, objectStore.azureCredentials);
  }
  return store;
}

/** Removes the credential files writeStoreDocument() put in `dir` (none there is fine); returns those removed. */
export async function removeCredentialFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const file of [
    ...SECRETS.map((k) => fileOf(dir, k)),
    join(dir, GCS_KEY),
    ...AZURE_SECRET_FILES.map((f) => join(dir, f)),
  ]) {
    try {
      await fsp.unlink(file);
      removed.push(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw localFileError(e, file, 'remove');
    }
  }
  return removed;
}
