// The first WAL segments a restore's recovery reads, fetched while the base backup is extracted, before any
// server runs: into the WAL service's seed (wal-service/spool.ts, seed/), which the first service of the
// restored pg_wal adopts if it serves restore_command for the same store, serverName and configuration.
// Without it, nothing is fetched ahead until PostgreSQL's first restore_command call starts a service.
// Best effort by design: a segment that cannot be fetched here is fetched by restore_command, which reports
// what it finds; the restore says so in a progress line and goes on.
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WalObject } from '../../catalog/wal-catalog.js';
import { writeFileAtomic } from '../../common/atomic-file.js';
import type { ServerUser } from '../../postgres/os-user.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { writeWalObject } from '../wal-restore.js';
import { formatSeedRequest, prefetchWindow, SPOOL_NAME, spoolPaths } from '../wal-service/spool.js';
import { chownTree } from './chown-tree.js';
import { syncTrees } from './sync-tree.js';

export interface WalSeedOptions {
  readonly store: ObjectStore;
  readonly serverName: string;
  /** pg_wal (pg_xlog) of the restored data folder. */
  readonly walDir: string;
  /** The plan's WAL objects in replay order: only exact full segments are seeded. */
  readonly objects: readonly WalObject[];
  /** wal.maxParallel of the restore_command written: the spool's bound is prefetchWindow of it. */
  readonly maxParallel: number;
  readonly segmentSize?: number | undefined;
  readonly user: ServerUser | null;
  readonly signal?: AbortSignal | undefined;
  /** A line for the restore's progress; `problem`: a failure the operator must see (not only with -v). */
  readonly note?: ((message: string, problem: boolean) => void) | undefined;
}

/** Downloads at a time while the tars extract: extraction needs the cores, and the server waits for it. */
const WHILE_EXTRACTING = 1;
/** How long the server's start waits for the downloads running when it is due; the rest are dropped. */
const FINISH_WAIT_MS = 10_000;

export class WalSeed {
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private readonly seedDir: string;
  private readonly spool: string;
  private full = false;
  private closing = false;
  private wake: () => void = () => {};
  private failed = false;
  /** Settles once every segment is fetched, or seeding stopped. */
  readonly settled: Promise<void>;
  seeded = 0;

  constructor(private readonly o: WalSeedOptions) {
    this.signal = o.signal ? AbortSignal.any([o.signal, this.stop.signal]) : this.stop.signal;
    this.spool = join(o.walDir, SPOOL_NAME);
    this.seedDir = spoolPaths(this.spool).seed;
    this.settled = this.run().catch((e) => this.fail('the WAL seed', e));
  }

  /** The tars are extracted: maxParallel downloads at a time. */
  fullSpeed(): void {
    this.full = true;
    this.wake();
  }

  /**
   * The server is about to start: no download starts any more, those running may end (the first segments,
   * which replay asks for at once) for up to FINISH_WAIT_MS, and what is complete becomes the seed of
   * restore_command's configuration file (seed/request written last). Never throws.
   */
  async finish(configFile: string): Promise<number> {
    this.closing = true;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.settled, new Promise((r) => (timer = setTimeout(r, FINISH_WAIT_MS)))]);
    clearTimeout(timer);
    await this.halt();
    try {
      if (this.seeded === 0) {
        await this.discard();
        return 0;
      }
      const p = spoolPaths(this.spool);
      // Written without fsync while the tars extracted (the restore's own sync covers most of them by now):
      // each is fsynced before the request makes any of them servable.
      await syncTrees([this.seedDir]);
      const configPath = resolve(configFile);
      await writeFileAtomic(p.seedConfig, await fsp.readFile(configPath));
      const text = formatSeedRequest({
        store: this.o.store.displayUrl,
        serverName: this.o.serverName,
        configPath,
      });
      // The service runs as the server user: it must be able to move and remove all of it.
      await chownTree(this.spool, this.o.user);
      await writeFileAtomic(p.seedRequest, text);
      await chownTree(p.seedRequest, this.o.user);
      this.o.note?.(
        `${this.seeded} WAL segment(s) fetched ahead while extracting, for the WAL service to serve`,
        false,
      );
      return this.seeded;
    } catch (e) {
      this.fail('the WAL seed', e);
      await this.discard();
      return 0;
    }
  }

  /** The restore failed or starts no server: nothing of the seed stays. Never throws. */
  async discard(): Promise<void> {
    await this.halt();
    await fsp.rm(this.seedDir, { recursive: true, force: true }).catch(() => {});
  }

  private async halt(): Promise<void> {
    this.stop.abort();
    this.wake();
    await this.settled;
  }

  private async run(): Promise<void> {
    // maxParallel segments, not the whole window: every seeded byte is fsynced before the server starts, while
    // the service fetches the rest of the window as replay runs.
    const segments = this.o.objects
      .slice(0, Math.min(this.o.maxParallel, prefetchWindow(this.o.maxParallel)))
      .filter((x) => x.kind === 'segment' && x.name === x.segmentName);
    await fsp.rm(this.seedDir, { recursive: true, force: true });
    if (segments.length === 0) return;
    await fsp.mkdir(this.seedDir, { recursive: true, mode: 0o700 });
    const running = new Set<Promise<void>>();
    for (const obj of segments) {
      while (running.size >= (this.full ? this.o.maxParallel : WHILE_EXTRACTING) && !this.stopped())
        await Promise.race([...running, new Promise<void>((r) => (this.wake = r))]);
      if (this.stopped()) break;
      const w = this.fetch(obj).finally(() => running.delete(w));
      running.add(w);
    }
    await Promise.all(running);
  }

  private stopped(): boolean {
    return this.signal.aborted || this.failed || this.closing;
  }

  private async fetch(obj: WalObject): Promise<void> {
    try {
      await writeWalObject(
        { key: obj.key, compression: obj.compression, name: obj.name },
        join(this.seedDir, obj.name),
        {
          store: this.o.store,
          segmentSize: this.o.segmentSize,
          durable: false,
          signal: this.signal,
        },
      );
      this.seeded++;
    } catch (e) {
      // Stopped by finish() or the restore's own signal: not a failure.
      if (!this.signal.aborted) this.fail(obj.name, e);
    }
  }

  /** Once: the segments after a failure are left to the service (replay cannot pass a damaged one anyway). */
  private fail(what: string, e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const why = e instanceof Error ? e.message : String(e);
    this.o.note?.(
      `could not fetch ${what} ahead (${why}); restore_command fetches what it needs itself`,
      true,
    );
  }
}
