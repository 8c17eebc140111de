// The WAL service: one resident process per WAL folder, started on demand by `wal archive`/`wal restore`
// (client.ts) and gone after idleMs without work. It archives `.ready` files (and want/ requests) with up to
// maxParallel uploads, leaving done/X only once X is stored, and prefetches the segments after the last one
// restore_command asked for into ready/. Protocol: spool.ts. Nothing here decides an exit code: a caller that
// finds no answer from the service does the work itself.

import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  historyFileName,
  isWalName,
  nextSegment,
  parseWalName,
  segmentFromNumber,
  segmentNumber,
} from '../../catalog/wal-name.js';
import { limiter } from '../../common/map-limit.js';
import { pathExists } from '../../common/path-exists.js';
import { type ArchiveFileOptions, archiveFile } from '../wal-archive.js';
import { findForRestore } from '../wal-object.js';
import { type RestoreWalOptions, restoreWal } from '../wal-restore.js';
import { HEARTBEAT_MS, heartbeat, releaseLock, takeLock } from './lock.js';
import { dropSeed, takeSeed } from './seed-adopt.js';
import {
  ABSENT_CHECK_MS,
  epochOf,
  formatRequest,
  prefetchWindow,
  type SpoolRequest,
  spoolPaths,
} from './spool.js';

/** What it archives and restores with (archiveFile, restoreWal), and its own settings. */
export interface WalServiceOptions
  extends Omit<ArchiveFileOptions, 'compressSlot'>,
    Pick<RestoreWalOptions, 'noPartial' | 'segmentSize'> {
  readonly spool: string;
  /** The WAL folder (pg_wal) whose archive_status/*.ready the service archives. */
  readonly walDir: string;
  /** The work of the call that started it: a restore's service never archives with the restore's settings. */
  readonly mode: 'archive' | 'restore';
  /** The data directory (the callers' working folder): its postmaster.pid is the epoch. */
  readonly cwd: string;
  readonly request: SpoolRequest;
  /** Uploads, and segments prefetched ahead, at a time (wal.maxParallel). */
  readonly maxParallel: number;
  readonly idleMs: number;
  /** The segment restore_command asked for last, when it started the service: prefetch what follows. */
  readonly restoreAfter?: string | undefined;
  /** The file the call that started the service is archiving itself: not uploaded a second time beside it. */
  readonly archiving?: string | undefined;
  readonly signal: AbortSignal;
}

const TICK_MS = 20;
/** A .ready file the service failed to store is tried again after this long (PostgreSQL retries it too). */
const RETRY_MS = 5000;

/** Runs until idle, aborted or voided; false when another healthy service holds the spool. */
export async function runWalService(o: WalServiceOptions): Promise<boolean> {
  const p = spoolPaths(o.spool);
  // Started by a call of a server that has stopped since (the archiver's last round at shutdown): nobody will
  // ask, and the data directory may be on its way out (a rebuild, a test's clean-up), so nothing is created.
  if ((await epochOf(o.cwd)) !== o.request.epoch) return true;
  await mkdir(o.spool, { recursive: true, mode: 0o700 });
  if (!(await takeLock(p.lock))) return false;
  try {
    await removeOldProtocol(o.walDir);
    const seeded = await adopt(o);
    await new Service(o, seeded).run();
  } finally {
    await releaseLock(p.lock);
  }
  return true;
}

/**
 * What pgdr versions before the WAL service left in pg_wal: a prefetch spool and archive markers (hard links
 * to WAL files, holding their space). Nothing reads them any more.
 */
async function removeOldProtocol(walDir: string): Promise<void> {
  for (const old of [join(walDir, '.pgdr-prefetch'), join(walDir, 'archive_status', '.pgdr-archived')])
    await rm(old, { recursive: true, force: true }).catch(() => {});
}

/**
 * Keeps the spool if it was filled for this very request, else starts it empty; takes a restore's seed into
 * ready/ when it matches (the names it took). Request written last.
 */
