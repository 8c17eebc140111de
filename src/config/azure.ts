// objectStore.azureCredentials, as in CloudNativePG's ObjectStore, and the environment barman-cloud reads when it
// is absent (AZURE_STORAGE_CONNECTION_STRING, then AZURE_STORAGE_SAS_TOKEN, then AZURE_STORAGE_KEY). Secret values
// are {env|file} references; a problem names the field, never what a secret holds.
import { type AzureLocation, isAzureUrl, parseAzureUrl } from '../common/azure-url.js';
import { readSecretField } from './secrets.js';
import type { AzureCredentials } from './types.js';
import type { Problems } from './validate.js';

type Raw = Record<string, unknown>;

const PATH = 'objectStore.azureCredentials';
const KEYS = [
  'connectionString',
  'storageAccount',
  'storageKey',
  'storageSasToken',
  'inheritFromAzureAD',
  'useDefaultAzureCredentials',
];
const ENV_HINT =
  'or leave objectStore.azureCredentials out to use AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY';
/** The Azurite / storage emulator account every Azure SDK knows (published, not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** S3 settings barman-cloud does not use with Azure: accepted, they would be ignored. */
const S3_ONLY = ['endpointURL', 'region', 'forcePathStyle', 's3Credentials'];
/** Settings pgdr does not apply to Azure blobs (yet): refused rather than ignored. */
const NOT_FOR_AZURE = ['tags', 'historyTags', 'endpointCA', 'wal.encryption', 'data.encryption'];

/** The Azure side of objectStore: its credentials for an Azure destination, and no setting that goes unused. */
export function azureStore(
  s: Raw,
  env: NodeJS.ProcessEnv,
  destinationPath: string | undefined,
  p: Problems,
): AzureCredentials | undefined {
  if (destinationPath === undefined || !isAzureUrl(destinationPath)) {
    if (s.azureCredentials !== undefined) {
      p.add(
        PATH,
        'is only used with an Azure destination (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH)',
      );
    }
    return undefined;
  }
  for (const k of S3_ONLY) {
    if (s[k] !== undefined && s[k] !== null) {
      p.add(
        `objectStore.${k}`,
        k === 'endpointURL'
          ? 'is not used with an Azure destination: an emulator or other host goes in destinationPath (http://HOST:PORT/ACCOUNT/CONTAINER/PATH) with a connection string'
          : 'is not used with an Azure destination: leave it out',
      );
    }
  }
  for (const path of NOT_FOR_AZURE) {
    const [a, b] = path.split('.') as [string, string | undefined];
    const v = b === undefined ? s[a] : (s[a] as Raw | undefined)?.[b];
    if (v !== undefined && v !== null) {
      p.add(`objectStore.${path}`, 'is not supported with an Azure destination: leave it out');
    }
  }
  return buildAzureCredentials(s.azureCredentials, env, destinationPath, p);
}

function buildAzureCredentials(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  destinationPath: string,
  p: Problems,
): AzureCredentials | undefined {
  let where: AzureLocation;
  try {
    where = parseAzureUrl(destinationPath);
  } catch {
    return undefined; // checkDestinationPath reported it
  }
  const creds = raw === undefined || raw === null ? fromEnv(env, where, p) : fromConfig(raw, env, where, p);
  const fromConnectionString =
    creds !== undefined && creds.kind !== 'azureAD' && creds.endpoint !== undefined;
  if (!where.account && creds !== undefined && !fromConnectionString) {
    p.add(
      PATH,
      `${destinationPath} is not on blob.core.windows.net: barman-cloud accepts an emulator or other host only with a connection string (connectionString or AZURE_STORAGE_CONNECTION_STRING)`,
    );
  }
  return creds;
}

function fromConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  where: AzureLocation,
  p: Problems,
): AzureCredentials | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    p.add(
      PATH,
      'must be a mapping: connectionString, storageAccount + storageKey or storageSasToken, or inheritFromAzureAD: true',
    );
    return undefined;
  }
  const c = raw as Raw;
  for (const k of Object.keys(c)) {
    if (!KEYS.includes(k)) p.add(`${PATH}.${k}`, `unknown field (known: ${KEYS.join(', ')})`);
  }
  for (const k of ['inheritFromAzureAD', 'useDefaultAzureCredentials']) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') p.add(`${PATH}.${k}`, 'must be true or false');
  }
  const methods = [
    'connectionString',
    'storageKey',
    'storageSasToken',
    'inheritFromAzureAD',
    'useDefaultAzureCredentials',
  ];
  const chosen = methods.filter((k) => c[k] !== undefined && c[k] !== false);
  if (chosen.length !== 1) {
    p.add(
      PATH,
      chosen.length === 0
        ? 'names no credential: set connectionString, storageKey, storageSasToken or inheritFromAzureAD: true'
        : `sets ${chosen.join(' and ')}: choose one`,
    );
    return undefined;
  }
  const method = chosen[0] as string;
  if (c.storageAccount !== undefined && method !== 'storageKey' && method !== 'storageSasToken') {
    p.add(`${PATH}.storageAccount`, 'is used only with storageKey or storageSasToken');
  }
  if (method === 'connectionString') {
    const text = secret(c, 'connectionString', env, p);
    return text === undefined ? undefined : connectionString(text, `${PATH}.connectionString`, p);
  }
  if (method === 'inheritFromAzureAD' || method === 'useDefaultAzureCredentials') {
    return azureAD(env, method === 'useDefaultAzureCredentials', p);
  }
  const account = storageAccount(c, env, where, p);
  if (method === 'storageSasToken') {
    const sas = secret(c, 'storageSasToken', env, p);
    if (sas === undefined) return undefined;
    return { kind: 'sas', sasToken: sas.replace(/^\?/, ''), source: `SAS token (${PATH}.storageSasToken)` };
  }
  const key = secret(c, 'storageKey', env, p);
  if (key === undefined || account === undefined) return undefined;
  return sharedKey(account, key, `${PATH}.storageKey`, p);
}

/** barman-cloud's order when no credential is configured; a workload-identity pod needs no setting at all. */
function fromEnv(env: NodeJS.ProcessEnv, where: AzureLocation, p: Problems): AzureCredentials | undefined {
  if (env.AZURE_STORAGE_CONNECTION_STRING) {
    return connectionString(env.AZURE_STORAGE_CONNECTION_STRING, 'AZURE_STORAGE_CONNECTION_STRING', p);
  }
  if (env.AZURE_STORAGE_SAS_TOKEN) {
    return {
      kind: 'sas',
      sasToken: env.AZURE_STORAGE_SAS_TOKEN.replace(/^\?/, ''),
      source: 'SAS token (AZURE_STORAGE_SAS_TOKEN)',
    };
  }
  if (env.AZURE_STORAGE_KEY) {
    const account = env.AZURE_STORAGE_ACCOUNT || where.account;
    if (!account) {
      p.add('AZURE_STORAGE_ACCOUNT', 'is required with AZURE_STORAGE_KEY for this destination');
      return undefined;
    }
    if (where.account && account !== where.account) {
      p.add('AZURE_STORAGE_ACCOUNT', `${account} is not the account of the destination (${where.account})`);
    }
    return sharedKey(account, env.AZURE_STORAGE_KEY, 'AZURE_STORAGE_KEY', p);
  }
  if (env.AZURE_FEDERATED_TOKEN_FILE) return azureAD(env, false, p);
  return undefined;
}

function storageAccount(
  c: Raw,
  env: NodeJS.ProcessEnv,
  where: AzureLocation,
  p: Problems,
): string | undefined {
  const field = `${PATH}.storageAccount`;
  const v = c.storageAccount;
  // The account name is no secret: a plain string is accepted besides a reference.
  const account =
    typeof v === 'string' && v !== ''
      ? v
      : v === undefined
        ? where.account
        : secret(c, 'storageAccount', env, p);
  if (account === undefined) {
    if (v === undefined)
      p.add(field, 'is required for this destination: {env: NAME}, {file: PATH} or the name');
    return undefined;
  }
  if (where.account && account !== where.account) {
    p.add(field, `${account} is not the account of objectStore.destinationPath (${where.account})`);
  }
  return account;
}

function secret(c: Raw, key: string, env: NodeJS.ProcessEnv, p: Problems): string | undefined {
  const kubernetes = () =>
    `Kubernetes secret references ({name, key}) cannot be read outside the cluster: use {env: NAME} or {file: PATH}, ${ENV_HINT}`;
  return readSecretField(c[key], { path: `${PATH}.${key}`, kubernetes }, env, p)?.value;
}

