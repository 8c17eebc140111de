// Turns the raw YAML object into a PgdrConfig, collecting every mistake with its field path and a hint.

import { azureUrlProblem, isAzureUrl } from '../common/azure-url.js';
import { gcsDestinationProblem, isGcsDestination } from '../common/gcs-url.js';
import { buildAgent } from './agent.js';
import { azureStore } from './azure.js';
import { buildGoogle, type GoogleConfig } from './google.js';
import { buildKubernetes } from './kubernetes.js';
import { buildObjectives } from './objectives.js';
import { cacheDirOf } from './postgres-cache.js';
import { POLICY_FORMS, parseRetentionPolicy } from './retention-policy.js';
import { buildS3Credentials } from './s3-credentials.js';
import { buildStoreOptions, UPLOAD_DATA_KEYS, UPLOAD_STORE_KEYS, UPLOAD_WAL_KEYS } from './s3-options.js';
import { serverNameProblem } from './server-name.js';
import { buildTimeouts } from './timeouts.js';
import { COMPRESSIONS, type Compression, type ObjectStoreConfig, type PgdrConfig } from './types.js';
import { wholeNumber } from './whole-number.js';

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

type Raw = Record<string, unknown>;

const TOP_KEYS = [
  'serverName',
  'pgdrCommand',
  'objectStore',
  'retentionPolicy',
  'postgres',
  'kubernetes',
  'drill',
  'schedule',
  'agent',
  'objectives',
];
const STORE_KEYS = [
  'destinationPath',
  'endpointURL',
  'region',
  'forcePathStyle',
  's3Credentials',
  'googleCredentials',
  'azureCredentials',
  'wal',
  'data',
  'timeouts',
  ...UPLOAD_STORE_KEYS,
];
const WAL_KEYS = ['compression', 'maxParallel', ...UPLOAD_WAL_KEYS];
const DATA_KEYS = ['compression', 'jobs', 'immediateCheckpoint', ...UPLOAD_DATA_KEYS];

export class Problems {
  readonly list: FieldProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

function isObject(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unknownKeys(obj: Raw, allowed: readonly string[], path: string, p: Problems): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      p.add(path ? `${path}.${k}` : k, `unknown field (known: ${allowed.join(', ')})`);
  }
}

function str(obj: Raw, key: string, path: string, p: Problems): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') {
    p.add(path, 'must be a non-empty string');
    return undefined;
  }
  return v;
}

function compression(obj: Raw, path: string, p: Problems, def: Compression): Compression {
  const v = obj.compression;
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string' || !(COMPRESSIONS as readonly string[]).includes(v)) {
    p.add(`${path}.compression`, `must be one of ${COMPRESSIONS.join(', ')}`);
    return def;
  }
  return v as Compression;
}

function checkDestinationPath(v: string): string | undefined {
  if (isGcsDestination(v)) return gcsDestinationProblem(v);
  if (isAzureUrl(v)) return azureUrlProblem(v);
  const m = /^(s3|file):\/\/(.*)$/.exec(v);
  if (!m)
    return 'must start with s3://, gs:// or file:// (e.g. s3://mastovault/cnpg/mastodon-database or file:///var/lib/pgdr/repo), or be an Azure URL: https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH';
  if (m[1] === 's3' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(m[2] ?? '')) {
    return 'must name a bucket: s3://BUCKET/optional/prefix (bucket names are 3-63 lower-case letters, digits, dots, dashes)';
  }
  if (m[1] === 'file' && !(m[2] ?? '').startsWith('/'))
    return 'file:// needs an absolute path: file:///var/lib/pgdr/repo';
  return undefined;
}

export interface BuildInput {
  readonly raw: Raw;
  readonly env: NodeJS.ProcessEnv;
  readonly source: string;
  readonly defaults: { readonly jobs: number };
}