async function adopt(o: WalServiceOptions): Promise<string[]> {
  const p = spoolPaths(o.spool);
  const text = formatRequest(o.request);
  const config = o.request.configPath === '' ? undefined : await readFile(o.request.configPath);
  const [had, copy] = await Promise.all([
    readFile(p.request, 'utf8').catch(() => ''),
    readFile(p.config).catch(() => undefined),
  ]);
  const same = had === text && (config === undefined || copy?.equals(config));
  if (!same) {
    await voidSpool(o.spool);
    if (config !== undefined) await writeFile(p.config, config, { mode: 0o600 });
  }
  // What a service before this one found absent is as old as that service's last lookup.
  await rm(p.absent, { recursive: true, force: true });
  for (const d of [p.done, p.want, p.failed, p.ready, p.absent])
    await mkdir(d, { recursive: true, mode: 0o700 });
  const seeded = await takeSeed(o);
  if (!same) {
    await writeFile(`${p.request}.tmp`, text, { mode: 0o600 });
    await rename(`${p.request}.tmp`, p.request);
  }
  await dropSeed(o.spool);
  if (o.restoreAfter !== undefined) await writeFile(p.restoreAt, o.restoreAfter);
  return seeded;
}

/** Removes what the spool answers with; the request goes first, so no reader trusts a half-emptied spool. */
async function voidSpool(spool: string): Promise<void> {
  const p = spoolPaths(spool);
  await rm(p.request, { force: true });
  for (const d of [p.done, p.want, p.failed, p.ready, p.restoreAt, p.config, p.absent])
    await rm(d, { recursive: true, force: true });
}

class Service {
  private readonly uploading = new Set<string>();
  /** Names stored in this run: never uploaded twice, even in the moment between a hit and PostgreSQL's .done. */
  private readonly stored = new Set<string>();
  private readonly failedAt = new Map<string, number>();
  private readonly fetching = new Set<string>();
  private readonly absentAt = new Map<string, number>();
  /** Segments this service put in ready/: one gone was taken by restore_command. */
  private readonly placed = new Set<string>();
  /** Segments fetched again for PostgreSQL's last read at the end of the archive (rereadSegment): once each. */
  private readonly reread = new Set<string>();
  /** Whether recovery ends at the end of the archive, decided once per segment (endsThere). */
  private readonly endings = new Map<string, boolean>();
  private readonly compressSlot = limiter(availableParallelism());
  private lastWork = Date.now();
  private lastBeat = Date.now();
  private restoreAt = '';
  private historyCheckedAt = 0;
  private historyChecking = false;

  constructor(
    private readonly o: WalServiceOptions,
    seeded: readonly string[],
  ) {
    if (o.archiving !== undefined) this.failedAt.set(o.archiving, Date.now());
    for (const n of seeded) this.placed.add(n);
  }

