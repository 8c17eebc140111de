// restore --delta: brings an existing data directory of the same system (checked by delta-target.ts) to the
// backup's files, writing only what differs, instead of extracting every tar into an empty folder. With pgdr's
// manifest, local files' sizes and CRC-32s are compared first and only the tars holding a differing file are
// downloaded (the files of a tar downloaded anyway are not read ahead: knownFiles); without one (a
// barman-cloud backup) every tar is streamed. Either way each member not known to match is compared with the
// local file as it is read (delta-extract.ts). Files the backup does not hold are then removed, except what
// no backup carries and a restore never writes (server logs; pg_wal, which is emptied up front so recovery
// reads only the archive, never WAL the old server wrote after the backup).
//
// The folder carries pgdr's restore marker from before the first change until restore.ts removes it once
// the tree is complete and synced: an interrupted delta restore is never taken for a complete one, and a
// rerun with --delta compares again and finishes the job (without --delta, the folder is wiped and restored).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { mapLimit } from '../../common/map-limit.js';
import { localFileError } from '../../errors.js';
import { readStoredTar } from '../../tar/stored-tar.js';
import { majorOf } from '../backup/trees.js';
import { applyBlockPatches, type BlockPatch } from './block-apply.js';
import { DeltaExtractor, type DeltaExtractStats } from './delta-extract.js';
import { dataRoot, fileCrc, type Inventory, inventory, removeExtras, tablespaceRoot } from './delta-tree.js';
import { byteCounter, type DownloadOptions, type DownloadResult, extractError } from './download.js';
import { ManifestCheck } from './manifest-check.js';
import type { RestorePlan } from './plan.js';
import { markerBody, writeMarker } from './restore-marker.js';
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

function walDirOf(plan: RestorePlan): string {
  const v = plan.backup.version;
  return join(plan.dir, v !== null && v < 100000 ? 'pg_xlog' : 'pg_wal');
}

/**
 * Before the first change: the marker, then pg_wal emptied (the old server's WAL must never be replayed) but
 * for the files the backup itself holds there under the same names (WAL summaries, archive_status, the WAL
 * service's small files): those are compared with the backup's and rewritten where they differ, like any other
 * file, so pg_wal ends holding exactly what a restore into an empty folder writes.
 */
export async function markDelta(plan: RestorePlan): Promise<RestartedFolder[]> {
  const f = plan.folders[0]!;
  const body = markerBody({ serverName: plan.serverName, backupId: plan.backup.backupId, dataDir: plan.dir });
  await writeMarker(plan.dir, body, f.unfinished !== null);
  const wal = walDirOf(plan);
  const held = new Set(
    plan.tars
      .filter((t) => t.oid === null)
      .flatMap((t) => [...(t.manifest?.files.keys() ?? [])].map((n) => join(t.dest, n)))
      .filter((p) => p.startsWith(`${wal}/`)),
  );
  const clean = async (dir: string): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && [...held].some((h) => h.startsWith(`${p}/`))) await clean(p);
      else if (!(e.isFile() && held.has(p))) await fsp.rm(p, { recursive: true, force: true });
    }
  };
  try {
    await fsp.mkdir(wal, { recursive: true, mode: 0o700 });
    await clean(wal);
  } catch (e) {
    throw localFileError(e, wal, 'empty');
  }
  return f.unfinished === null ? [] : [{ dir: plan.dir, previous: f.unfinished, removed: 0 }];
}

