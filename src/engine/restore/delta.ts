// restore --delta: brings an existing data directory of the same system (checked by delta-target.ts) to the
// backup's files, writing only what differs, instead of extracting every tar into an empty folder. With pgdr's
// manifest, each local file's size and CRC-32 are compared first and only the tars holding a differing file
// are downloaded; without one (a barman-cloud backup) every tar is streamed and each member compared with the
// local file as it is read (delta-extract.ts). Files the backup does not hold are then removed, except what
// no backup carries and a restore never writes (server logs; pg_wal, which is emptied up front so recovery
// reads only the archive, never WAL the old server wrote after the backup).
//
// The folder carries pgdr's restore marker from before the first change until restore.ts removes it once
// the tree is complete and synced: an interrupted delta restore is never taken for a complete one, and a
// rerun with --delta compares again and finishes the job (without --delta, the folder is wiped and restored).
import { constants, promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { mapLimit } from '../../common/map-limit.js';
import { decompressStream } from '../../compression/codecs.js';
import { localFileError } from '../../errors.js';
import { applyBlockPatches, type BlockPatch } from './block-apply.js';
import { DeltaExtractor, type DeltaExtractStats } from './delta-extract.js';
import { byteCounter, type DownloadOptions, type DownloadResult, extractError } from './download.js';
import { ManifestCheck } from './manifest-check.js';
import type { RestorePlan } from './plan.js';
import { MARKER_NAME, markerBody, writeMarker } from './restore-marker.js';
import type { RestartedFolder } from './target-folders.js';

export interface DeltaStats {
  readonly keptFiles: number;
  readonly fetchedFiles: number;
  readonly removedFiles: number;
  readonly bytesWritten: number;
  /** Tars downloaded, and those left in the store because every file in them already matched. */
  readonly fetchedTars: number;
  readonly skippedTars: number;
  /** Block-level files of a chain kept as they were (their whole-file CRC-32 matched). */
  readonly keptBlockFiles: number;
}

/** Top-level entries no backup holds and a delta restore leaves alone (pg_wal is emptied by markDelta). */
const KEPT_TOP = new Set([MARKER_NAME, 'log', 'pg_log', 'pg_wal', 'pg_xlog']);

function walDirOf(plan: RestorePlan): string {
  const v = plan.backup.version;
  return join(plan.dir, v !== null && v < 100000 ? 'pg_xlog' : 'pg_wal');
}

/** pg_wal/summaries (PostgreSQL 17+ WAL summaries), which backups hold: compared like any file, never emptied. */
const SUMMARIES = 'pg_wal/summaries';

/**
 * Before the first change: the marker, then pg_wal emptied (the old server's WAL must never be replayed), but
 * for the WAL summaries the backup holds under the same names: those are compared with the backup's and
 * rewritten where they differ, like any other file; summaries the backup lacks go.
 */
export async function markDelta(plan: RestorePlan): Promise<RestartedFolder[]> {
  const f = plan.folders[0]!;
  const body = markerBody({ serverName: plan.serverName, backupId: plan.backup.backupId, dataDir: plan.dir });
  await writeMarker(plan.dir, body, f.unfinished !== null);
  const wal = walDirOf(plan);
  const held = new Set(
    plan.tars
      .filter((t) => t.oid === null)
      .flatMap((t) => [...(t.manifest?.files.keys() ?? [])])
      .filter((n) => n.startsWith(`${SUMMARIES}/`))
      .map((n) => n.slice(SUMMARIES.length + 1)),
  );
  try {
    await fsp.mkdir(wal, { recursive: true, mode: 0o700 });
    for (const n of await fsp.readdir(wal)) {
      if (n === 'summaries' && held.size > 0) continue;
      await fsp.rm(join(wal, n), { recursive: true, force: true });
    }
    if (held.size > 0) {
      const dir = join(plan.dir, SUMMARIES);
      for (const n of await fsp.readdir(dir))
        if (!held.has(n)) await fsp.rm(join(dir, n), { recursive: true });
    }
  } catch (e) {
    throw localFileError(e, wal, 'empty');
  }
  return f.unfinished === null ? [] : [{ dir: plan.dir, previous: f.unfinished, removed: 0 }];
}

export async function deltaDownload(
  plan: RestorePlan,
  o: DownloadOptions,
): Promise<DownloadResult & { readonly delta: DeltaStats }> {
  const local = await inventory(plan.dir);
  const manifest = plan.manifest.kind === 'present' ? plan.manifest : undefined;
  const { known, keptBlocks, patchNames } = await knownFiles(plan, local, manifest !== undefined);
  const fetch =
    manifest === undefined
      ? plan.tars
      : plan.tars.filter((t) => [...(t.manifest?.files.keys() ?? [])].some((n) => !known.has(n)));
  for (const t of manifest === undefined ? [] : fetch) {
    const differ = [...(t.manifest?.files.keys() ?? [])].filter((n) => !known.has(n));
    const some = `${differ.slice(0, 3).join(', ')}${differ.length > 3 ? ', ...' : ''}`;
    o.progress?.emit({
      type: 'stage',
      message: `delta: ${t.key}: ${differ.length} file(s) differ (${some})`,
      verbose: true,
    });
  }
  const count = byteCounter({ ...plan, tars: fetch }, o.progress);
  const done = await mapLimit([...fetch], o.concurrency ?? 4, async (tar) => {
    const check = tar.manifest === undefined ? undefined : new ManifestCheck(tar.manifest);
    const x = new DeltaExtractor(tar.dest, {
      known: (n) => {
        const m = tar.manifest?.files.get(n);
        if (m === undefined || !known.has(n)) return false;
        check?.onFile({ name: n, size: m.size, crc32: m.crc32 });
        return true;
      },
      onFile: check?.onFile,
      maxBytes: tar.maxBytes,
      ...(tar.only && tar.manifest ? { skip: (n: string) => !tar.manifest!.files.has(n) } : {}),
    });
    const body = await o.store.get(tar.key, { signal: o.signal });
    try {
      const stages = tar.compression === 'none' ? [x] : [decompressStream(tar.compression), x];
      await pipeline(body, count(tar), ...stages, { signal: o.signal });
      check?.finish();
    } catch (e) {
      throw extractError(e, tar, o.signal);
    }
    return { tar, x, checked: check?.files ?? 0 };
  });
  const blocks = (plan.blocks ?? []).filter((b) => !keptBlocks.has(b));
  if (blocks.length > 0) await applyBlockPatches(blocks, o.concurrency ?? 4);
  const inBackup = new Set<string>();
  const dirs = new Set<string>(['']);
  for (const d of done) {
    for (const n of d.x.files) inBackup.add(n);
    for (const n of d.x.dirs) dirs.add(n);
  }
  let unfetchedFiles = 0;
  for (const t of plan.tars) {
    if (fetch.includes(t)) continue;
    for (const n of t.manifest?.files.keys() ?? []) {
      inBackup.add(n);
      if (!patchNames.has(n)) unfetchedFiles++;
    }
  }
  // Block members are written over their file and removed: one still here is a leftover of an interrupted run.
  for (const n of patchNames) inBackup.delete(n);
  const removed = await removeExtras(plan.dir, local, inBackup, dirs, dirsKnown(plan, fetch));
  const sum = (k: keyof DeltaExtractStats) => done.reduce((n, d) => n + d.x.delta[k], 0);
  const delta: DeltaStats = {
    keptFiles: sum('kept') + unfetchedFiles,
    fetchedFiles: sum('fetched'),
    removedFiles: removed,
    bytesWritten: sum('bytesWritten'),
    fetchedTars: fetch.length,
    skippedTars: plan.tars.length - fetch.length,
    keptBlockFiles: keptBlocks.size,
  };
  o.progress?.emit({
    type: 'stage',
    message: `delta: ${delta.keptFiles} file(s) kept, ${delta.fetchedFiles} written (${delta.bytesWritten} bytes), ${delta.removedFiles} removed; ${delta.fetchedTars} of ${plan.tars.length} tar(s) downloaded`,
  });
  return {
    tars: fetch.length,
    downloadedBytes: fetch.reduce((n, t) => n + t.size, 0),
    extractedBytes: delta.bytesWritten,
    files: sum('files') + unfetchedFiles,
    manifestFiles: done.reduce((n, d) => n + d.checked, 0) + unfetchedFiles,
    delta,
  };
}

/**
 * The files (relative names) whose local bytes already match the backup: size and CRC-32 as the manifest
 * records them. A block-level file of a chain (plan.blocks) is compared as a whole with the CRC-32 its backup
 * recorded of the file as read; when it matches, its base member and every block member count as known and
 * its blocks are not applied; without a recorded CRC-32 it is always fetched and combined again.
 */
async function knownFiles(
  plan: RestorePlan,
  local: Inventory,
  hasManifest: boolean,
): Promise<{ known: Set<string>; keptBlocks: Set<BlockPatch>; patchNames: Set<string> }> {
  const known = new Set<string>();
  const keptBlocks = new Set<BlockPatch>();
  const rel = (path: string) => relative(plan.dir, path);
  const blocks = plan.blocks ?? [];
  const blockNames = new Set(blocks.map((b) => rel(b.file)));
  const patchNames = new Set(blocks.flatMap((b) => b.patches.map((p) => rel(p.path))));
  if (!hasManifest) return { known, keptBlocks, patchNames };
  const same = plan.tars.flatMap((t) =>
    [...(t.manifest?.files ?? [])].filter(
      ([n, f]) => !f.truncated && !blockNames.has(n) && !patchNames.has(n) && local.files.get(n) === f.size,
    ),
  );
  await mapLimit(same, 4, async ([n, f]) => {
    if ((await fileCrc(join(plan.dir, n))) === f.crc32) known.add(n);
  });
  const candidates = blocks.filter(
    (b) => b.readCrc32 !== undefined && local.files.get(rel(b.file)) === b.size,
  );
  await mapLimit(candidates, 4, async (b) => {
    if ((await fileCrc(b.file)) !== b.readCrc32) return;
    keptBlocks.add(b);
    known.add(rel(b.file));
    for (const p of b.patches) known.add(rel(p.path));
  });
  return { known, keptBlocks, patchNames };
}

/**
 * Whether the tars read named every folder of the backup: barman's are all read; pgdr puts every folder
 * entry into the main data tar (plan-parts.ts), so it must be among them.
 */
function dirsKnown(plan: RestorePlan, fetched: readonly RestorePlan['tars'][number][]): boolean {
  if (plan.manifest.kind !== 'present') return true;
  return fetched.some((t) => t.oid === null && /\/data\.tar[^/]*$/.test(t.key));
}

interface Inventory {
  /** Regular files: relative name -> size. */
  readonly files: Map<string, number>;
  /** Anything else that is not a folder (links, sockets...). */
  readonly others: string[];
  readonly dirs: string[];
}

/** The local tree, never following a link, without the top-level entries a delta restore leaves alone. */
async function inventory(dir: string): Promise<Inventory> {
  const inv: Inventory = { files: new Map(), others: [], dirs: [] };
  const walk = async (rel: string): Promise<void> => {
    const path = rel === '' ? dir : join(dir, rel);
    const entries = await fsp.readdir(path, { withFileTypes: true }).catch((e) => {
      throw localFileError(e, path, 'read');
    });
    for (const e of entries) {
      if (rel === '' && KEPT_TOP.has(e.name)) continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        inv.dirs.push(r);
        await walk(r);
      } else if (e.isFile()) {
        const st = await fsp.lstat(join(dir, r)).catch((err) => {
          throw localFileError(err, join(dir, r), 'read');
        });
        inv.files.set(r, st.size);
      } else inv.others.push(r);
    }
  };
  await walk('');
  // The WAL summaries markDelta kept: files of the backup to compare (the rest of pg_wal is left alone).
  const summaries = await fsp.readdir(join(dir, SUMMARIES), { withFileTypes: true }).catch(() => []);
  for (const e of summaries) {
    if (!e.isFile()) continue;
    const st = await fsp.lstat(join(dir, SUMMARIES, e.name)).catch(() => undefined);
    if (st?.isFile()) inv.files.set(`${SUMMARIES}/${e.name}`, st.size);
  }
  return inv;
}

async function removeExtras(
  dir: string,
  local: Inventory,
  inBackup: ReadonlySet<string>,
  dirs: ReadonlySet<string>,
  pruneDirs: boolean,
): Promise<number> {
  let removed = 0;
  for (const n of [...local.files.keys(), ...local.others]) {
    if (inBackup.has(n) || dirs.has(n)) continue;
    const path = join(dir, n);
    await fsp.rm(path, { force: true }).catch((e) => {
      throw localFileError(e, path, 'remove');
    });
    removed++;
  }
  if (!pruneDirs) return removed;
  for (const d of [...local.dirs].sort((a, b) => b.length - a.length)) {
    if (dirs.has(d)) continue;
    const path = join(dir, d);
    // Never recursive: a folder still holding anything after the extras went is left as it is.
    await fsp.rmdir(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST' && e.code !== 'ENOENT')
        throw localFileError(e, path, 'remove');
    });
  }
  return removed;
}

async function fileCrc(path: string): Promise<string | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let crc = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      crc = crc32(buf.subarray(0, bytesRead), crc);
    }
    return (crc >>> 0).toString(16).padStart(8, '0');
  } catch (e) {
    throw localFileError(e, path, 'read');
  } finally {
    await fh.close();
  }
}