export function buildConfig(input: BuildInput, p: Problems): PgdrConfig | undefined {
  const { raw, env } = input;
  unknownKeys(raw, TOP_KEYS, '', p);
  const serverName = str(raw, 'serverName', 'serverName', p);
  if (serverName === undefined)
    p.add(
      'serverName',
      'is required (the folder under destinationPath; CloudNativePG uses the Cluster name)',
    );
  else {
    const problem = serverNameProblem(serverName);
    if (problem !== undefined) p.add('serverName', problem);
  }

  const rawStore = raw.objectStore;
  let objectStore: ObjectStoreConfig | undefined;
  if (!isObject(rawStore)) p.add('objectStore', 'is required: a mapping with at least destinationPath');
  else objectStore = buildStore(rawStore, env, input.defaults, p);

  const rawPg = raw.postgres ?? {};
  if (!isObject(rawPg)) p.add('postgres', 'must be a mapping (connection, pgdata, binDir, cacheDir)');
  const pg = isObject(rawPg) ? rawPg : {};
  if (isObject(rawPg)) unknownKeys(pg, ['connection', 'pgdata', 'binDir', 'cacheDir'], 'postgres', p);
  const cache = cacheDirOf(pg.cacheDir, env);
  if (cache.problem !== undefined) p.add('postgres.cacheDir', cache.problem);
  const retentionPolicy = str(raw, 'retentionPolicy', 'retentionPolicy', p);
  if (retentionPolicy !== undefined) {
    try {
      parseRetentionPolicy(retentionPolicy, { source: 'config', field: 'retentionPolicy' });
    } catch (e) {
      p.add(
        'retentionPolicy',
        `${(e as Error).message.replace(/^retentionPolicy:\s*/, '')} (accepted: ${POLICY_FORMS}; as in CloudNativePG, 1m is a month here, while every other duration in pgdr reads m as minutes)`,
      );
    }
  }

  const kubernetes =
    raw.kubernetes === undefined ? undefined : buildKubernetes(raw.kubernetes, { serverName }, p);
  const agent = buildAgent(raw, p);
  const objectives = buildObjectives(raw.objectives, p);
  const pgdrCommand = pgdrCommandOf(raw, env, p);

  if (p.list.length > 0 || serverName === undefined || objectStore === undefined) return undefined;
  return {
    serverName,
    objectStore,
    retentionPolicy,
    kubernetes,
    agent,
    objectives,
    pgdrCommand,
    postgres: {
      connection: str(pg, 'connection', 'postgres.connection', p),
      pgdata: str(pg, 'pgdata', 'postgres.pgdata', p),
      binDir: str(pg, 'binDir', 'postgres.binDir', p),
      cacheDir: cache.dir,
    },
    source: input.source,
  };
}

/** `pgdrCommand`, else PGDR_COMMAND: absolute, for PostgreSQL runs it with its own PATH and working folder. */
function pgdrCommandOf(raw: Raw, env: NodeJS.ProcessEnv, p: Problems): string | undefined {
  const inFile = raw.pgdrCommand !== undefined && raw.pgdrCommand !== null;
  const path = inFile ? 'pgdrCommand' : 'PGDR_COMMAND';
  const v = inFile ? str(raw, 'pgdrCommand', path, p) : env.PGDR_COMMAND || undefined;
  if (v !== undefined && !v.startsWith('/')) {
    p.add(
      path,
      `must be the absolute path of the pgdr executable, e.g. /usr/local/bin/pgdr (got '${v}'): PostgreSQL runs it with its own PATH`,
    );
    return undefined;
  }
  return v;
}

