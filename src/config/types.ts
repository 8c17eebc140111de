// The typed configuration, built once at the CLI edge (load.ts) and passed down read-only.
// Field names follow CloudNativePG's barman-cloud ObjectStore `spec.configuration`, so users can paste theirs.
import type { AgentConfig } from './agent-types.js';
import type { GoogleConfig } from './google.js';
import type { KubernetesConfig } from './kubernetes-types.js';
import type { Objectives } from './objectives.js';
import type { StoreUploads } from './s3-options-types.js';

export const COMPRESSIONS = ['none', 'gzip', 'bzip2', 'xz', 'snappy', 'zstd', 'lz4'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Keys that sign S3 requests: configured static keys, or what the AWS credential chain resolved. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  /** Where they were read from, for `pgdr check`: `{env: AWS_ACCESS_KEY_ID}`. Never a secret. */
  readonly source?: string | undefined;
}

/**
 * The AWS credential chain (environment, web identity, container, profile, instance metadata), used when no
 * static keys are configured or `s3Credentials.inheritFromIAMRole` is true. It is resolved when the store is
 * first used, so the variables it reads are captured here, at the edge.
 */
export interface AwsCredentialChain {
  /** Every AWS_* variable of the environment, and HOME (for ~/.aws/config and ~/.aws/credentials). */
  readonly env: Readonly<Record<string, string>>;
  /** The S3 region: also STS's when AWS_REGION is unset. */
  readonly region: string;
  /** `s3Credentials.inheritFromIAMRole: true` was set (else: no static keys were configured). */
  readonly inheritFromIAMRole: boolean;
}

/**
 * How pgdr authenticates to Azure Blob Storage (objectStore.azureCredentials, else the AZURE_STORAGE_* variables
 * barman-cloud reads). `source` names where it came from, for `pgdr check`; it never holds a secret.
 */
export type AzureCredentials =
  | {
      readonly kind: 'sharedKey';
      readonly account: string;
      readonly key: string;
      readonly source: string;
      /** BlobEndpoint of a connection string: where requests go, as barman-cloud does. */
      readonly endpoint?: string | undefined;
    }
  | {
      readonly kind: 'sas';
      /** Without a leading '?'. */
      readonly sasToken: string;
      readonly source: string;
      readonly endpoint?: string | undefined;
    }
  | {
      readonly kind: 'azureAD';
      readonly flow: 'managedIdentity' | 'workloadIdentity' | 'clientSecret';
      readonly source: string;
      /** User-assigned identity or application (AZURE_CLIENT_ID). */
      readonly clientId?: string | undefined;
      readonly tenantId?: string | undefined;
      /** Workload identity: the projected service-account token, read again for every token request. */
      readonly tokenFile?: string | undefined;
      readonly clientSecret?: string | undefined;
      /** Microsoft Entra ID (AZURE_AUTHORITY_HOST), default https://login.microsoftonline.com/. */
      readonly authorityHost: string;
      /** The instance metadata service (AZURE_POD_IDENTITY_AUTHORITY_HOST), default http://169.254.169.254. */
      readonly imdsHost: string;
    };

export interface WalConfig {
  readonly compression: Compression;
  readonly maxParallel: number;
  /** `pgdr wal restore` never serves X.partial for X (wal.restoreAdditionalCommandArgs: --no-partial). */
  readonly noPartial?: boolean | undefined;
}

export interface DataConfig {
  readonly compression: Compression;
  readonly jobs: number;
  readonly immediateCheckpoint: boolean;
}

/** Deadlines of object-store calls (objectStore.timeouts), in milliseconds. */
export interface StoreTimeouts {
  /** Establishing one connection to the endpoint. */
  readonly connectMs: number;
  /**
   * One attempt of one request: the answer (headers and a buffered body such as a listing) must be complete this
   * long after the request was sent; also the longest silence while sending. A streamed download must deliver
   * at least 64 KiB in every such period, or it is resumed from where it stopped.
   */
  readonly requestMs: number;
  /** One request with all its retries and their backoff. */
  readonly operationMs: number;
  /** The whole of one `pgdr wal archive` or `pgdr wal restore` call (PostgreSQL retries a failed one). */
  readonly commandMs: number;
}