export async function deltaDownload(
  plan: RestorePlan,
  o: DownloadOptions,
): Promise<DownloadResult & { readonly delta: DeltaStats }> {
  const major = majorOf(plan.backup.version ?? 0);
  const roots = [dataRoot(plan.dir), ...plan.tablespaces.map((t) => tablespaceRoot(t.dest, major))];
  const local = await inventory(roots, walDirOf(plan));
  for (const t of plan.tablespaces) {
    await fsp.mkdir(t.dest, { recursive: true, mode: 0o700 }).catch((e) => {
      throw localFileError(e, t.dest, 'create');
    });
  }
  const manifest = plan.manifest.kind === 'present' ? plan.manifest : undefined;
  const { known, differing, keptBlocks, patchPaths } = await knownFiles(plan, local, manifest !== undefined);
  const fetch =
    manifest === undefined
      ? plan.tars
      : plan.tars.filter((t) =>
          [...(t.manifest?.files.keys() ?? [])].some((n) => !known.has(join(t.dest, n))),
        );
  for (const t of manifest === undefined ? [] : fetch) {
    const names = [...(t.manifest?.files.keys() ?? [])];
    const differ = names.filter((n) => differing.has(join(t.dest, n)));
    const unread = names.filter((n) => !differing.has(join(t.dest, n)) && !known.has(join(t.dest, n)));
    const some = `${differ.slice(0, 3).join(', ')}${differ.length > 3 ? ', ...' : ''}`;
    const more = unread.length > 0 ? `; ${unread.length} more compared as it streams` : '';
    o.progress?.emit({
      type: 'stage',
      message: `delta: ${t.key}: ${differ.length} file(s) differ (${some})${more}`,
      verbose: true,
    });
  }
  const count = byteCounter({ ...plan, tars: fetch }, o.progress);
  const done = await mapLimit([...fetch], o.concurrency ?? 4, async (tar) => {
    const check = tar.manifest === undefined ? undefined : new ManifestCheck(tar.manifest);
    const x = new DeltaExtractor(tar.dest, {
      known: (n) => {
        const m = tar.manifest?.files.get(n);
        if (m === undefined || !known.has(join(tar.dest, n))) return false;
        check?.onFile({ name: n, size: m.size, crc32: m.crc32 });
        return true;
      },
      onFile: check?.onFile,
      maxBytes: tar.maxBytes,
      ...(tar.only && tar.manifest ? { skip: (n: string) => !tar.manifest!.files.has(n) } : {}),
    });
    const body = await o.store.get(tar.key, { signal: o.signal });
    try {
      await readStoredTar(body, tar.compression, x, { counter: count(tar), signal: o.signal });
      check?.finish();
    } catch (e) {
      throw extractError(e, tar, o.signal);
    }
    return { tar, x, checked: check?.files ?? 0 };
  });
  const blocks = (plan.blocks ?? []).filter((b) => !keptBlocks.has(b));
  if (blocks.length > 0) await applyBlockPatches(blocks, o.concurrency ?? 4);
  const inBackup = new Set<string>();
  const dirs = new Set<string>(roots.map((r) => r.dir));
  for (const d of done) {
    for (const n of d.x.files) inBackup.add(join(d.tar.dest, n));
    for (const n of d.x.dirs) dirs.add(n === '' ? d.tar.dest : join(d.tar.dest, n));
  }
  let unfetchedFiles = 0;
  for (const t of plan.tars) {
    if (fetch.includes(t)) continue;
    for (const n of t.manifest?.files.keys() ?? []) {
      const path = join(t.dest, n);
      inBackup.add(path);
      if (!patchPaths.has(path)) unfetchedFiles++;
    }
  }
  // Block members are written over their file and removed: one still here is a leftover of an interrupted run.
  for (const p of patchPaths) inBackup.delete(p);
  const links = plan.tablespaces.map((t) => ({
    link: join(plan.dir, 'pg_tblspc', String(t.oid)),
    dest: t.dest,
  }));
  for (const l of links) inBackup.add(l.link);
  const removed = await removeExtras(local, inBackup, dirs, pruneRoots(plan, fetch));
  await linkTablespaces(links);
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
 * The files (absolute paths) whose local bytes already match the backup: size and CRC-32 as the manifest
 * records them. A block-level file of a chain (plan.blocks) is compared as a whole with the CRC-32 its backup
 * recorded of the file as read; when it matches, its base member and every block member count as known and
 * its blocks are not applied; without a recorded CRC-32 it is always fetched and combined again.
 *
 * A tar holding a file that cannot match (missing here, of another size) or that was written after the
 * backup ended is downloaded whatever its other files hold: those are left unknown, to be compared page by
 * page as the tar streams (delta-extract.ts), so each is read once instead of twice. The modification time
 * only decides what is read ahead, never what is kept: a tar it sends for needlessly is still compared page
 * by page and nothing written. The other tars' files are checked most recently modified first (the likeliest
 * to differ), and a tar's files no longer once one of them differs. `differing`: the files found not to
 * match, the others left unknown being unread.
 */
