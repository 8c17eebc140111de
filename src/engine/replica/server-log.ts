// What the standby's server log says about the archive: the last segment restored, and the segments
// restore_command keeps failing for. `pgdr wal restore` writes its errors to stderr, which pg_ctl sends to the
// log; PostgreSQL itself logs nothing on a failed restore_command (it is how "not archived yet" looks).
import { promises as fsp } from 'node:fs';

export interface LogFindings {
  readonly lastRestored: string | null;
  /** Segment name -> failed restores since the last successful one of a later segment. */
  readonly failures: ReadonlyMap<string, number>;
}

/** Only the end of the log is read: a standby's log grows forever. */
const TAIL_BYTES = 1024 * 1024;

const RESTORED = /restored log file "([0-9A-F]{24})" from archive/;
const FAILED = /pgdr: error: .*?\b([0-9A-F]{24})\b/;

export async function readLogFindings(logFile: string): Promise<LogFindings> {
  let text: string;
  try {
    const fh = await fsp.open(logFile, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return { lastRestored: null, failures: new Map() };
  }
  return parseLog(text);
}

export function parseLog(text: string): LogFindings {
  let lastRestored: string | null = null;
  const failures = new Map<string, number>();
  for (const line of text.split('\n')) {
    const ok = RESTORED.exec(line);
    if (ok) {
      lastRestored = ok[1]!;
      // Failures before a restore of a later segment were "not archived yet", not stuck.
      for (const name of [...failures.keys()]) if (name <= lastRestored) failures.delete(name);
      continue;
    }
    const bad = FAILED.exec(line);
    if (bad) failures.set(bad[1]!, (failures.get(bad[1]!) ?? 0) + 1);
  }
  return { lastRestored, failures };
}