export const DEFAULT_STORE_TIMEOUTS: StoreTimeouts = {
  connectMs: 10_000,
  requestMs: 60_000,
  operationMs: 300_000,
  commandMs: 120_000,
};

export interface ObjectStoreConfig {
  /** `s3://bucket/prefix`, `gs://bucket/prefix`, `file:///absolute/path` or an Azure Blob Storage URL. */
  readonly destinationPath: string;
  readonly endpointURL?: string | undefined;
  readonly region: string;
  /** Path-style addressing (`endpoint/bucket/key`); on by default whenever a custom endpoint is set. */
  readonly forcePathStyle: boolean;
  /** Static keys for s3://; undefined for file:// or when the credential chain finds them. */
  readonly s3Credentials?: S3Credentials | undefined;
  /** For s3:// without static keys: the chain that finds them (exclusive with s3Credentials). */
  readonly awsCredentialChain?: AwsCredentialChain | undefined;
  /** gs:// only: googleCredentials resolved (service-account key, metadata server), and the emulator host. */
  readonly google?: GoogleConfig | undefined;
  /** Resolved credentials for an Azure Blob Storage destination (https://ACCOUNT.blob.core.windows.net/...). */
  readonly azureCredentials?: AzureCredentials | undefined;
  readonly wal: WalConfig;
  readonly data: DataConfig;
  /** Absent (configurations built outside loadConfig): DEFAULT_STORE_TIMEOUTS. */
  readonly timeouts?: StoreTimeouts | undefined;
  /** Server-side encryption and tags of uploads (s3:// only); absent: none. */
  readonly uploads?: StoreUploads | undefined;
  /** PEM bundle trusted for TLS to the endpoint instead of the system's CAs (objectStore.endpointCA). */
  readonly endpointCA?: string | undefined;
}

interface PostgresConfig {
  readonly connection?: string | undefined;
  readonly pgdata?: string | undefined;
  /** Folder with initdb/pg_ctl/postgres; when set, the only one used (default: looked up, binaries.ts). */
  readonly binDir?: string | undefined;
  /** Where `pgdr postgres install` puts binaries; loadConfig defaults it to $XDG_CACHE_HOME/pgdr/postgres. */
  readonly cacheDir?: string | undefined;
}

export interface PgdrConfig {
  readonly serverName: string;
  readonly objectStore: ObjectStoreConfig;
  readonly retentionPolicy?: string | undefined;
  readonly postgres: PostgresConfig;
  /** The CloudNativePG side (`pgdr k8s ...`); absent when the config has no `kubernetes:` section. */
  readonly kubernetes?: KubernetesConfig | undefined;
  /** `pgdr agent`: the top-level `schedule`, `drill.schedule` and the `agent:` section, with defaults. */
  readonly agent?: AgentConfig | undefined;
  /** `objectives:` as the file sets them (src/config/objectives.ts gives the defaults for the rest). */
  readonly objectives?: Partial<Objectives> | undefined;
  /**
   * The pgdr executable the commands pgdr writes into PostgreSQL's configuration run (restore_command,
   * archive_command): `pgdrCommand` of the file, else PGDR_COMMAND; undefined: the `pgdr` found on PATH.
   */
  readonly pgdrCommand?: string | undefined;
  /** Where the configuration came from, for messages (`pgdr.yaml`, `flags`, ...). */
  readonly source: string;
}

/** Values that override the file for one run (from flags). */
export interface ConfigOverrides {
  readonly configFile?: string | undefined;
  readonly destinationPath?: string | undefined;
  readonly endpointURL?: string | undefined;
  readonly serverName?: string | undefined;
}
