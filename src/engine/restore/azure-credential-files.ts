// The azureCredentials of the configurations pgdr writes for PostgreSQL's own commands (store-document.ts): the
// secret goes into a file of mode 0600 beside the configuration, referred to as {file: PATH}. Entra ID flows
// keep no secret on disk: the server's environment must carry the AZURE_* variables, as a pod's containers do.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { AzureCredentials } from '../../config/types.js';

export const AZURE_SECRET_FILES = [
  'azure-connection-string',
  'azure-storage-key',
  'azure-sas-token',
] as const;

export async function writeAzureCredentials(
  dir: string,
  c: AzureCredentials,
): Promise<Record<string, unknown>> {
  const write = async (name: (typeof AZURE_SECRET_FILES)[number], value: string) => {
    const file = join(dir, name);
    await fsp.writeFile(file, value, { mode: 0o600 });
    return { file };
  };
  if (c.kind === 'azureAD') {
    return c.flow === 'clientSecret' ? { useDefaultAzureCredentials: true } : { inheritFromAzureAD: true };
  }
  // Credentials that came with a connection string keep its endpoint (an emulator's is nowhere else).
  if (c.endpoint !== undefined) {
    const auth =
      c.kind === 'sharedKey'
        ? `AccountName=${c.account};AccountKey=${c.key}`
        : `SharedAccessSignature=${c.sasToken}`;
    return { connectionString: await write('azure-connection-string', `BlobEndpoint=${c.endpoint};${auth}`) };
  }
  if (c.kind === 'sharedKey')
    return { storageAccount: c.account, storageKey: await write('azure-storage-key', c.key) };
  return { storageSasToken: await write('azure-sas-token', c.sasToken) };
}
