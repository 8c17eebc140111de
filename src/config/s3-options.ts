// objectStore's upload settings from a pasted CloudNativePG ObjectStore: wal.encryption / data.encryption, tags,
// historyTags, endpointCA and the *AdditionalCommandArgs lists. Each is carried out or refused here, never
// accepted and dropped: a backup the user believes encrypted must be encrypted.
import { type ArgList, type ArgSettings, parseArgList } from './command-args.js';
import {
  type ServerSideEncryption,
  SSE_METHODS,
  type SseMethod,
  type StoreUploads,
  type Tag,
} from './s3-options-types.js';
import { isSecretRef, resolveSecret } from './secrets.js';
import { COMPRESSIONS, type Compression, type DataConfig, type WalConfig } from './types.js';
import type { Problems } from './validate.js';

type Raw = Record<string, unknown>;

/** The fields of objectStore this module reads (validate.ts accepts them and hands them here). */
export const UPLOAD_STORE_KEYS = ['tags', 'historyTags', 'endpointCA'] as const;
export const UPLOAD_WAL_KEYS = ['encryption', 'archiveAdditionalCommandArgs', 'restoreAdditionalCommandArgs'];
export const UPLOAD_DATA_KEYS = ['encryption', 'additionalCommandArgs', 'restoreAdditionalCommandArgs'];

/** S3's limits (barman-cloud refuses more than 10 tags too). */
const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

