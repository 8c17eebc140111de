// The backups of one server, read the way barman-cloud does: every folder under <server>/base/ is a backup,
// one without backup.info is skipped, one whose backup.info cannot be read is reported, never fatal to the
// listing. A command never says "no backups" while backup.info objects exist: when none of them can be read it
// fails with CATALOG_INVALID naming them (unreadableBackupsError).

import { mapLimit } from '../common/map-limit.js';
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { BACKUP_ID_RE, type BackupInfo, type KeepTarget, parseBackupInfo } from './backup-info.js';
import { readBounded } from './bounded-read.js';

export interface BackupCatalog {
  readonly serverName: string;
  /** Sorted by id (which barman treats as chronological order). */
  readonly backups: readonly BackupInfo[];
  /** Ids whose backup.info exists but could not be read (barman-cloud-backup-delete refuses to run then). */
  readonly unreadable: readonly string[];
  /** Why each unreadable one failed. */
  readonly errors: ReadonlyMap<string, string>;
  /** Folders under base/ without a backup.info (an upload in progress, or debris): invisible to barman. */
  readonly skipped: readonly string[];
}

export interface ListBackupsOptions {
  readonly signal?: AbortSignal;
  /** Parallel reads of backup.info (default 8). */
  readonly concurrency?: number;
  /** The folder under the server holding one folder per backup (default 'base'; pgdr's incrementals: 'pgdr/incremental'). */
  readonly folder?: string;
}

// Failures of the store itself say nothing about one backup: they must stop the listing, not hide a backup.
// A backup.info is a few kilobytes: a larger object is not one, and is never read whole into memory.
const MAX_BACKUP_INFO_BYTES = 1024 * 1024;
const BOUND = { maxBytes: MAX_BACKUP_INFO_BYTES, what: 'backup.info' };
const STORE_WIDE = ['STORE_UNREACHABLE', 'STORE_AUTH', 'BUCKET_MISSING', 'ABORTED'] as const;

export async function listBackups(
  store: ObjectStore,
  serverName: string,
  options: ListBackupsOptions = {},
): Promise<BackupCatalog> {
  const { signal } = options;
  const base = `${serverName}/${options.folder ?? 'base'}/`;
  const listed = await store.list(base, { delimiter: '/', signal });
  const ids = listed.prefixes.map((p) => p.slice(base.length, -1));
  const results = await mapLimit(ids, options.concurrency ?? 8, async (id) => {
    if (signal?.aborted)
      throw new PgdrError('ABORTED', 'listing backups was interrupted', { cause: signal.reason });
    let body: Buffer;
    try {
      body = await readBounded(store, `${base}${id}/backup.info`, { ...BOUND, signal });
    } catch (e) {
      if (isPgdrError(e, 'NOT_FOUND')) return { id, kind: 'skipped' as const };
      if (isStoreWide(e)) throw e;
      return { id, kind: 'unreadable' as const, reason: message(e) };
    }
    try {
      const info = parseBackupInfo(body, id);
      const annotation = await readAnnotation(store, `${base}${id}/annotations/keep`, signal);
      return { id, kind: 'ok' as const, info: withKeep(info, annotation) };
    } catch (e) {
      if (isStoreWide(e)) throw e;
      return { id, kind: 'unreadable' as const, reason: message(e) };
    }
  });
  const backups: BackupInfo[] = [];
  const unreadable: string[] = [];
  const errors = new Map<string, string>();
  const skipped: string[] = [];
  for (const r of results) {
    if (r.kind === 'ok') backups.push(r.info);
    else if (r.kind === 'skipped') skipped.push(r.id);
    else {
      unreadable.push(r.id);
      errors.set(r.id, r.reason);
    }
  }
  backups.sort((a, b) => cmp(a.backupId, b.backupId));
  return { serverName, backups, unreadable: unreadable.sort(cmp), errors, skipped: skipped.sort(cmp) };
}

function withKeep(info: BackupInfo, annotation: string | null): BackupInfo {
  const body = annotation?.trim().toLowerCase();
  const keep: KeepTarget | null = body === 'full' || body === 'standalone' ? body : null;
  const odd = annotation !== null && keep === null;
  const note = `annotations/keep holds '${annotation}', not full/standalone: barman still never deletes the backup`;
  return { ...info, keep, keepAnnotation: annotation, notes: odd ? [...info.notes, note] : info.notes };
}

async function readAnnotation(
  store: ObjectStore,
  key: string,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  try {
    return (await readBounded(store, key, { ...BOUND, what: 'keep annotation', signal })).toString('utf8');
  } catch (e) {
    if (isPgdrError(e, 'NOT_FOUND')) return null;
    throw e;
  }
}