  async run(): Promise<void> {
    const p = spoolPaths(this.o.spool);
    while (!this.o.signal.aborted) {
      if (Date.now() - this.lastBeat >= HEARTBEAT_MS) {
        this.lastBeat = Date.now();
        await heartbeat(p.lock).catch(() => {});
        if (!(await this.stillValid())) {
          await voidSpool(this.o.spool);
          return;
        }
      }
      if (this.o.mode === 'archive') await this.archiveTick();
      else await this.restoreTick();
      const busy = this.uploading.size + this.fetching.size > 0;
      if (busy) this.lastWork = Date.now();
      else if (Date.now() - this.lastWork > this.o.idleMs) return this.clearAnswers();
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  }

  /**
   * Idle: nobody asks any more (recovery ended, archiving caught up). Prefetched segments would only take
   * room in pg_wal, and done/ links hold the inodes of files PostgreSQL may remove.
   */
  private async clearAnswers(): Promise<void> {
    const p = spoolPaths(this.o.spool);
    for (const d of [p.ready, p.done, p.absent])
      for (const f of await readdir(d).catch(() => [] as string[])) await rm(join(d, f), { force: true });
  }

  /** A restarted server (pg_rewind, a boot) or an edited configuration voids what the spool says. */
  private async stillValid(): Promise<boolean> {
    if ((await epochOf(this.o.cwd)) !== this.o.request.epoch) return false;
    if (this.o.request.configPath === '') return true;
    const [now, copy] = await Promise.all([
      readFile(this.o.request.configPath).catch(() => undefined),
      readFile(spoolPaths(this.o.spool).config).catch(() => undefined),
    ]);
    return now !== undefined && copy !== undefined && now.equals(copy);
  }

  private async archiveTick(): Promise<void> {
    const p = spoolPaths(this.o.spool);
    const statusDir = join(this.o.walDir, 'archive_status');
    const [wanted, status, done] = await Promise.all([
      readdir(p.want).catch(() => [] as string[]),
      readdir(statusDir).catch(() => [] as string[]),
      readdir(p.done).catch(() => [] as string[]),
    ]);
    const ready = new Set(status.filter((e) => e.endsWith('.ready')).map((e) => e.slice(0, -6)));
    const want = new Set(wanted.filter(isWalName));
    // A marker whose file PostgreSQL no longer waits for (archived through another call) holds its inode.
    for (const d of done)
      if (!ready.has(d) && !want.has(d) && !this.uploading.has(d))
        await unlink(join(p.done, d)).catch(() => {});
    for (const n of this.stored) if (!ready.has(n) && !want.has(n)) this.stored.delete(n);
    if (want.size + ready.size > 0) this.lastWork = Date.now();
    const rank = (n: string) => (n.endsWith('.history') ? 0 : 1);
    const queue = [
      ...[...want].sort(),
      ...[...ready].filter(isWalName).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)),
    ];
    const doneSet = new Set(done);
    for (const name of queue) {
      // Asked for again after its marker was used up (the call that took it failed afterwards): stored once
      // more (the same content is a success), so that a marker exists for this call.
      if (want.has(name) && this.stored.has(name) && !doneSet.has(name)) this.stored.delete(name);
      if (this.uploading.size >= this.o.maxParallel) break;
      if (this.uploading.has(name) || this.stored.has(name) || doneSet.has(name)) continue;
      if (Date.now() - (this.failedAt.get(name) ?? 0) < RETRY_MS && !want.has(name)) continue;
      const path = want.has(name)
        ? (await readFile(join(p.want, name), 'utf8').catch(() => '')) || join(this.o.walDir, name)
        : join(this.o.walDir, name);
      this.uploading.add(name);
      void this.upload(name, path, want.has(name)).finally(() => this.uploading.delete(name));
    }
  }

  private async upload(name: string, path: string, wanted: boolean): Promise<void> {
    const p = spoolPaths(this.o.spool);
    try {
      await archiveFile(path, { ...this.o, compressSlot: this.compressSlot, signal: this.o.signal });
      // The marker is the file itself (its inode), linked only now that the object is stored.
      const tmp = join(p.done, `.${name}.${process.pid}.tmp`);
      await rm(tmp, { force: true });
      await link(path, tmp);
      await rename(tmp, join(p.done, name));
      this.stored.add(name);
    } catch (e) {
      this.failedAt.set(name, Date.now());
      if (wanted && !this.o.signal.aborted)
        await writeFile(join(p.failed, name), (e as Error).message ?? String(e)).catch(() => {});
    }
  }

  private async restoreTick(): Promise<void> {
    const p = spoolPaths(this.o.spool);
    const [asked, askedAt, files] = await Promise.all([
      readFile(p.restoreAt, 'utf8').catch(() => ''),
      stat(p.restoreAt).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
      readdir(p.ready).catch(() => [] as string[]),
    ]);
    // Where replay is: the last name asked for, or a later one the thin client took from ready/ (it tells
    // nothing else). Names only grow: a later timeline's names sort after the earlier ones'.
    let at = this.restoreAt;
    const present = new Set(files);
    for (const n of this.placed)
      if (!present.has(n)) {
        this.placed.delete(n);
        if (n > at) at = n;
      }
    const named = asked.trim();
    if (parseWalName(named)?.kind === 'segment' && named > at) at = named;
    if (at === '') return;
    if (at !== this.restoreAt) {
      this.restoreAt = at;
      this.lastWork = Date.now();
    }
    this.checkHistory();
    const window = this.window();
    const again = await this.rereadSegment();
    const keep = new Set(again === undefined ? window : [again, ...window]);
    // Bounded: only the window stays (older segments were consumed or skipped, other timelines are void).
    for (const f of files)
      if (!keep.has(f) && !f.startsWith('.')) {
        this.placed.delete(f);
        await rm(join(p.ready, f), { force: true });
      }
    if (again !== undefined && !this.reread.has(again) && !present.has(again) && !this.fetching.has(again)) {
      this.reread.add(again);
      this.fetching.add(again);
      void this.fetch(again).finally(() => this.fetching.delete(again));
    }
    for (const name of window) {
      if (this.fetching.has(name) || present.has(name)) continue;
      if (this.fetching.size >= this.o.maxParallel) break;
      // The archive is written in order: past a missing segment (the end of the archive so far, as a standby
      // sees it for hours) nothing is fetched until restore_command asks again. A paused standby asks nothing,
      // so the service fetches nothing for it either.
      const absent = this.absentAt.get(name);
      if (absent !== undefined && absent >= askedAt) break;
      this.fetching.add(name);
      void this.fetch(name).finally(() => this.fetching.delete(name));
    }
  }

  /**
   * PostgreSQL asks restore_command for history files the bucket rarely holds: the next timeline's when it
   * starts and when it promotes, its own when it promotes (writeTimeLineHistory), and a standby the next
   * timeline's every few seconds; each call the thin client cannot answer starts node. absent/ holds those of
   * the two not found by the last lookup, every ABSENT_CHECK_MS; a name found, or not looked up, is not there.
   */
  private checkHistory(): void {
    if (this.historyChecking || Date.now() - this.historyCheckedAt < ABSENT_CHECK_MS) return;
    const timeline = parseWalName(this.restoreAt)?.timeline;
    if (timeline === undefined) return;
    this.historyChecking = true;
    void this.lookUpHistory([historyFileName(timeline + 1), historyFileName(timeline)]).finally(() => {
      this.historyChecking = false;
      this.historyCheckedAt = Date.now();
    });
  }

  private async lookUpHistory(names: readonly string[]): Promise<void> {
    const dir = spoolPaths(this.o.spool).absent;
    // Gone before the lookup: a marker is never older than the last one.
    for (const f of await readdir(dir).catch(() => [] as string[])) await rm(join(dir, f), { force: true });
    for (const name of names) {
      const found = await findForRestore(this.o.store, this.o.serverName, name, {
        signal: this.o.signal,
      }).then(
        (f) => f !== undefined,
        () => true,
      );
      if (!found && !this.o.signal.aborted)
        await writeFile(join(dir, name), '', { mode: 0o600 }).catch(() => {});
    }
  }

  private async fetch(name: string): Promise<void> {
    const dest = join(spoolPaths(this.o.spool).ready, name);
    try {
      await restoreWal(name, dest, { ...this.o, exactOnly: true, durable: true, signal: this.o.signal });
      // Moved out of the window while it downloaded: not kept.
      if (this.window().includes(name) || (await this.rereadSegment()) === name) this.placed.add(name);
      else await rm(dest, { force: true });
    } catch {
      // Missing so far, damaged or failing: restore_command fetches it itself and reports what it finds.
      this.absentAt.set(name, Date.now());
    }
  }

  /**
   * At the end of the archive (the segment after the last one taken is not in the bucket), archive recovery
   * asks for that missing segment, then ends by reading the last one once more (to find the end of its last
   * record); the thin client moved it out of ready/, so it is fetched again as soon as it is taken, for the
   * thin client to answer that call too. A standby not asked to promote waits there instead: for it that
   * would only cost a download each time it catches up.
   */
  private async rereadSegment(): Promise<string | undefined> {
    const at = this.restoreAt;
    const w = parseWalName(at);
    if (w?.kind !== 'segment') return undefined;
    let last: string | undefined;
    const n = segmentNumber(at, this.o.segmentSize);
    // Asked for the missing one already (a call started node for it): the last read is the one before.
    if (this.absentAt.has(at))
      last = n > 0 ? segmentFromNumber(w.timeline, n - 1, this.o.segmentSize) : undefined;
    else if (this.absentAt.has(nextSegment(at))) last = at;
    return last !== undefined && (await this.endsThere(last)) ? last : undefined;
  }

  /**
   * Archive recovery (no standby.signal) ends at the end of the archive, and so does a standby asked to
   * promote (the promote file, which PostgreSQL removes only once it acts on it). Decided once per segment,
   * so that what was fetched stays until it is read.
   */
  private async endsThere(last: string): Promise<boolean> {
    let ends = this.endings.get(last);
    if (ends === undefined) {
      const there = (f: string) => pathExists(join(this.o.cwd, f));
      const [standby, promote] = await Promise.all([there('standby.signal'), there('promote')]);
      ends = !standby || promote;
      this.endings.set(last, ends);
    }
    return ends;
  }

  /**
   * The segments kept ready: replay consumes a segment far faster than one is downloaded, so the window runs
   * several downloads deep (maxParallel at a time), bounded by prefetchWindow (spool.ts) in pg_wal space.
   */
  private window(): string[] {
    const w: string[] = [];
    let n = this.restoreAt;
    const size = prefetchWindow(this.o.maxParallel);
    for (let i = 0; i < size; i++) {
      n = nextSegment(n);
      w.push(n);
    }
    return w;
  }
}
