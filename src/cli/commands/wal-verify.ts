import { availableParallelism } from 'node:os';
import type { WalVerifyReport } from '../../engine/wal-verify/report.js';
import { verifyWal } from '../../engine/wal-verify/verify-wal.js';
import { ERRORS, PgdrError } from '../../errors.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { bytes, json, line, table } from '../output.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE, progressReporter, verdictText } from '../progress-flags.js';
import { walSettings } from './wal-flags.js';

const NAME = 'wal verify';

export const walVerify: Command = {
  name: NAME,
  summary: 'check every archived WAL file (page headers, record CRCs, history files) without restoring',
  usage: `Usage: pgdr wal verify [--timeline N] [--max-parallel N] [--format table|json] [store options]

Reads every WAL object of the server (or of timeline N) and checks, without writing anything:
  - a segment or .partial decompresses to exactly one segment (the size in the newest backup.info, else
    in the first segment's header);
  - every page header carries the WAL magic of the cluster's PostgreSQL major (13 to 18), the timeline the
    file name (and the timeline history) says, and the page's own address; the first page's long header
    names the system identifier, the segment size and the WAL block size, the same in every segment;
  - every WAL record's CRC-32C holds and its back link (xl_prev) is right, records crossing pages and
    segments included, up to a switch record or the end of the segment (a .partial: the end of its WAL,
    which must reach every point where a child timeline branches off);
  - history files parse as recovery reads them and agree with their parent's; backup label (.backup) files
    start where their name says.
Every damaged object is named with what is wrong and where (LSN, byte offset).

  --timeline N               only the WAL of timeline N
  --max-parallel N           objects checked at a time (default: objectStore.wal.maxParallel or the number
                             of cores, whichever is larger); each holds a page and the codec's buffers
  --format table|json        output format (default: table)

Exit code: 0 every object intact, 51 (CHECKS_FAILED) at least one damaged.

${PROGRESS_USAGE}

${STORE_USAGE}`,
  run: verify,
};

async function verify(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseFlagsOnly(
    argv,
    {
      ...STORE_FLAGS,
      ...FORMAT_FLAG,
      ...PROGRESS_FLAGS,
      timeline: { type: 'string' },
      'max-parallel': { type: 'string' },
    },
    NAME,
  );
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  const t = str(p, 'timeline');
  const timeline = t === undefined ? undefined : Number(t);
  if (timeline !== undefined && !(Number.isInteger(timeline) && timeline >= 1 && timeline <= 0xffffffff)) {
    throw new PgdrError('USAGE', `${NAME}: --timeline must be a positive integer (got '${t}')`, {
      hint: `see: pgdr ${NAME} --help`,
    });
  }
  const config = configFrom(p, ctx);
  const { maxParallel } = walSettings(p, config, NAME);
  const concurrency =
    str(p, 'max-parallel') !== undefined ? maxParallel : Math.max(maxParallel, availableParallelism());
  const progress = progressReporter(p, ctx, NAME);
  const report = await withStore(config, (store) =>
    verifyWal({
      store,
      serverName: config.serverName,
      timeline,
      concurrency,
      signal: ctx.signal,
      onProgress: (x) =>
        progress.emit({
          type: 'items',
          task: NAME,
          unit: 'WAL objects',
          done: x.done,
          total: x.total,
          failures: x.failures,
        }),
    }),
  ).finally(() => progress.close());
  if (format === 'json') json(ctx, report);
  else line(ctx, verdictText(ctx, reportText(report, config.objectStore.destinationPath)));
  return report.ok ? 0 : ERRORS.CHECKS_FAILED.exitCode;
}

export function reportText(r: WalVerifyReport, destination: string): string {
  const major = r.postgresMajor === null ? '' : `, PostgreSQL ${r.postgresMajor}`;
  const sysid = r.systemIdentifier === null ? '' : `, system identifier ${r.systemIdentifier}`;
  const out = [
    `WAL of server ${r.serverName} in ${destination}${r.timeline === null ? '' : `, timeline ${r.timeline}`}`,
    `Segment size ${bytes(r.segmentSize)}${major}${sysid} (from ${r.reference})`,
    '',
    table(
      ['Timeline', 'Segments', 'Partial', 'History', 'Labels', 'Records', 'Bad', 'Unchecked'],
      r.timelines.map((t) =>
        [
          t.timeline,
          t.segments,
          t.partials,
          t.historyFiles,
          t.backupLabels,
          t.records,
          t.bad,
          t.unchecked,
        ].map(String),
      ),
    ),
    '',
  ];
  if (r.ok) out.push('OK: every WAL object is intact.');
  else {
    out.push(
      `FAILED: ${r.failures.length} problem(s) in ${new Set(r.failures.map((f) => f.key)).size} object(s):`,
    );
    for (const f of r.failures) {
      const where =
        f.lsn === undefined ? '' : ` at LSN ${f.lsn}${f.offset === undefined ? '' : ` (offset ${f.offset})`}`;
      out.push(`  ${f.key}${where}: ${f.message}`);
    }
  }
  if (r.timelines.some((t) => t.unchecked > 0)) {
    out.push(
      'Unchecked: records that continue past the first or last segment archived (normal at the ends).',
    );
  }
  if (r.skipped.length > 0) {
    out.push(`Skipped ${r.skipped.length} object(s) under wals/ that are not WAL files where barman looks:`);
    for (const s of r.skipped) out.push(`  ${s.key}: ${s.reason}`);
  }
  return out.join('\n');
}
