// The only place that reads the environment and the config file. Everything below the CLI receives the result.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { PgdrError } from '../errors.js';
import {
  type ConfigFileOrigin,
  DEFAULT_CONFIG_FILE,
  findConfigFile,
  SYSTEM_CONFIG_FILE,
} from './config-file.js';
import type { ConfigOverrides, PgdrConfig } from './types.js';
import { buildConfig, Problems } from './validate.js';

// Loaded only when there is a file to parse: the YAML parser is a noticeable part of the start-up of
// `pgdr wal archive`, which PostgreSQL runs once per WAL segment.
// JSON is YAML too: the configuration `pgdr restore` writes for its restore_command is JSON, so it is read
// without loading the YAML parser at all (whatever JSON.parse rejects still goes to the YAML parser).
function parseYaml(text: string): unknown {
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // not strict JSON (comments, flow-style YAML): the YAML parser decides
    }
  }
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
}

export interface LoadOptions {
  readonly overrides: ConfigOverrides;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Default SYSTEM_CONFIG_FILE (/etc/pgdr/pgdr.yaml): read when no other file is named or in cwd. */
  readonly systemConfigFile?: string | undefined;
}

/** The configuration with what `pgdr config show` tells about where its values came from. */
export interface LoadedConfig {
  readonly config: PgdrConfig;
  /** The file read (absolute) and how it was found; undefined when the configuration is flags only. */
  readonly file?: { readonly path: string; readonly origin: ConfigFileOrigin } | undefined;
  /** The file's fields as written (an ObjectStore manifest translated); {} without a file. */
  readonly raw: Readonly<Record<string, unknown>>;
}

interface RawSource {
  readonly raw: Record<string, unknown>;
  readonly source: string;
  readonly file?: LoadedConfig['file'];
}

const UNREADABLE_HINT: Record<ConfigFileOrigin, string> = {
  '--config': 'check the --config path',
  PGDR_CONFIG: 'check PGDR_CONFIG',
  './pgdr.yaml': 'check that this user may read pgdr.yaml in the current folder',
  system: 'check that this user may read it, or name another file with --config or PGDR_CONFIG',
};

function readRaw(opts: LoadOptions): RawSource {
  const found = findConfigFile({
    configFile: opts.overrides.configFile,
    env: opts.env,
    cwd: opts.cwd,
    systemConfigFile: opts.systemConfigFile ?? SYSTEM_CONFIG_FILE,
  });
  if (found === undefined) return { raw: {}, source: 'flags' };
  const file = found.file;
  const path = resolve(opts.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new PgdrError('CONFIG_INVALID', `cannot read the configuration file ${file}`, {
      hint: UNREADABLE_HINT[found.origin],
    });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PgdrError('CONFIG_INVALID', `${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax (indentation with spaces, "key: value")',
    });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PgdrError('CONFIG_INVALID', `${file}: must be a YAML mapping`, {
      hint: 'see the configuration reference, docs/configuration.md',
    });
  }
  return {
    raw: fromObjectStoreManifest(doc as Record<string, unknown>),
    source: file,
    file: { path, origin: found.origin },
  };
}

/** A barmancloud.cnpg.io ObjectStore manifest is accepted as it is: its spec.configuration is our objectStore. */
function fromObjectStoreManifest(doc: Record<string, unknown>): Record<string, unknown> {
  if (
    doc.kind !== 'ObjectStore' ||
    typeof doc.apiVersion !== 'string' ||
    !doc.apiVersion.startsWith('barmancloud.cnpg.io/')
  ) {
    return doc;
  }
  const spec = (doc.spec ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { objectStore: spec.configuration };
  if (spec.retentionPolicy !== undefined) out.retentionPolicy = spec.retentionPolicy;
  return out;
}

export function loadConfig(opts: LoadOptions): PgdrConfig {
  return loadConfigDetailed(opts).config;
}

export function loadConfigDetailed(opts: LoadOptions): LoadedConfig {
  const { raw, source, file } = readRaw(opts);
  const o = opts.overrides;
  const merged: Record<string, unknown> = { ...raw };
  if (o.serverName !== undefined) merged.serverName = o.serverName;
  if (o.destinationPath !== undefined || o.endpointURL !== undefined) {
    const store = { ...((raw.objectStore as Record<string, unknown> | undefined) ?? {}) };
    if (o.destinationPath !== undefined) store.destinationPath = o.destinationPath;
    if (o.endpointURL !== undefined) store.endpointURL = o.endpointURL;
    merged.objectStore = store;
  }
  const problems = new Problems();
  const config = buildConfig(
    { raw: merged, env: opts.env, source, defaults: { jobs: availableParallelism() } },
    problems,
  );
  if (config === undefined) {
    const first = problems.list[0];
    const all = problems.list.map((x) => `${x.path}: ${x.message}`);
    const noFile = source === 'flags' && Object.keys(raw).length === 0;
    throw new PgdrError(
      'CONFIG_INVALID',
      all.length === 1 || !first
        ? (all[0] ?? 'invalid configuration')
        : `${all.length} problems in the configuration:\n  ${all.join('\n  ')}`,
      {
        hint: noFile
          ? `no ${DEFAULT_CONFIG_FILE} here nor ${opts.systemConfigFile ?? SYSTEM_CONFIG_FILE}: create one (see docs/configuration.md), pass --config FILE, or give --destination-path and --server-name`
          : `fix ${source === 'flags' ? 'the flags' : source} (configuration reference: docs/configuration.md)`,
        details: { problems: problems.list },
      },
    );
  }
  return { config, file, raw };
}
