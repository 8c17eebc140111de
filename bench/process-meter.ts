// Runs a command and measures wall time and peak RSS of its whole process tree (barman-cloud-backup forks
// upload workers, so the child's own RSS would understate it): /proc is sampled every 50 ms. Processes that
// detach from the tree (pgBackRest's async archive workers) are counted through a string of their command line.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Measured {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  shell?: boolean;
  /** Run the command as this user (PostgreSQL's OS user, for tools that must own the repository). */
  uid?: number;
  gid?: number;
  /** Also count every process whose command line holds this string, wherever it sits in the tree. */
  match?: string;
}

export async function measure(
  cmd: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: options.shell ?? false,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const meter = startMeter({
    roots: () => (child.pid === undefined ? [] : [child.pid]),
    match: options.match,
  });
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (c) => resolve(c));
  });
  const peakRssMiB = meter.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, peakRssMiB, code, stdout, stderr };
}

/**
 * Samples the summed RSS of the processes under `roots` (and those matching `match`) every 50 ms until stop(),
 * which returns the peak in MiB. For a step made of many short commands, roots() names the one running now.
 */
export function startMeter(o: { roots: () => readonly number[]; match?: string | undefined }): {
  stop(): number;
} {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, treeRssKiB(o.roots(), o.match));
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak / 1024;
    },
  };
}

function treeRssKiB(roots: readonly number[], match: string | undefined): number {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command name, which may hold spaces: parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const rootSet = new Set(roots);
  let total = 0;
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && !rootSet.has(p) && p > 1) p = parent.get(p);
    if (p === undefined || !rootSet.has(p)) {
      if (match === undefined || !cmdlineHolds(pid, match)) continue;
    }
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0);
    } catch {
      // Gone.
    }
  }
  return total;
}

function cmdlineHolds(pid: number, s: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(s);
  } catch {
    return false;
  }
}