type SharedKey = Extract<AzureCredentials, { kind: 'sharedKey' }>;

function sharedKey(account: string, key: string, from: string, p: Problems): SharedKey | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    p.add(from, 'is not a storage account key (base64)');
    return undefined;
  }
  return { kind: 'sharedKey', account, key, source: `shared key of storage account ${account} (${from})` };
}

/**
 * A storage connection string: AccountName + AccountKey or SharedAccessSignature, and where the blob service is
 * (BlobEndpoint, else DefaultEndpointsProtocol + AccountName + EndpointSuffix), which barman-cloud also uses.
 */
function connectionString(text: string, from: string, p: Problems): AzureCredentials | undefined {
  const f = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) f.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const what = `connection string (${from})`;
  if (f.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
    const endpoint = `${f.get('developmentstorageproxyuri') ?? 'http://127.0.0.1'}:10000/${DEV_ACCOUNT}`;
    return {
      kind: 'sharedKey',
      account: DEV_ACCOUNT,
      key: DEV_KEY,
      endpoint,
      source: `${what}: storage emulator`,
    };
  }
  const account = f.get('accountname');
  const blob = f.get('blobendpoint');
  const endpoint =
    blob ||
    (account
      ? `${f.get('defaultendpointsprotocol') ?? 'https'}://${account}.blob.${f.get('endpointsuffix') ?? 'core.windows.net'}`
      : undefined);
  if (!endpoint || !/^https?:\/\/[^/]+/.test(endpoint)) {
    p.add(
      from,
      'is not a storage connection string: it names no AccountName or BlobEndpoint (http or https)',
    );
    return undefined;
  }
  const key = f.get('accountkey');
  if (account && key) {
    const shared = sharedKey(account, key, from, p);
    return shared && { ...shared, endpoint, source: `${what}: shared key of storage account ${account}` };
  }
  const sas = f.get('sharedaccesssignature');
  if (sas) return { kind: 'sas', sasToken: sas.replace(/^\?/, ''), endpoint, source: `${what}: SAS token` };
  p.add(
    from,
    'is not a usable connection string: it holds neither AccountName + AccountKey nor SharedAccessSignature',
  );
  return undefined;
}

/**
 * Microsoft Entra ID tokens: with `useDefaultAzureCredentials`, a service principal secret from the environment
 * first (as DefaultAzureCredential); then workload identity when AKS projected its token file; else the managed
 * identity of the VM or node.
 */
function azureAD(env: NodeJS.ProcessEnv, withSecret: boolean, p: Problems): AzureCredentials {
  const authorityHost = env.AZURE_AUTHORITY_HOST || 'https://login.microsoftonline.com/';
  const imdsHost = env.AZURE_POD_IDENTITY_AUTHORITY_HOST || 'http://169.254.169.254';
  const clientId = env.AZURE_CLIENT_ID || undefined;
  const tenantId = env.AZURE_TENANT_ID || undefined;
  const base = { kind: 'azureAD', authorityHost, imdsHost, clientId, tenantId } as const;
  if (withSecret && env.AZURE_CLIENT_SECRET && clientId && tenantId) {
    return {
      ...base,
      flow: 'clientSecret',
      clientSecret: env.AZURE_CLIENT_SECRET,
      source: `service principal ${clientId} of tenant ${tenantId} (AZURE_CLIENT_SECRET)`,
    };
  }
  if (env.AZURE_FEDERATED_TOKEN_FILE && !(clientId && tenantId)) {
    p.add('AZURE_FEDERATED_TOKEN_FILE', 'workload identity also needs AZURE_CLIENT_ID and AZURE_TENANT_ID');
  }
  if (env.AZURE_FEDERATED_TOKEN_FILE && clientId && tenantId) {
    return {
      ...base,
      flow: 'workloadIdentity',
      tokenFile: env.AZURE_FEDERATED_TOKEN_FILE,
      source: `workload identity: client ${clientId} of tenant ${tenantId} (AZURE_FEDERATED_TOKEN_FILE)`,
    };
  }
  const which = clientId ? `user-assigned identity ${clientId}` : 'system-assigned identity';
  return { ...base, flow: 'managedIdentity', source: `managed identity: ${which} (IMDS at ${imdsHost})` };
}
