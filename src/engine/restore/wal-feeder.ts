// Feeds the WAL of the plan into a spool folder while the tars extract and while PostgreSQL replays, a bounded
// window ahead of what it has consumed. restore_command takes a spooled file with one `mv` (see
// feederRestoreCommand) and only falls back to `pgdr wal restore` for what is not there, so replay no longer
// waits for one process start per segment. Spooled files are the objects barman-cloud-wal-restore would
// serve; `.partial` ones are left to the fallback, since a full segment may replace them.
// Two more answers without a process: names in `absent` (what the plan's listing proves missing, wal-absent.ts)
// get "not found" from a marker in .absent/, and the plan's last segment, which PostgreSQL reads once more when
// recovery ends, is served again from a copy in .again/. Both live in the spool, so they go with stop().
// A damaged object is never spooled, nor anything after it (replay cannot pass it): restore_command's fallback
// fetches it again and reports it with a status that aborts recovery; the feeder records what it saw
// (problems) so that the restore's error can name the object.
import { createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { WalObject } from '../../catalog/wal-catalog.js';
import { chownToServerUser, type ServerUser } from '../../postgres/os-user.js';
import { shQuote } from '../../shell-quote.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { boundedWalBody, damageOf } from '../wal-body.js';
import { damagedWalKey } from '../wal-restore.js';
import type { WalProblem } from './replay-end.js';

export interface WalFeederOptions {
  readonly store: ObjectStore;
  /** In replay order. */
  readonly objects: readonly WalObject[];
  /** Names restore_command answers "not found" (exit 1) while the feeder runs. */
  readonly absent?: readonly string[] | undefined;
  readonly dir: string;
  readonly user: ServerUser | null;
  /** The backup's WAL segment size: a spooled segment is exactly this long (default: any size allowed). */
  readonly segmentSize?: number | undefined;
  /** Segments on disk or in flight at most (default 32: 512 MiB of 16 MiB segments). */
  readonly window?: number;
  readonly concurrency?: number;
  /**
   * Downloads at a time until fullSpeed(): the tars extract meanwhile, and PostgreSQL cannot start before they
   * are done, so they should get most of the CPU. Default: concurrency.
   */
  readonly concurrencyWhileExtracting?: number;
  readonly signal?: AbortSignal | undefined;
}

export class WalFeeder {
  private next = 0;
  private inFlight = 0;
  private readonly spooled: string[] = [];
  private stopped = false;
  /** A damaged segment was seen: nothing after it is fetched. */
  private blocked = false;
  private slow: boolean;
  private readonly done: Promise<void>;
  fetched = 0;
  failures = 0;
  /** WAL name -> why the feeder could not spool it. */
  readonly problems = new Map<string, WalProblem>();

  constructor(private readonly o: WalFeederOptions) {
    this.slow = o.concurrencyWhileExtracting !== undefined;
    this.done = this.run();
  }

  /** The tars are extracted: download at full concurrency. */
  fullSpeed(): void {
    this.slow = false;
  }

  private async run(): Promise<void> {
    await fsp.mkdir(this.o.dir, { recursive: true, mode: 0o700 });
    await chownToServerUser(this.o.dir, this.o.user);
    await this.writeAbsent();
    const objects = this.o.objects.filter((x) => x.kind === 'segment');
    this.last = objects.at(-1)?.name;
    const window = this.o.window ?? 32;
    const workers = new Set<Promise<void>>();
    while (!this.stopped && !this.blocked && !this.o.signal?.aborted && this.next < objects.length) {
      await this.forgetConsumed();
      const concurrency =
        (this.slow ? this.o.concurrencyWhileExtracting : undefined) ?? this.o.concurrency ?? 4;
      if (this.spooled.length + this.inFlight >= window || this.inFlight >= concurrency) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const obj = objects[this.next++]!;
      this.inFlight++;
      const w = this.fetch(obj).finally(() => {
        this.inFlight--;
        workers.delete(w);
      });
      workers.add(w);
    }
    await Promise.all(workers);
  }

  private last: string | undefined;

  private async writeAbsent(): Promise<void> {
    const names = this.o.absent ?? [];
    if (names.length === 0) return;
    const dir = join(this.o.dir, ABSENT_DIR);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of names) await fsp.writeFile(join(dir, name), '', { mode: 0o600 });
    await chownToServerUser(dir, this.o.user);
  }

  private async fetch(obj: WalObject): Promise<void> {
    const final = join(this.o.dir, obj.name);
    const tmp = join(this.o.dir, `.${obj.name}.tmp`);
    const busy = join(this.o.dir, `${BUSY_PREFIX}${obj.name}`);
    await fsp.writeFile(busy, '', { mode: 0o600 }).catch(() => undefined);
    try {
      const body = await this.o.store.get(obj.key, { signal: this.o.signal });
      const out = createWriteStream(tmp, { mode: 0o600 });
      const bytes = boundedWalBody(body, { ...obj, segmentSize: this.o.segmentSize });
      await pipeline(bytes, out, { signal: this.o.signal });
      // Owned by the server user before it becomes visible: restore_command moves it and PostgreSQL reads it.
      await chownToServerUser(tmp, this.o.user);
      if (obj.name === this.last) await this.keepCopy(tmp, obj.name);
      await fsp.rename(tmp, final);
      this.spooled.push(obj.name);
      this.fetched++;
    } catch (e) {
      // The fallback in restore_command fetches whatever the feeder could not (and reports a damaged object).
      this.failures++;
      await fsp.rm(tmp, { force: true });
      if (!this.stopped && !this.o.signal?.aborted) this.record(obj, e);
    } finally {
      // After the rename: restore_command, seeing the marker gone, finds the file or falls back.
      await fsp.rm(busy, { force: true });
    }
  }

  private record(obj: WalObject, e: unknown): void {
    const damaged = damagedWalKey(e) !== undefined;
    const reason = damaged ? damageOf(e) : e instanceof Error ? e.message : String(e);
    this.problems.set(obj.name, { key: obj.key, reason, damaged });
    if (damaged) this.blocked = true;
  }

  /**
   * A copy with its own inode: the file PostgreSQL takes may end up renamed into pg_wal and recycled, that is
   * overwritten in place, so a hard link could serve changed bytes. Best effort: without it, the fallback.
   */
  private async keepCopy(tmp: string, name: string): Promise<void> {
    const dir = join(this.o.dir, AGAIN_DIR);
    const copyTmp = join(dir, `.${name}.tmp`);
    try {
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      await chownToServerUser(dir, this.o.user);
      await fsp.copyFile(tmp, copyTmp);
      await chownToServerUser(copyTmp, this.o.user);
      await fsp.rename(copyTmp, join(dir, name));
    } catch {
      await fsp.rm(copyTmp, { force: true });
    }
  }

  /** Files PostgreSQL took, and any spooled before them (replay is in order, so those were fetched otherwise). */
  private async forgetConsumed(): Promise<void> {
    let last = -1;
    for (let i = 0; i < this.spooled.length; i++) {
      const there = await fsp.stat(join(this.o.dir, this.spooled[i]!)).then(
        () => true,
        () => false,
      );
      if (!there) last = i;
    }
    if (last < 0) return;
    for (const name of this.spooled.splice(0, last + 1))
      await fsp.rm(join(this.o.dir, name), { force: true });
  }

  /** Stops feeding and removes the spool; restore_command then always uses the fallback. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done.catch(() => undefined);
    await fsp.rm(this.o.dir, { recursive: true, force: true });
  }
}

const ABSENT_DIR = '.absent';
const AGAIN_DIR = '.again';
/** Marks a segment being downloaded; a dot name, so the spool's segment names stay the only plain ones. */
const BUSY_PREFIX = '.busy-';
/** The longest restore_command waits for a download in flight (e.g. after pgdr was killed mid-download). */
const BUSY_WAIT_S = 20;

/**
 * PostgreSQL runs restore_command with /bin/sh: a spooled file is moved, the kept last segment copied, a name
 * known absent answers 1 (not found); anything else, a failing mv or cp included, goes to the fallback.
 * A segment the feeder is downloading (its BUSY marker exists) is waited for, up to BUSY_WAIT_S: the fallback
 * would start a process and download it, and the next few, a second time (bench/restore: replay caught up with
 * the feeder several times per run, each miss ~0.15 s). Where sleep takes no fraction the loop just spins
 * through its count. The spool folder is a shell variable and the fallback is written once: before
 * PostgreSQL 13 the expanded command must fit in 1024 bytes.
 */
export function feederRestoreCommand(spoolDir: string, fallback: string): string {
  const tries = BUSY_WAIT_S * 100;
  return (
    `s=${shQuote(spoolDir)}; i=0; while [ ! -f "$s/%f" ] && [ -f "$s/${BUSY_PREFIX}%f" ] && [ $i -lt ${tries} ]; ` +
    `do sleep 0.01; i=$((i+1)); done; ` +
    `{ [ -f "$s/%f" ] && mv -f "$s/%f" %p; } || { [ -f "$s/${AGAIN_DIR}/%f" ] && cp "$s/${AGAIN_DIR}/%f" %p; } || ` +
    `{ [ -f "$s/${ABSENT_DIR}/%f" ] && exit 1; } || ${fallback}`
  );
}
