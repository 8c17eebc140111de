// The effective configuration in the configuration file's own words, one field at a time with where its
// value came from, for `pgdr config show`. Secrets never appear: s3Credentials and googleCredentials show the
// {env: NAME} or {file: PATH} reference they were read through, a password in postgres.connection and a webhook URL are
// replaced by [redacted].
import { type ArgList, type ArgSettings, parseArgList } from '../config/command-args.js';
import type { LoadedConfig } from '../config/load.js';
import { objectivesOf, showObjective } from '../config/objectives.js';
import { showDuration } from '../config/timeouts.js';
import { DEFAULT_STORE_TIMEOUTS, type PgdrConfig } from '../config/types.js';
import { Problems } from '../config/validate.js';
import { plannedSource } from '../storage/s3/credentials/planned.js';

type SourceKind = 'file' | 'env' | 'flag' | 'default' | 'PATH';

export interface Source {
  readonly kind: SourceKind;
  /** The file, the environment variable, the flag; for PATH, the reason when nothing was found. */
  readonly name?: string | undefined;
}

export interface ConfigField {
  /** Dotted, as in the file: objectStore.wal.maxParallel. */
  readonly field: string;
  readonly value: unknown;
  readonly source: Source;
}

export interface FieldInput {
  readonly loaded: LoadedConfig;
  /** The flags given for this run (they override the file). */
  readonly flags: { serverName?: string; destinationPath?: string; endpointURL?: string };
  readonly env: NodeJS.ProcessEnv;
  /** The pgdr written into PostgreSQL's commands, or why there is none (cli/pgdr-command.ts). */
  readonly pgdr: { path: string; from: 'config' | 'PATH' } | { error: string };
}

const REDACTED = '[redacted]';
/** The fields a flag overrides, with the flag. */
const FLAGS: Record<string, [string, keyof FieldInput['flags']]> = {
  serverName: ['--server-name', 'serverName'],
  'objectStore.destinationPath': ['--destination-path', 'destinationPath'],
  'objectStore.endpointURL': ['--endpoint-url', 'endpointURL'],
};
const CREDENTIAL_ENV = {
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
} as const;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A secret reference is shown whole, as one value. */
const isLeaf = (v: unknown) => !isObject(v) || 'env' in v || 'file' in v || ('name' in v && 'key' in v);

export function configFields(i: FieldInput): ConfigField[] {
  const raw = normalised(i.loaded.raw);
  const out: ConfigField[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (v === undefined) return;
    if (!isLeaf(v)) {
      for (const [k, child] of Object.entries(v as Obj)) walk(child, [...path, k]);
      return;
    }
    out.push({ field: path.join('.'), value: v, source: sourceOf(path, raw, i) });
  };
  walk(view(i.loaded.config, raw, i), []);
  return out;
}

/** The fields as one nested document (the shape of the configuration file). */
export function nested(fields: readonly ConfigField[]): Obj {
  const doc: Obj = {};
  for (const f of fields) {
    const keys = f.field.split('.');
    let at = doc;
    for (const k of keys.slice(0, -1)) {
      if (!isObject(at[k])) at[k] = {};
      at = at[k] as Obj;
    }
    at[keys[keys.length - 1]!] = f.value;
  }
  return doc;
}

function redactConnection(c: string): string {
  return c
    .replace(/^(postgres(?:ql)?:\/\/[^/@:]*:)[^@]*@/, `$1${REDACTED}@`)
    .replace(/([?&]password=)[^&]*/g, `$1${REDACTED}`)
    .replace(/(\bpassword\s*=\s*)('(?:\\.|[^'])*'|\S+)/g, `$1${REDACTED}`);
}

/** Fields an *AdditionalCommandArgs flag can set: where the value came from when the field itself is absent. */
const SET_BY_FLAG: Record<string, [ArgList, keyof ArgSettings]> = {
  'objectStore.wal.compression': ['wal.archiveAdditionalCommandArgs', 'compression'],
  'objectStore.wal.encryption': ['wal.archiveAdditionalCommandArgs', 'encryption'],
  'objectStore.data.compression': ['data.additionalCommandArgs', 'compression'],
  'objectStore.data.encryption': ['data.additionalCommandArgs', 'encryption'],
  'objectStore.data.jobs': ['data.additionalCommandArgs', 'jobs'],
  'objectStore.data.immediateCheckpoint': ['data.additionalCommandArgs', 'immediateCheckpoint'],
};