async function knownFiles(
  plan: RestorePlan,
  local: Inventory,
  hasManifest: boolean,
): Promise<{
  known: Set<string>;
  differing: Set<string>;
  keptBlocks: Set<BlockPatch>;
  patchPaths: Set<string>;
}> {
  const known = new Set<string>();
  const differing = new Set<string>();
  const keptBlocks = new Set<BlockPatch>();
  const blocks = plan.blocks ?? [];
  const blockPaths = new Set(blocks.map((b) => b.file));
  const patchPaths = new Set(blocks.flatMap((b) => b.patches.map((p) => p.path)));
  if (!hasManifest) return { known, differing, keptBlocks, patchPaths };
  const candidates = blocks.filter((b) => b.readCrc32 !== undefined && local.files.get(b.file) === b.size);
  await mapLimit(candidates, 4, async (b) => {
    if ((await fileCrc(b.file)) !== b.readCrc32) return;
    keptBlocks.add(b);
    known.add(b.file);
    for (const p of b.patches) known.add(p.path);
  });
  const age = (p: string) => local.modified.get(p) ?? 0;
  // A wrong end time (the bucket's word) only costs time: too early, tars are downloaded that a read ahead
  // would have left; too late or missing, files are read ahead as if no time were known.
  const since = plan.backup.endTime?.date.getTime() ?? Number.POSITIVE_INFINITY;
  type Tar = RestorePlan['tars'][number];
  const fetched = new Set<Tar>();
  const toCheck: { tar: Tar; path: string; crc32: string }[] = [];
  for (const t of plan.tars) {
    const files = [...(t.manifest?.files ?? [])].map(([n, f]) => ({ tar: t, path: join(t.dest, n), ...f }));
    const open = files.filter((f) => !known.has(f.path));
    const cannot = open.filter(
      (f) =>
        f.truncated || blockPaths.has(f.path) || patchPaths.has(f.path) || local.files.get(f.path) !== f.size,
    );
    for (const f of cannot) differing.add(f.path);
    if (cannot.length > 0 || open.some((f) => age(f.path) > since)) fetched.add(t);
    else toCheck.push(...open);
  }
  toCheck.sort((a, b) => age(b.path) - age(a.path));
  await mapLimit(toCheck, 4, async (f) => {
    if (fetched.has(f.tar)) return;
    if ((await fileCrc(f.path)) === f.crc32) known.add(f.path);
    else {
      differing.add(f.path);
      fetched.add(f.tar);
    }
  });
  return { known, differing, keptBlocks, patchPaths };
}

/**
 * The roots whose folder list the tars read were complete for: barman's tars are all read; pgdr puts every
 * folder entry of a group into its main tar (plan-parts.ts), so that one must be among them.
 */
function pruneRoots(plan: RestorePlan, fetched: readonly RestorePlan['tars'][number][]): string[] {
  const all = [plan.dir, ...plan.tablespaces.map((t) => t.dest)];
  if (plan.manifest.kind !== 'present') return all;
  const main = (name: string) => fetched.some((t) => new RegExp(`/${name}\\.tar[^/]*$`).test(t.key));
  return [
    ...(main('data') ? [plan.dir] : []),
    ...plan.tablespaces.filter((t) => main(String(t.oid))).map((t) => t.dest),
  ];
}

/** pg_tblspc/<oid> pointing at each tablespace's destination, as a restore into empty folders leaves it. */
async function linkTablespaces(links: ReadonlyArray<{ link: string; dest: string }>): Promise<void> {
  for (const l of links) {
    const now = await fsp.readlink(l.link).catch(() => undefined);
    if (now === l.dest) continue;
    try {
      await fsp.mkdir(join(l.link, '..'), { recursive: true, mode: 0o700 });
      await fsp.rm(l.link, { recursive: true, force: true });
      await fsp.symlink(l.dest, l.link);
    } catch (e) {
      throw localFileError(e, l.link, 'link');
    }
  }
}