function isStoreWide(e: unknown): boolean {
  return STORE_WIDE.some((code) => isPgdrError(e, code));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** barman's default status filter for latest/oldest (STATUS_COPY_DONE). */
const COPY_DONE = ['DONE', 'WAITING_FOR_WALS'];

/**
 * Resolves what a user typed: a backup ID, `latest`/`last`, `oldest`/`first` (newest/oldest DONE backup),
 * `last-failed`, or a backup name (of any status, as barman-cloud does; a name on several backups is an error).
 */
export function resolveBackup(catalog: BackupCatalog, ref: string): BackupInfo {
  const all = catalog.backups;
  const ready = all.filter((b) => COPY_DONE.includes(b.status));
  let found: BackupInfo | undefined;
  let what: string;
  if (ref === 'latest' || ref === 'last') {
    found = ready[ready.length - 1];
    what = 'no completed (DONE) backup';
  } else if (ref === 'oldest' || ref === 'first') {
    found = ready[0];
    what = 'no completed (DONE) backup';
  } else if (ref === 'last-failed') {
    found = all.filter((b) => b.status === 'FAILED').pop();
    what = 'no FAILED backup';
  } else if (BACKUP_ID_RE.test(ref)) {
    found = all.find((b) => b.backupId === ref);
    if (!found && catalog.unreadable.includes(ref)) {
      const key = backupInfoKey(catalog.serverName, ref);
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${ref}: ${key} cannot be read: ${catalog.errors.get(ref)}`,
        {
          hint: 'repair or remove that object (barman-cloud-backup-delete refuses to run while it is unreadable), or choose another backup',
          details: { unreadable: [key] },
        },
      );
    }
    what = `no backup ${ref}`;
  } else {
    const named = all.filter((b) => b.backupName === ref);
    if (named.length > 1) throw severalNamed(ref, named);
    found = named[0];
    what = `no backup with ID or name '${ref}'`;
  }
  if (found) return found;
  if (all.length === 0 && catalog.unreadable.length > 0) throw unreadableBackupsError(catalog);
  throw new PgdrError('NOT_FOUND', `${what} for server '${catalog.serverName}'`, {
    hint: availableHint(catalog),
  });
}

/** The special references that name full backups only, as barman's do. */
const FULL_ONLY = new Set(['latest', 'last', 'oldest', 'first', 'last-failed']);

/**
 * A backup by ID or name among the full backups, else among pgdr's incrementals (`incrementals`, listed from
 * pgdr/incremental). latest, oldest and last-failed name full backups, as barman's do.
 */
export function resolveBackupOrIncremental(
  fulls: BackupCatalog,
  incrementals: BackupCatalog,
  ref: string,
): { readonly backup: BackupInfo; readonly incremental: boolean } {
  const byId = BACKUP_ID_RE.test(ref);
  const found = FULL_ONLY.has(ref)
    ? []
    : incrementals.backups.filter((b) => (byId ? b.backupId === ref : b.backupName === ref));
  // A name given to a full backup and to an incremental is as ambiguous as one given to two fulls.
  if (!byId && found.length > 0) {
    const named = fulls.backups.filter((b) => b.backupName === ref);
    if (named.length + found.length > 1) throw severalNamed(ref, [...named, ...found]);
  }
  try {
    return { backup: resolveBackup(fulls, ref), incremental: false };
  } catch (e) {
    if (!isPgdrError(e, 'NOT_FOUND') || found.length !== 1) throw e;
    return { backup: found[0]!, incremental: true };
  }
}

function severalNamed(ref: string, named: readonly BackupInfo[]): PgdrError {
  return new PgdrError(
    'USAGE',
    `several backups are named '${ref}': ${named.map((b) => b.backupId).join(' ')}`,
    {
      hint: 'use the backup ID instead',
    },
  );
}

export function backupInfoKey(serverName: string, backupId: string): string {
  return `${serverName}/base/${backupId}/backup.info`;
}

/**
 * What to say instead of "no backups" when backup.info objects exist but none usable can be read:
 * CATALOG_INVALID naming each unreadable object and why.
 */
export function unreadableBackupsError(catalog: BackupCatalog): PgdrError {
  const keys = catalog.unreadable.map((id) => backupInfoKey(catalog.serverName, id));
  const each = catalog.unreadable.map((id, i) => `${keys[i]} (${catalog.errors.get(id)})`);
  const usable = catalog.backups.length === 0 ? 'no backup.info can be read' : 'no usable backup';
  return new PgdrError(
    'CATALOG_INVALID',
    `${usable} for server '${catalog.serverName}': ${each.length} backup.info object(s) cannot be read: ${each.join('; ')}`,
    {
      hint: 'repair or remove those objects (barman-cloud-backup-delete refuses to run while one is unreadable); a backup whose backup.info is damaged cannot be restored by pgdr or barman',
      details: { unreadable: keys },
    },
  );
}

function availableHint(catalog: BackupCatalog): string {
  if (catalog.backups.length === 0) return `there are no backups under ${catalog.serverName}/base/`;
  const shown = catalog.backups.slice(-20).map((b) => {
    const name = b.backupName ? ` (${b.backupName})` : '';
    return `${b.backupId}${name}${b.status === 'DONE' ? '' : ` ${b.status}`}`;
  });
  const more =
    catalog.backups.length > shown.length ? `${catalog.backups.length - shown.length} older, and ` : '';
  return `available: ${more}${shown.join(', ')}; or latest, oldest, last-failed`;
}

/** The server folders under the destination: top-level folders holding base/ or wals/. */
export async function listServerNames(
  store: ObjectStore,
  options: { signal?: AbortSignal } = {},
): Promise<string[]> {
  const top = await store.list('', { delimiter: '/', signal: options.signal });
  const names = await mapLimit(top.prefixes, 8, async (prefix) => {
    const below = await store.list(prefix, { delimiter: '/', signal: options.signal });
    const isServer = below.prefixes.includes(`${prefix}base/`) || below.prefixes.includes(`${prefix}wals/`);
    return isServer ? prefix.slice(0, -1) : undefined;
  });
  return names.filter((n): n is string => n !== undefined).sort(cmp);
}
