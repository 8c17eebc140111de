// The objectStore section of the small pgdr configurations pgdr writes for PostgreSQL's own commands (the
// restore_command of a restored or standby server, the archive_command of a promoted one). PostgreSQL runs
// them as the server user, who cannot read the operator's configuration: the credentials are copied into
// files of mode 0600 beside the configuration, never put on a command line or in postgresql.conf. Once a
// server no longer needs them they are removed (removeCredentialFiles).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStoreConfig } from '../../config/types.js';
import { localFileError } from '../../errors.js';
import { isAzureUrl } from '../../storage/azure/azure-url.js';
import { AZURE_SECRET_FILES, writeAzureCredentials } from './azure-credential-files.js';

const SECRETS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;
const fileOf = (dir: string, k: (typeof SECRETS)[number]) => join(dir, `s3-${k}`);

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
