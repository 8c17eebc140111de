// The last verification of each backup, kept in the bucket next to the drill history as
// <server>/pgdr/verify/<backupId>.json (never under base/: barman's view of the bucket stays as it was), so
// `pgdr serve` and /metrics can show it. Read back from the bucket, a record may be hostile: its size is
// capped and its shape checked; a bad one is counted and skipped, never trusted.
import { BACKUP_ID_RE } from '../../catalog/backup-info.js';
import { mapLimit } from '../../common/map-limit.js';
import { isPgdrError } from '../../errors.js';
import { joinKey, type ObjectStore } from '../../storage/object-store.js';
import type { BackupVerifyReport } from './types.js';

const FORMAT = 'pgdr-backup-verify';
const MAX_RECORD_BYTES = 64 << 10;
const LISTED = 10;

export interface VerifyRecord {
  readonly format: typeof FORMAT;
  readonly version: 1;
  readonly backupId: string;
  readonly result: 'pass' | 'fail';
  readonly partial: boolean;
  readonly startedAt: string;
  readonly verifiedAt: string;
  readonly files: number;
  readonly bytes: number;
  readonly pagesChecked: number;
  readonly failureCount: number;
  /** The first failures, in words. */
  readonly failures: readonly string[];
  readonly notes: readonly string[];
}

function verifyPrefix(serverName: string): string {
  return `${joinKey(serverName, 'pgdr', 'verify')}/`;
}

function verifyRecordKey(serverName: string, backupId: string): string {
  return `${verifyPrefix(serverName)}${backupId}.json`;
}

export function recordOf(r: BackupVerifyReport): VerifyRecord {
  return {
    format: FORMAT,
    version: 1,
    backupId: r.backupId,
    result: r.result,
    partial: r.partial,
    startedAt: r.startedAt,
    verifiedAt: r.finishedAt,
    files: r.files,
    bytes: r.bytes,
    pagesChecked: r.pages.checked,
    failureCount: r.failureCount,
    failures: r.failures.slice(0, LISTED).map((f) => f.message.slice(0, 500)),
    notes: r.notes.slice(0, LISTED).map((n) => n.slice(0, 500)),
  };
}

/** Replaces the backup's record: only the last verification is kept. */
export async function writeVerifyRecord(
  store: ObjectStore,
  r: BackupVerifyReport,
  signal?: AbortSignal,
): Promise<string> {
  const key = verifyRecordKey(r.serverName, r.backupId);
  await store.put(key, Buffer.from(`${JSON.stringify(recordOf(r), null, 2)}\n`), { signal });
  return key;
}

export interface VerifyRecords {
  /** By backup ID. */
  readonly records: ReadonlyMap<string, VerifyRecord>;
  /** Objects under the verify prefix that are not a valid record. */
  readonly invalid: number;
}

export async function readVerifyRecords(
  store: ObjectStore,
  serverName: string,
  o: { readonly backupIds?: ReadonlySet<string>; readonly signal?: AbortSignal | undefined } = {},
): Promise<VerifyRecords> {
  const prefix = verifyPrefix(serverName);
  const { objects } = await store.list(prefix, { signal: o.signal });
  const records = new Map<string, VerifyRecord>();
  let invalid = 0;
  const wanted = objects.filter((obj) => {
    const id = obj.key.slice(prefix.length).replace(/\.json$/, '');
    return o.backupIds === undefined || o.backupIds.has(id);
  });
  await mapLimit(wanted, 8, async (obj) => {
    const id = obj.key.slice(prefix.length).replace(/\.json$/, '');
    if (obj.size > MAX_RECORD_BYTES || !obj.key.endsWith('.json') || !BACKUP_ID_RE.test(id)) {
      invalid++;
      return;
    }
    let body: Buffer;
    try {
      body = await store.getBuffer(obj.key, { signal: o.signal });
    } catch (e) {
      // Deleted since the listing: nothing to show, nothing wrong.
      if (isPgdrError(e, 'NOT_FOUND')) return;
      throw e;
    }
    const rec = parseVerifyRecord(body, id);
    if (rec) records.set(id, rec);
    else invalid++;
  });
  return { records, invalid };
}

/** The record in `body`, or null when it is not a valid record of backup `backupId`. */
export function parseVerifyRecord(body: Buffer, backupId: string): VerifyRecord | null {
  if (body.length > MAX_RECORD_BYTES) return null;
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  const count = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  const time = (x: unknown) => typeof x === 'string' && x.length <= 40 && Number.isFinite(Date.parse(x));
  const texts = (x: unknown) =>
    Array.isArray(x) && x.length <= LISTED && x.every((s) => typeof s === 'string' && s.length <= 500);
  const ok =
    r.format === FORMAT &&
    r.version === 1 &&
    r.backupId === backupId &&
    (r.result === 'pass' || r.result === 'fail') &&
    typeof r.partial === 'boolean' &&
    time(r.startedAt) &&
    time(r.verifiedAt) &&
    [r.files, r.bytes, r.pagesChecked, r.failureCount].every(count) &&
    texts(r.failures) &&
    texts(r.notes);
  if (!ok) return null;
  return {
    format: FORMAT,
    version: 1,
    backupId,
    result: r.result as 'pass' | 'fail',
    partial: r.partial as boolean,
    startedAt: r.startedAt as string,
    verifiedAt: r.verifiedAt as string,
    files: r.files as number,
    bytes: r.bytes as number,
    pagesChecked: r.pagesChecked as number,
    failureCount: r.failureCount as number,
    failures: r.failures as string[],
    notes: r.notes as string[],
  };
}
