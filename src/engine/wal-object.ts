// Finding a WAL file's object the way barman-cloud does: list `wals/<hashdir>/<name>` and look at suffixes.
import { basename } from 'node:path';
import { parseWalName, walKey } from '../catalog/wal-name.js';
import { type Compression, stripCompressionSuffix } from '../compression/suffixes.js';
import { PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';

export interface FoundWal {
  readonly key: string;
  readonly compression: Compression;
  /** The stored WAL name (e.g. X.partial when X was asked for). */
  readonly name: string;
}

/** USAGE for names barman rejects too (it exits 3 "is an invalid name for a WAL file"). */
export function mustBeWalName(name: string): NonNullable<ReturnType<typeof parseWalName>> {
  const parsed = parseWalName(name);
  if (!parsed) {
    throw new PgdrError('USAGE', `${name} is an invalid name for a WAL file`, {
      hint: 'expected 24 hex digits (optionally .partial or .NNNNNNNN.backup) or NNNNNNNN.history',
    });
  }
  return parsed;
}

async function listNamed(store: ObjectStore, serverName: string, name: string, signal?: AbortSignal) {
  const prefix = walKey(serverName, name, 'none');
  return { prefix, keys: (await store.list(prefix, { signal })).objects.map((o) => o.key) };
}

/** Every stored copy of exactly `name`, whatever its compression suffix (what archiving must not contradict). */
export async function findExact(
  store: ObjectStore,
  serverName: string,
  name: string,
  signal?: AbortSignal,
): Promise<FoundWal[]> {
  const { keys } = await listNamed(store, serverName, name, signal);
  const out: FoundWal[] = [];
  for (const key of keys) {
    const { base, compression } = stripCompressionSuffix(basename(key));
    if (base === name) out.push({ key, compression, name });
  }
  return out;
}

/**
 * barman-cloud-wal-restore's choice (cloud_walrestore.py download_wal): an exact uncompressed key is only a
 * candidate; the first other key (sorted) that is a WAL name after one suffix is stripped, and not a .backup
 * file, wins. So a lone `X.partial[.gz]` is served for X.
 */
export async function findForRestore(
  store: ObjectStore,
  serverName: string,
  name: string,
  options: { signal?: AbortSignal; noPartial?: boolean } = {},
): Promise<FoundWal | undefined> {
  const { keys } = await listNamed(store, serverName, name, options.signal);
  return chooseForRestore(keys, serverName, name, options);
}

/** findForRestore's choice among keys listed beforehand (any superset of the keys under `name`, sorted). */
function chooseForRestore(
  keys: readonly string[],
  serverName: string,
  name: string,
  options: { noPartial?: boolean | undefined } = {},
): FoundWal | undefined {
  const prefix = walKey(serverName, name, 'none');
  let found: FoundWal | undefined;
  for (const key of keys) {
    if (key === prefix) {
      found = { key, compression: 'none', name };
      continue;
    }
    if (!key.startsWith(prefix)) continue;
    const { base, compression } = stripCompressionSuffix(basename(key));
    const parsed = parseWalName(base);
    if (!parsed || parsed.kind === 'backup-label') continue;
    if (parsed.kind === 'partial' && options.noPartial) continue;
    return { key, compression, name: base };
  }
  return found;
}
