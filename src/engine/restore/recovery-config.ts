// The recovery configuration of a restored data folder: restore_command and the target settings appended to
// postgresql.auto.conf, recovery.signal, and a small pgdr configuration the restore_command reads. That file
// lives in the data folder because the server runs as the unprivileged server user, who cannot read ours; the
// credentials sit beside it (mode 0600, the server user's), never on a command line or in postgresql.conf.
// The folder is pg_wal/pgdr-restore: every base backup tool (barman, pgdr, pg_basebackup) skips pg_wal's
// contents, so a backup of the restored server never carries the credentials away. Once the server is
// promoted it never runs restore_command again: the credentials are removed (removeRestoreCredentials), so
// no copy of the data folder (cp, rsync, a volume snapshot) carries them either.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStoreConfig } from '../../config/types.js';
import { shCommand } from '../../shell-quote.js';
import { removeCredentialFiles, writeStoreDocument } from './store-document.js';
import { confLine, type RecoverySettingsInput, recoverySettings } from './target.js';

export interface RecoveryConfigOptions {
  readonly dir: string;
  /** restoreFilesDir(dir, version). */
  readonly ownDir: string;
  readonly serverName: string;
  readonly objectStore: ObjectStoreConfig;
  /** argv prefix that runs pgdr: a stable path, e.g. ['/usr/local/bin/pgdr'] (cli/pgdr-command.ts). */
  readonly pgdrCommand: readonly string[];
  readonly settings: Omit<RecoverySettingsInput, 'restoreCommand'>;
  /**
   * Segments each restore_command call fetches (wal.maxParallel of the written config). Default: the
   * configured value, at least 8: a restore replays WAL in order, so prefetching is nearly always a win.
   */
  readonly walPrefetch?: number | undefined;
  /** A line naming what was restored, for the comment above the settings. */
  readonly comment: string;
}

export interface RecoveryConfig {
  readonly configFile: string;
  readonly restoreCommand: string;
  readonly settings: ReadonlyArray<[string, string]>;
}

const DEFAULT_PREFETCH = 8;

/** wal.maxParallel of the configuration restore_command reads (see walPrefetch). */
export function restorePrefetch(o: Pick<RecoveryConfigOptions, 'walPrefetch' | 'objectStore'>): number {
  return o.walPrefetch ?? Math.max(o.objectStore.wal.maxParallel, DEFAULT_PREFETCH);
}

/**
 * What the written restore_command exits with for an archived object that exists but is damaged: above 125,
 * so PostgreSQL aborts recovery (FATAL) instead of taking it for the end of the archive and promoting
 * without the WAL after it (`pgdr wal restore --damaged-exit`).
 */
const DAMAGED_EXIT = 126;

/** Where restore keeps its files inside the data folder (pg_xlog before PostgreSQL 10). */
export function restoreFilesDir(dir: string, version: number | null): string {
  return join(dir, version !== null && version < 100000 ? 'pg_xlog' : 'pg_wal', 'pgdr-restore');
}

/**
 * Called once the server in `dir` is promoted (restore's own promotion, replica promote, a drill's): its
 * restore_command will not run again, and the credentials it read must not stay in the data folder.
 */
export async function removeRestoreCredentials(dir: string, version: number | null): Promise<string[]> {
  return removeCredentialFiles(restoreFilesDir(dir, version));
}

export async function writeRecoveryConfig(o: RecoveryConfigOptions): Promise<RecoveryConfig> {
  const own = o.ownDir;
  await fsp.mkdir(own, { recursive: true, mode: 0o700 });
  const store = await writeStoreDocument(own, o.objectStore, {
    maxParallel: restorePrefetch(o),
  });
  const configFile = join(own, 'pgdr.yaml');
  // JSON is YAML, and JSON.stringify quotes every path and value safely.
  const doc = { serverName: o.serverName, objectStore: store };
  await fsp.writeFile(configFile, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  // The WAL service of pg_wal prefetches what replay asks for next (maxParallel above); bin/pgdr takes a
  // prefetched segment without starting node.
  const restoreCommand = `${shCommand([
    ...o.pgdrCommand,
    'wal',
    'restore',
    '--config',
    configFile,
    '--damaged-exit',
    String(DAMAGED_EXIT),
  ])} %f %p`;
  const settings = recoverySettings({ ...o.settings, restoreCommand });
  const block = ['', `# ${o.comment}`, ...settings.map(([k, v]) => confLine(k, v)), ''].join('\n');
  await fsp.appendFile(join(o.dir, 'postgresql.auto.conf'), block, { mode: 0o600 });
  await fsp.writeFile(join(o.dir, 'recovery.signal'), '', { mode: 0o600 });
  return { configFile, restoreCommand, settings };
}
