// The *AdditionalCommandArgs lists of a pasted ObjectStore: extra barman-cloud flags. Each flag that has a pgdr
// meaning becomes that setting; every other one is refused with a hint, because a flag accepted and then
// ignored would change nothing while the user believes it does (an encryption flag most of all).
import type { Problems } from './validate.js';

export type ArgList =
  | 'wal.archiveAdditionalCommandArgs'
  | 'wal.restoreAdditionalCommandArgs'
  | 'data.additionalCommandArgs'
  | 'data.restoreAdditionalCommandArgs';

/** What the flags of one list set; each key is the pgdr setting it stands for. */
export interface ArgSettings {
  encryption?: string;
  kmsKeyId?: string;
  compression?: string;
  immediateCheckpoint?: boolean;
  jobs?: number;
  noPartial?: boolean;
}

interface FlagDef {
  readonly names: readonly string[];
  /** The setting it fills; a flag without a value sets `value`. */
  readonly setting: keyof ArgSettings;
  readonly takesValue: boolean;
  readonly value?: string | boolean;
}

const ENCRYPTION: FlagDef = { names: ['--encryption', '-e'], setting: 'encryption', takesValue: true };
const KMS_KEY: FlagDef = { names: ['--sse-kms-key-id'], setting: 'kmsKeyId', takesValue: true };
const compression = (value: string, ...names: string[]): FlagDef => ({
  names,
  setting: 'compression',
  takesValue: false,
  value,
});

/** The flags each barman-cloud command takes that pgdr carries out, by list. */
const MAPPED_FLAGS: Readonly<Record<ArgList, readonly FlagDef[]>> = {
  'wal.archiveAdditionalCommandArgs': [
    ENCRYPTION,
    KMS_KEY,
    compression('gzip', '--gzip', '-z'),
    compression('bzip2', '--bzip2', '-j'),
    compression('xz', '--xz'),
    compression('snappy', '--snappy'),
    compression('zstd', '--zstd'),
    compression('lz4', '--lz4'),
  ],
  'wal.restoreAdditionalCommandArgs': [
    { names: ['--no-partial'], setting: 'noPartial', takesValue: false, value: true },
  ],
  'data.additionalCommandArgs': [
    ENCRYPTION,
    KMS_KEY,
    { names: ['--immediate-checkpoint'], setting: 'immediateCheckpoint', takesValue: false, value: true },
    { names: ['--jobs', '-J'], setting: 'jobs', takesValue: true },
    compression('gzip', '--gzip', '-z'),
    compression('bzip2', '--bzip2', '-j'),
    compression('snappy', '--snappy'),
    compression('lz4', '--lz4'),
  ],
  'data.restoreAdditionalCommandArgs': [],
};

/** Why pgdr refuses barman-cloud flags it knows; any other flag gets the generic refusal. */
const REFUSED: ReadonlyArray<[readonly string[], string]> = [
  [['--read-timeout'], 'pgdr bounds every request with objectStore.timeouts.request (e.g. {request: 60s})'],
  [['--endpoint-url'], 'set objectStore.endpointURL'],
  [['--tags'], 'set objectStore.tags (a map of key: value)'],
  [['--history-tags'], 'set objectStore.historyTags (a map of key: value)'],
  [
    ['-P', '--aws-profile', '--profile'],
    'pgdr takes its credentials from objectStore.s3Credentials or the AWS environment',
  ],
  [['--cloud-provider'], 'pgdr takes the provider from objectStore.destinationPath'],
  [['-t', '--test'], 'run `pgdr check` to test the object store'],
  [['-h', '--host', '-p', '--port', '-U', '--user', '-d', '--dbname'], 'set postgres.connection'],
  [['-n', '--name'], 'name one backup with `pgdr backup create --name NAME`'],
  [['--tablespace'], 'pass --tablespace NAME:LOCATION to `pgdr restore`'],
  [
    ['--max-bandwidth'],
    'pgdr has no bandwidth limit: lower objectStore.data.jobs to send fewer parts at once',
  ],
  [['--min-chunk-size'], 'pgdr uploads in parts of 16 MiB'],
  [['-S', '--max-archive-size'], 'pgdr splits each tar into parts by itself (objectStore.data.jobs)'],
  [
    ['--compression-level'],
    'pass --compression-level to `pgdr backup create`; WAL is compressed at gzip level 1',
  ],
  [
    ['--snapshot-instance', '--snapshot-disk', '--snapshot-zone', '--gcp-zone'],
    'pgdr takes no disk snapshots',
  ],
];

function refusal(flag: string, list: ArgList): string {
  const mapped = MAPPED_FLAGS[list].flatMap((f) => f.names.filter((n) => n.startsWith('--')));
  const known = REFUSED.find(([names]) => names.includes(flag));
  const accepted = mapped.length > 0 ? `accepted here: ${mapped.join(', ')}` : 'no flag is accepted here';
  const why = known ? known[1] : 'pgdr has no setting for it';
  return `${flag} is not taken by pgdr, which would otherwise ignore it: ${why} (${accepted})`;
}

/**
 * Reads one list. Elements are argv words as CloudNativePG appends them: `--flag=value`, or `--flag` followed
 * by its value as the next element.
 */
export function parseArgList(raw: unknown, list: ArgList, p: Problems): ArgSettings {
  const path = `objectStore.${list}`;
  const out: ArgSettings = {};
  if (raw === undefined || raw === null) return out;
  if (!Array.isArray(raw) || raw.some((w) => typeof w !== 'string')) {
    p.add(path, 'must be a list of strings, e.g. ["--encryption=aws:kms", "--sse-kms-key-id=alias/pg"]');
    return out;
  }
  const words = raw as string[];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const def = MAPPED_FLAGS[list].find((f) => f.names.includes(flag));
    if (def === undefined) {
      p.add(path, refusal(flag, list));
      continue;
    }
    let value: string | boolean | undefined = def.value;
    if (def.takesValue) {
      value = eq > 0 ? word.slice(eq + 1) : words[++i];
      if (value === undefined || value === '') {
        p.add(path, `${flag} needs a value: "${flag}=VALUE"`);
        continue;
      }
    } else if (eq > 0) {
      p.add(path, `${flag} takes no value`);
      continue;
    }
    const before = out[def.setting];
    if (before !== undefined && before !== value) {
      p.add(path, `${flag} is given twice with different values`);
      continue;
    }
    if (def.setting === 'jobs') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 64) p.add(path, `${flag} must be a whole number from 1 to 64`);
      else out.jobs = n;
      continue;
    }
    (out as Record<string, unknown>)[def.setting] = value;
  }
  return out;
}
