// pg_stat_archiver keeps no error text: the reason an archive_command failed is only in the server log. When
// logging_collector writes a file pgdr can read (pg_current_logfile()), the lines around the last archive
// failure are the best "why" a DBA can get, so they go into the error. Secrets in them are masked.
import { isAbsolute, join } from 'node:path';
import type pg from 'pg';
import { readLogTail } from '../../postgres/log-tail.js';

const TAIL_BYTES = 64 * 1024;
const LINES_BEFORE = 8;
const MAX_LINE = 300;
// PostgreSQL's own words: "archive command failed with exit code 1", "archive command was terminated by
// signal", "archive module failed", "archiving write-ahead log file "..." failed too many times".
const FAILURE = /archive (command|module) (failed|was terminated)|archiving write-ahead log file .* failed/i;

/** The log lines up to the last archive failure (and its DETAIL), or undefined when there is no such log. */
export async function archiveFailureLog(client: pg.Client, pgdata: string): Promise<string[] | undefined> {
  let file: string | null;
  try {
    // Needs PostgreSQL 10 and superuser or pg_monitor; null without logging_collector.
    file = (await client.query<{ f: string | null }>('SELECT pg_current_logfile() AS f')).rows[0]?.f ?? null;
  } catch {
    return undefined;
  }
  if (!file) return undefined;
  const text = await readLogTail(isAbsolute(file) ? file : join(pgdata, file), TAIL_BYTES);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  let last = -1;
  for (let i = lines.length - 1; i >= 0 && last < 0; i--) if (FAILURE.test(lines[i]!)) last = i;
  if (last < 0) return undefined;
  const end = /DETAIL:/.test(lines[last + 1] ?? '') ? last + 2 : last + 1;
  let first = Math.max(0, last - LINES_BEFORE);
  // Start at a message, not at the DETAIL or HINT of one cut off.
  while (first < last && /^\S.*\b(DETAIL|HINT|CONTEXT|STATEMENT):/.test(lines[first]!)) first++;
  return lines
    .slice(first, end)
    .filter((l) => l.trim() !== '')
    .map((l) => maskSecrets(l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}...` : l));
}

/** An archive_command may carry credentials (AWS_SECRET_ACCESS_KEY=... barman-cloud-wal-archive, a URI). */
export function maskSecrets(line: string): string {
  return line
    .replace(
      /\b(\w*(?:secret|password|passwd|token|key)\w*)(=|:\s*)('[^']*'|"[^"]*"|\S+)/gi,
      '$1$2[redacted]',
    )
    .replace(/(\/\/[^/\s:@]+:)[^@\s]+@/g, '$1[redacted]@');
}