function view(c: PgdrConfig, raw: Obj, i: FieldInput): Obj {
  const s = c.objectStore;
  const u = s.uploads;
  const rawAt = (...path: string[]) => at(raw, ['objectStore', ...path]);
  const t = s.timeouts ?? DEFAULT_STORE_TIMEOUTS;
  const a = c.agent;
  const k = c.kubernetes;
  return {
    serverName: c.serverName,
    pgdrCommand: 'path' in i.pgdr ? i.pgdr.path : null,
    objectStore: {
      destinationPath: s.destinationPath,
      endpointURL: s.endpointURL,
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      s3Credentials:
        s.awsCredentialChain !== undefined
          ? {
              inheritFromIAMRole: s.awsCredentialChain.inheritFromIAMRole || undefined,
              source: `AWS credential chain: ${plannedSource(s.awsCredentialChain).text}`,
            }
          : s.s3Credentials === undefined
            ? undefined
            : credentialRefs(s.s3Credentials, raw),
      googleCredentials: googleRefs(c.objectStore, raw, i.env),
      // The file holds only references and switches; credentials from AZURE_* variables are named, not shown.
      azureCredentials:
        s.azureCredentials === undefined
          ? undefined
          : (at(raw, ['objectStore', 'azureCredentials']) ?? { from: s.azureCredentials.source }),
      wal: {
        compression: s.wal.compression,
        maxParallel: s.wal.maxParallel,
        encryption: u?.walEncryption?.method,
        archiveAdditionalCommandArgs: rawAt('wal', 'archiveAdditionalCommandArgs'),
        restoreAdditionalCommandArgs: rawAt('wal', 'restoreAdditionalCommandArgs'),
      },
      data: {
        compression: s.data.compression,
        jobs: s.data.jobs,
        immediateCheckpoint: s.data.immediateCheckpoint,
        encryption: u?.dataEncryption?.method,
        additionalCommandArgs: rawAt('data', 'additionalCommandArgs'),
        restoreAdditionalCommandArgs: rawAt('data', 'restoreAdditionalCommandArgs'),
      },
      tags: u?.tags.length ? Object.fromEntries(u.tags) : undefined,
      historyTags: u?.historyTags.length ? Object.fromEntries(u.historyTags) : undefined,
      // The reference the CA bundle is read through, not the bundle.
      endpointCA: s.endpointCA === undefined ? undefined : rawAt('endpointCA'),
      timeouts: {
        connect: showDuration(t.connectMs),
        request: showDuration(t.requestMs),
        operation: showDuration(t.operationMs),
        command: showDuration(t.commandMs),
      },
    },
    retentionPolicy: c.retentionPolicy,
    objectives: objectivesView(c),
    postgres: {
      connection: c.postgres.connection === undefined ? undefined : redactConnection(c.postgres.connection),
      pgdata: c.postgres.pgdata,
      binDir: c.postgres.binDir,
    },
    schedule: a?.schedule,
    drill: a === undefined ? undefined : { schedule: a.drillSchedule },
    agent:
      a === undefined
        ? undefined
        : {
            listen: a.listen === undefined ? 'off' : `${hostText(a.listen.host)}:${a.listen.port}`,
            stateFile: a.stateFile,
            retentionPolicyIntervalSeconds: a.retentionPolicyIntervalSeconds,
            minimumRedundancy: a.minimumRedundancy,
            lockStaleSeconds: a.lockStaleSeconds,
          },
    kubernetes:
      k === undefined
        ? undefined
        : {
            ...k,
            drill: {
              ...k.drill,
              // A webhook URL is a credential (Slack-style): only a Secret reference is shown.
              webhook: k.drill.webhook !== undefined && 'url' in k.drill.webhook ? REDACTED : k.drill.webhook,
            },
          },
  };
}

