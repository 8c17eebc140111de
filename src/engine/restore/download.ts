// Downloads every tar of the plan in parallel and extracts it while it streams in (get -> decompress ->
// TarExtractor): nothing is buffered beyond the streams' high-water marks. Each extracted file is checked
// against the backup's pgdr manifest as it lands, and no tar may write more than the plan allows (the
// manifest's bytes, else a bound from cluster_size). Then what barman-cloud-restore does after extracting:
// pg_tblspc/<oid> symlinks to the tablespace folders, and pg_wal when the tar lacked it.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { mapLimit } from '../../common/map-limit.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import type { ProgressSink } from '../../progress/events.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { readStoredTar } from '../../tar/stored-tar.js';
import { applyBlockPatches } from './block-apply.js';
import type { DeltaStats } from './delta.js';
import { ManifestCheck } from './manifest-check.js';
import type { PlannedTar, RestorePlan } from './plan.js';
import { type ExtractStats, TarExtractor } from './tar-extract.js';
import { WriteBack } from './write-back.js';

export interface DownloadResult {
  readonly tars: number;
  /** Bytes read from the store (compressed). */
  readonly downloadedBytes: number;
  /** Bytes of file data written. */
  readonly extractedBytes: number;
  readonly files: number;
  /** Files checked against the backup's pgdr manifest (0 when it has none). */
  readonly manifestFiles: number;
  /** What a delta restore (delta.ts) kept, wrote and removed. */
  readonly delta?: DeltaStats;
}

export interface DownloadOptions {
  readonly store: ObjectStore;
  readonly concurrency?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly progress?: ProgressSink | undefined;
}

export async function downloadAndExtract(plan: RestorePlan, o: DownloadOptions): Promise<DownloadResult> {
  await fsp.mkdir(plan.dir, { recursive: true, mode: 0o700 });
  for (const t of plan.tars) await fsp.mkdir(t.dest, { recursive: true, mode: 0o700 });
  const count = byteCounter(plan, o.progress);
  const checked: number[] = [];
  const writeBack = new WriteBack();
  const extracting = mapLimit([...plan.tars], o.concurrency ?? 4, async (tar): Promise<ExtractStats> => {
    const check = tar.manifest === undefined ? undefined : new ManifestCheck(tar.manifest);
    const only = tar.only ? tar.manifest?.files : undefined;
    const extractor = new TarExtractor(tar.dest, {
      onFile: check?.onFile,
      maxBytes: tar.maxBytes,
      writeBack,
      ...(only ? { skip: (name: string) => !only.has(name) } : {}),
    });
    const body = await o.store.get(tar.key, { signal: o.signal });
    try {
      await readStoredTar(body, tar.compression, extractor, { counter: count(tar), signal: o.signal });
      check?.finish();
    } catch (e) {
      throw extractError(e, tar, o.signal);
    }
    checked.push(check?.files ?? 0);
    const { files, bytes } = extractor.extracted;
    o.progress?.emit({
      type: 'stage',
      message: `extracted ${tar.key}: ${files} files, ${bytes} bytes`,
      verbose: true,
    });
    return extractor.extracted;
  });
  // Every queued flush ends (and closes its file) before the restore goes on, or fails, from here.
  const stats = await extracting.finally(() => writeBack.finish().catch(() => undefined));
  await writeBack.finish();
  if (plan.blocks !== undefined) await applyBlockPatches(plan.blocks, o.concurrency ?? 4);
  for (const t of plan.tars) {
    if (t.oid === null) continue;
    const link = join(plan.dir, 'pg_tblspc', String(t.oid));
    await fsp.mkdir(join(plan.dir, 'pg_tblspc'), { recursive: true, mode: 0o700 });
    await fsp.rm(link, { force: true });
    await fsp.symlink(t.dest, link);
  }
  const walDir = join(
    plan.dir,
    plan.backup.version !== null && plan.backup.version < 100000 ? 'pg_xlog' : 'pg_wal',
  );
  await fsp.mkdir(walDir, { recursive: true, mode: 0o700 });
  return {
    tars: plan.tars.length,
    downloadedBytes: plan.tarBytes,
    extractedBytes: stats.reduce((n, s) => n + s.bytes, 0),
    files: stats.reduce((n, s) => n + s.files, 0),
    manifestFiles: checked.reduce((n, c) => n + c, 0),
  };
}

/**
 * Counts the stored bytes of each task as they stream in: the backup's PGDATA tars are one task, each
 * tablespace's another, the totals from the objects' sizes in the listing.
 */
export function byteCounter(
  plan: RestorePlan,
  progress: ProgressSink | undefined,
): (tar: PlannedTar) => Transform {
  const tasks = new Map<string, { done: number; total: number }>();
  const taskOf = (t: PlannedTar) =>
    t.oid === null
      ? `download backup ${plan.backup.backupId}`
      : `download backup ${plan.backup.backupId} tablespace ${t.tablespace ?? t.oid}`;
  for (const t of plan.tars) {
    const task = tasks.get(taskOf(t)) ?? { done: 0, total: 0 };
    task.total += t.size;
    tasks.set(taskOf(t), task);
  }
  const emit = (name: string, t: { done: number; total: number }) =>
    progress?.emit({ type: 'bytes', task: name, done: t.done, total: t.total });
  for (const [name, t] of tasks) emit(name, t);
  return (tar) => {
    const name = taskOf(tar);
    const task = tasks.get(name)!;
    return new Transform({
      transform(chunk: Buffer, _enc, cb) {
        task.done += chunk.length;
        emit(name, task);
        cb(null, chunk);
      },
    });
  };
}

export function extractError(e: unknown, tar: PlannedTar, signal: AbortSignal | undefined): PgdrError {
  if (signal?.aborted) return new PgdrError('ABORTED', 'the restore was interrupted', { cause: e });
  // The reader and the manifest check do not know which object they read: name it, as every bucket error must.
  if (isPgdrError(e, 'CATALOG_INVALID')) {
    return new PgdrError('CATALOG_INVALID', `${tar.key}: ${e.message}`, {
      cause: e,
      hint: e.hint,
      details: { ...e.details, key: tar.key },
    });
  }
  if (isPgdrError(e)) return e;
  return new PgdrError('CATALOG_INVALID', `cannot extract ${tar.key}: ${(e as Error).message}`, {
    cause: e,
    hint: `the ${tar.compression} tar is damaged or not a tar; pick another backup with --backup-id`,
  });
}
