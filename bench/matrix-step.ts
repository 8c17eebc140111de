// What every matrix step needs: the machine's CPU busy share over the step (the machine may be shared, and a
// missed goal should say whether CPU bounded it), bytes held under a folder (a repository, or s3rver's objects),
// a sequence of commands run one after another as PostgreSQL runs archive/restore commands, and pgdr's refusal
// of a flag it does not know.
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXCLUDE, PGDATA_EXCLUDE } from '../src/engine/backup/path-filter.js';
import { walkTree } from '../src/engine/backup/walk-tree.js';
import type { Cell } from './matrix-table.js';
import { startMeter } from './process-meter.js';

function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  // idle + iowait
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

/** Runs a measured step and turns it into a cell with the machine's CPU busy share over it. */
export async function cell(
  run: () => Promise<{ seconds: number; peakRssMiB: number }>,
  o: { basisBytes: number; coldCache?: boolean; bytes?: () => Promise<number | undefined> },
): Promise<Cell> {
  // The previous step's writes (a restored data directory, removed since) are flushed first: otherwise their
  // write-back lands in whichever step comes next and is counted against that tool.
  execFileSync('sync');
  if (o.coldCache) dropCaches();
  const before = cpuTimes();
  const m = await run();
  const after = cpuTimes();
  const machineBusy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
  const bytes = o.bytes === undefined ? undefined : await o.bytes();
  return {
    seconds: m.seconds,
    peakRssMB: (m.peakRssMiB * 1024 * 1024) / 1e6,
    bytes,
    basisBytes: o.basisBytes,
    machineBusy,
  };
}

/**
 * A restore writes a whole data directory: with the page cache full (the source and the other tools' backups
 * just read), its writes wait for the kernel to reclaim memory, which a tool that runs right after another's
 * restore folder was removed does not. Each restore step starts from an empty page cache instead (as root;
 * elsewhere the steps run as they are, and the header says so).
 */
export function dropCaches(): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Bytes of the files a backup copies from a data directory: what MB/s of backup and restore rows is over. */
export async function dataDirBytes(pgdata: string): Promise<number> {
  const entries = await walkTree(pgdata, { exclude: [...PGDATA_EXCLUDE, ...EXCLUDE] });
  return entries.reduce((n, e) => n + e.size, 0);
}

/** Sum of file sizes under dir; with suffix, only files whose name ends so (s3rver's ._S3rver_object bodies). */
export async function dirBytes(dir: string, suffix = ''): Promise<number> {
  let n = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += await dirBytes(p, suffix);
    else if (e.isFile() && e.name.endsWith(suffix)) n += (await fsp.stat(p)).size;
  }
  return n;
}

export interface Spawned {
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs one command per item, one after another (as PostgreSQL's archiver and startup process do), `before` each;
 * wall time over all and the peak RSS of the running command's tree plus processes matching `match`.
 */
export async function sequence<T>(
  items: readonly T[],
  command: (item: T) => { cmd: string; args: string[] },
  o: Spawned & { match?: string; before?: (item: T) => Promise<void>; after?: (item: T) => Promise<void> },
): Promise<{ seconds: number; peakRssMiB: number }> {
  let current: number | undefined;
  const meter = startMeter({ roots: () => (current === undefined ? [] : [current]), match: o.match });
  const t = process.hrtime.bigint();
  try {
    for (const item of items) {
      await o.before?.(item);
      const { cmd, args } = command(item);
      await new Promise<void>((resolve, reject) => {
        const child = spawn(cmd, args, {
          env: o.env ?? process.env,
          stdio: ['ignore', 'ignore', 'pipe'],
          ...(o.uid === undefined ? {} : { uid: o.uid, gid: o.gid }),
        });
        current = child.pid;
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${err}`)),
        );
      });
      await o.after?.(item);
    }
  } finally {
    current = undefined;
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return { seconds, peakRssMiB: meter.stop() };
}

/** pgdr's USAGE refusal of an option this build does not have: the row says "not available", the run goes on. */
export function unknownOption(stdout: string, stderr: string, flag: string): boolean {
  return new RegExp(`Unknown option '${flag}'`).test(`${stdout}\n${stderr}`);
}