function objectivesView(c: PgdrConfig): Obj {
  const o = objectivesOf(c.objectives);
  return {
    rpo: showObjective(o.rpoMs),
    rto: showObjective(o.rtoMs),
    backupAge: showObjective(o.backupAgeMs),
    drillAge: showObjective(o.drillAgeMs),
  };
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The references the credentials were read through: the file's, else the AWS_* variables'. */
function credentialRefs(creds: NonNullable<PgdrConfig['objectStore']['s3Credentials']>, raw: Obj): Obj {
  const inFile = at(raw, ['objectStore', 's3Credentials']);
  const out: Obj = {};
  for (const [k, name] of Object.entries(CREDENTIAL_ENV)) {
    if (creds[k as keyof typeof CREDENTIAL_ENV] === undefined) continue;
    out[k] = isObject(inFile) ? inFile[k] : { env: name };
  }
  return out;
}

/** The file's googleCredentials (references only: a key in place is refused), else the key file of the env. */
function googleRefs(s: PgdrConfig['objectStore'], raw: Obj, env: NodeJS.ProcessEnv): Obj | undefined {
  if (s.google === undefined || s.google.credentials.kind === 'anonymous') return undefined;
  const inFile = at(raw, ['objectStore', 'googleCredentials']);
  if (isObject(inFile)) return inFile;
  return { applicationCredentials: { file: env.GOOGLE_APPLICATION_CREDENTIALS } };
}

function sourceOf(path: string[], raw: Obj, i: FieldInput): Source {
  const field = path.join('.');
  const flag = FLAGS[field];
  if (flag !== undefined && i.flags[flag[1]] !== undefined) return { kind: 'flag', name: flag[0] };
  if (at(raw, path) !== undefined) return { kind: 'file', name: i.loaded.file?.path };
  const byFlag = SET_BY_FLAG[field];
  if (byFlag !== undefined) {
    const [list, setting] = byFlag;
    const words = at(raw, ['objectStore', ...list.split('.')]);
    if (parseArgList(words, list, new Problems())[setting] !== undefined)
      return { kind: 'file', name: `${i.loaded.file?.path ?? ''} objectStore.${list}`.trim() };
  }
  if (field === 'pgdrCommand') {
    if ('error' in i.pgdr) return { kind: 'PATH', name: i.pgdr.error };
    return i.pgdr.from === 'config' ? { kind: 'env', name: 'PGDR_COMMAND' } : { kind: 'PATH' };
  }
  if (field === 'objectStore.region') {
    const name = ['AWS_REGION', 'AWS_DEFAULT_REGION'].find((n) => i.env[n] !== undefined);
    if (name !== undefined) return { kind: 'env', name };
  }
  if (field === 'objectStore.s3Credentials.source') {
    const chain = i.loaded.config.objectStore.awsCredentialChain;
    const variable = chain === undefined ? undefined : plannedSource(chain).variable;
    return variable === undefined ? { kind: 'default' } : { kind: 'env', name: variable };
  }
  if (path[1] === 'googleCredentials') return { kind: 'env', name: 'GOOGLE_APPLICATION_CREDENTIALS' };
  if (path[1] === 'azureCredentials') {
    const from = i.loaded.config.objectStore.azureCredentials?.source ?? '';
    return { kind: 'env', name: /\bAZURE_[A-Z_]+/.exec(from)?.[0] };
  }
  if (path[1] === 's3Credentials')
    return { kind: 'env', name: CREDENTIAL_ENV[path[2] as keyof typeof CREDENTIAL_ENV] };
  return { kind: 'default' };
}

function at(doc: unknown, path: readonly string[]): unknown {
  let v = doc;
  for (const k of path) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v === null ? undefined : v;
}

/** The file's short forms in their long shape: `credentialsSecret: NAME` is {name: NAME}. */
function normalised(raw: Readonly<Obj>): Obj {
  const k = raw.kubernetes;
  if (!isObject(k) || typeof k.credentialsSecret !== 'string') return { ...raw };
  return { ...raw, kubernetes: { ...k, credentialsSecret: { name: k.credentialsSecret } } };
}