function buildStore(
  s: Raw,
  env: NodeJS.ProcessEnv,
  defaults: { jobs: number },
  p: Problems,
): ObjectStoreConfig | undefined {
  unknownKeys(s, STORE_KEYS, 'objectStore', p);
  const destinationPath = str(s, 'destinationPath', 'objectStore.destinationPath', p);
  if (destinationPath === undefined)
    p.add('objectStore.destinationPath', 'is required: s3://BUCKET/PATH, gs://BUCKET/PATH or file:///PATH');
  else {
    const bad = checkDestinationPath(destinationPath);
    if (bad) p.add('objectStore.destinationPath', bad);
  }
  const endpointURL = str(s, 'endpointURL', 'objectStore.endpointURL', p);
  if (endpointURL !== undefined && !/^https?:\/\/[^/]+/.test(endpointURL)) {
    p.add(
      'objectStore.endpointURL',
      'must be an http:// or https:// URL, e.g. https://ACCOUNT.r2.cloudflarestorage.com',
    );
  }
  const region =
    str(s, 'region', 'objectStore.region', p) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const fps = s.forcePathStyle;
  if (fps !== undefined && typeof fps !== 'boolean')
    p.add('objectStore.forcePathStyle', 'must be true or false');

  const wal = isObject(s.wal) ? s.wal : {};
  if (s.wal !== undefined && !isObject(s.wal))
    p.add('objectStore.wal', 'must be a mapping (compression, maxParallel)');
  unknownKeys(wal, WAL_KEYS, 'objectStore.wal', p);
  const data = isObject(s.data) ? s.data : {};
  if (s.data !== undefined && !isObject(s.data))
    p.add('objectStore.data', 'must be a mapping (compression, jobs)');
  unknownKeys(data, DATA_KEYS, 'objectStore.data', p);
  const dataCompression = compression(data, 'objectStore.data', p, 'gzip');
  if (['xz', 'zstd'].includes(dataCompression)) {
    p.add(
      'objectStore.data.compression',
      'barman-cloud cannot restore xz or zstd base backups: use gzip, bzip2, snappy, lz4 or none',
    );
  }
  const ic = data.immediateCheckpoint;
  if (ic !== undefined && typeof ic !== 'boolean')
    p.add('objectStore.data.immediateCheckpoint', 'must be true or false');

  const timeouts = buildTimeouts(s.timeouts, p);
  const creds = destinationPath?.startsWith('s3://')
    ? buildS3Credentials(s.s3Credentials, env, region, p)
    : {};
  let google: GoogleConfig | undefined;
  if (destinationPath !== undefined && isGcsDestination(destinationPath)) {
    google = buildGoogle(s.googleCredentials, env, p);
    if (s.s3Credentials !== undefined && s.s3Credentials !== null)
      p.add(
        'objectStore.s3Credentials',
        'applies to s3:// destinations only: use googleCredentials for gs://',
      );
  } else if (s.googleCredentials !== undefined && s.googleCredentials !== null)
    p.add(
      'objectStore.googleCredentials',
      'applies to gs:// destinations only: remove it, or fix destinationPath',
    );
  const azureCredentials = azureStore(s, env, destinationPath, p);

  const options = buildStoreOptions(
    {
      store: s,
      wal,
      data,
      walConfig: {
        compression: compression(wal, 'objectStore.wal', p, 'gzip'),
        maxParallel: wholeNumber(wal, 'maxParallel', 'objectStore.wal.maxParallel', p, 1, 1, 256),
      },
      dataConfig: {
        compression: dataCompression,
        jobs: wholeNumber(data, 'jobs', 'objectStore.data.jobs', p, defaults.jobs, 1, 64),
        immediateCheckpoint: ic === true,
      },
      destinationPath,
      endpointURL,
      env,
    },
    p,
  );
  if (destinationPath === undefined) return undefined;
  return {
    destinationPath,
    endpointURL,
    region: s.region === undefined || s.region === null ? (creds.region ?? region) : region,
    forcePathStyle: typeof fps === 'boolean' ? fps : endpointURL !== undefined,
    s3Credentials: creds.s3Credentials,
    awsCredentialChain: creds.awsCredentialChain,
    ...(google ? { google } : {}),
    azureCredentials,
    wal: options.wal,
    data: options.data,
    timeouts,
    ...(options.uploads ? { uploads: options.uploads } : {}),
    ...(options.endpointCA ? { endpointCA: options.endpointCA } : {}),
  };
}