export interface StoreOptionsInput {
  readonly store: Raw;
  readonly wal: Raw;
  readonly data: Raw;
  /** As built from the plain fields (compression, jobs...), before the flags are applied. */
  readonly walConfig: WalConfig;
  readonly dataConfig: DataConfig;
  readonly destinationPath: string | undefined;
  readonly endpointURL: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

export interface StoreOptions {
  readonly wal: WalConfig;
  readonly data: DataConfig;
  readonly uploads: StoreUploads | undefined;
  readonly endpointCA: string | undefined;
}

export function buildStoreOptions(i: StoreOptionsInput, p: Problems): StoreOptions {
  const args = (list: ArgList) =>
    parseArgList((list.startsWith('wal.') ? i.wal : i.data)[list.split('.')[1] as string], list, p);
  const walArchive = args('wal.archiveAdditionalCommandArgs');
  const walRestore = args('wal.restoreAdditionalCommandArgs');
  const dataBackup = args('data.additionalCommandArgs');
  args('data.restoreAdditionalCommandArgs');

  const wal: WalConfig = {
    ...i.walConfig,
    compression: merged(i.wal, 'compression', walArchive, 'wal', i.walConfig.compression, p) as Compression,
    ...(walRestore.noPartial ? { noPartial: true } : {}),
  };
  const data: DataConfig = {
    compression: merged(
      i.data,
      'compression',
      dataBackup,
      'data',
      i.dataConfig.compression,
      p,
    ) as Compression,
    jobs: merged(i.data, 'jobs', dataBackup, 'data', i.dataConfig.jobs, p) as number,
    immediateCheckpoint: merged(
      i.data,
      'immediateCheckpoint',
      dataBackup,
      'data',
      i.dataConfig.immediateCheckpoint,
      p,
    ) as boolean,
  };
  const walEncryption = encryption(i.wal, walArchive, 'wal', p);
  const dataEncryption = encryption(i.data, dataBackup, 'data', p);
  const tags = tagsOf(i.store.tags, 'objectStore.tags', p);
  const historyTags = tagsOf(i.store.historyTags, 'objectStore.historyTags', p);
  const endpointCA = caOf(i, p);

  const s3 = i.destinationPath?.startsWith('s3://') ?? false;
  const set: Array<[string, boolean]> = [
    ['objectStore.wal.encryption', walEncryption !== undefined],
    ['objectStore.data.encryption', dataEncryption !== undefined],
    ['objectStore.tags', tags.length > 0],
    ['objectStore.historyTags', historyTags.length > 0],
    ['objectStore.endpointCA', endpointCA !== undefined],
  ];
  if (!s3 && i.destinationPath !== undefined) {
    for (const [path, given] of set) {
      if (given) p.add(path, 'applies to s3:// destinations only: remove it for this destinationPath');
    }
  }
  const any = walEncryption || dataEncryption || tags.length > 0 || historyTags.length > 0;
  return {
    wal,
    data,
    uploads: any ? { walEncryption, dataEncryption, tags, historyTags } : undefined,
    endpointCA,
  };
}

/** A setting given by a field, a flag or both (then they must agree); the field's (or default) value else. */
function merged(
  raw: Raw,
  field: 'compression' | 'jobs' | 'immediateCheckpoint',
  flags: ArgSettings,
  section: 'wal' | 'data',
  built: unknown,
  p: Problems,
): unknown {
  const flag = flags[field];
  if (flag === undefined) return built;
  const list = section === 'wal' ? 'archiveAdditionalCommandArgs' : 'additionalCommandArgs';
  if (raw[field] !== undefined && raw[field] !== null && raw[field] !== flag) {
    p.add(
      `objectStore.${section}.${list}`,
      `sets ${field} to ${String(flag)}, but objectStore.${section}.${field} is ${String(raw[field])}: keep one`,
    );
    return built;
  }
  if (field === 'compression' && !(COMPRESSIONS as readonly string[]).includes(String(flag))) return built;
  return flag;
}

function encryption(
  raw: Raw,
  flags: ArgSettings,
  section: 'wal' | 'data',
  p: Problems,
): ServerSideEncryption | undefined {
  const path = `objectStore.${section}.encryption`;
  const list = `objectStore.${section}.${section === 'wal' ? 'archiveAdditionalCommandArgs' : 'additionalCommandArgs'}`;
  const valid = (v: unknown): v is SseMethod => (SSE_METHODS as readonly unknown[]).includes(v);
  const allowed = `must be AES256 or aws:kms, as barman-cloud takes them (leave it out to keep the bucket's default encryption)`;
  const field = raw.encryption ?? undefined;
  if (field !== undefined && !valid(field)) p.add(path, allowed);
  if (flags.encryption !== undefined && !valid(flags.encryption))
    p.add(list, `--encryption ${flags.encryption}: ${allowed}`);
  if (valid(field) && flags.encryption !== undefined && flags.encryption !== field)
    p.add(list, `--encryption ${flags.encryption} contradicts ${path}: ${field}: keep one`);
  const method = valid(field) ? field : valid(flags.encryption) ? flags.encryption : undefined;
  if (flags.kmsKeyId !== undefined && method !== 'aws:kms') {
    p.add(list, `--sse-kms-key-id needs ${path}: aws:kms (as in barman-cloud)`);
    return method === undefined ? undefined : { method };
  }
  if (method === undefined) return undefined;
  return flags.kmsKeyId === undefined ? { method } : { method, kmsKeyId: flags.kmsKeyId };
}

function tagsOf(raw: unknown, path: string, p: Problems): Tag[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    p.add(path, 'must be a map of key: value, as in the ObjectStore (e.g. {team: dba, env: prod})');
    return [];
  }
  const out: Tag[] = [];
  for (const [k, v] of Object.entries(raw as Raw)) {
    const at = `${path}.${k}`;
    if (typeof v !== 'string') {
      p.add(at, `must be a string (quote it: ${k}: "${String(v)}")`);
      continue;
    }
    if (k.length > MAX_TAG_KEY || k.toLowerCase().startsWith('aws:')) {
      p.add(at, `a tag key has at most ${MAX_TAG_KEY} characters and may not start with aws:`);
      continue;
    }
    if (v.length > MAX_TAG_VALUE) {
      p.add(at, `a tag value has at most ${MAX_TAG_VALUE} characters`);
      continue;
    }
    out.push([k, v]);
  }
  if (out.length > MAX_TAGS) p.add(path, `S3 takes at most ${MAX_TAGS} tags per object (got ${out.length})`);
  return out;
}

function caOf(i: StoreOptionsInput, p: Problems): string | undefined {
  const raw = i.store.endpointCA;
  const path = 'objectStore.endpointCA';
  if (raw === undefined || raw === null) return undefined;
  if (isSecretRef(raw) && !('env' in raw) && !('file' in raw)) {
    p.add(
      path,
      `a Kubernetes Secret reference ({name, key}) cannot be read here: mount the Secret's key ${raw.key} as a file and point to it, e.g. endpointCA: {file: /etc/pgdr/ca.crt}`,
    );
    return undefined;
  }
  if (!isSecretRef(raw)) {
    p.add(path, 'must be {file: PATH} (a PEM CA bundle) or {env: NAME} (one holding the PEM text)');
    return undefined;
  }
  if (i.endpointURL?.startsWith('http://')) {
    p.add(
      path,
      `is used for TLS only, and endpointURL ${i.endpointURL} is plain http://: use https:// or remove it`,
    );
    return undefined;
  }
  let pem: string;
  try {
    pem = resolveSecret(raw, path, i.env);
  } catch (e) {
    p.add(path, (e as Error).message.replace(`${path}: `, ''));
    return undefined;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    p.add(path, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA bundle in PEM form');
    return undefined;
  }
  return `${pem}\n`;
}
