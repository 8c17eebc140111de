// Whether a process id names a process that still runs. kill(pid, 0) alone is not enough: a process that has
// exited stays a zombie until its parent reaps it, and a detached child (the WAL service, a postmaster started
// by pg_ctl) is reaped by PID 1, which in many containers reaps nothing. Such a zombie answers kill(pid, 0)
// forever; on Linux its state in /proc says it is gone.
import { readFileSync } from 'node:fs';

export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

function zombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // No /proc (not Linux), or the process went in between: kill(pid, 0) has the last word.
    return false;
  }
  // "pid (comm) state ...": the command name may itself hold a ')', so the state follows the last one.
  const close = stat.lastIndexOf(')');
  return stat.charAt(close + 2) === 'Z';
}
