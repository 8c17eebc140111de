import { type BackupCatalog, listBackups, resolveBackup } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { withIncrementals } from '../../engine/restore/chain-plan.js';
import { verifyBackup } from '../../engine/verify-backup/verify-backup.js';
import { writeVerifyRecord } from '../../engine/verify-backup/verify-record.js';
import { ERRORS, isPgdrError, PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { type FlagSpec, FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE, withServerStore } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE, progressReporter, verdictText } from '../progress-flags.js';
import {
  runResult,
  type VerifiedBackup,
  type VerifyRun,
  verifyJson,
  verifyText,
} from './backup-verify-format.js';

const NAME = 'backup verify';

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  all: { type: 'boolean' },
  'no-record': { type: 'boolean' },
  ...PROGRESS_FLAGS,
};

/** barman's STATUS_COPY_DONE: the backups --all verifies. */
const COMPLETE = ['DONE', 'WAITING_FOR_WALS'];

export const backupVerify: Command = {
  name: NAME,
  summary:
    'read a backup (or --all) back from the bucket and check it without restoring: tars, CRCs, page checksums',
  usage: `Usage: pgdr backup verify ID|latest|oldest|NAME|--all [--no-record] [--format table|json] [store options]

Reads every object of the backup (pgdr- or barman-written) without restoring it:
  - every tar through decompression: its structure, each member's bytes, the end-of-archive blocks;
  - with a pgdr manifest (pgdr.json): every file's size and CRC-32, no file missing or extra;
  - with data checksums on (read from global/pg_control): every data page's checksum, except new pages and
    pages written during the backup (WAL replay rewrites those).
  - for a pgdr incremental backup: its chain, every link present and DONE and holding, with the same size and
    CRC-32, each file the incremental takes from it.
--all verifies every DONE backup, newest first. The result of each backup is
recorded in the bucket as <server>/pgdr/verify/<ID>.json for pgdr serve and /metrics (--no-record: not).
Reads nothing else and writes nothing under base/.

Exit code: 0 when everything checked passed (the report says "partial" when something could not be checked),
51 when anything failed.

${PROGRESS_USAGE}

${STORE_USAGE}`,
  run: verifyCommand,
};

async function verifyCommand(argv: string[], ctx: CliContext): Promise<number> {
  const p = parse(argv, FLAGS, NAME);
  const [ref] = positionals(p, NAME, 0, 1, 'the backup');
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  const all = flag(p, 'all');
  if ((ref === undefined) === !all) {
    throw new PgdrError('USAGE', `${NAME}: give one backup (ID, latest, oldest or a name) or --all`, {
      hint: `see: pgdr ${NAME} --help`,
    });
  }
  const config = configFrom(p, ctx);
  const run = await withServerStore(config, ctx.signal, async (store): Promise<VerifyRun> => {
    const fulls = await listBackups(store, config.serverName, { signal: ctx.signal });
    const { catalog, incrementals } = await withIncrementals(store, fulls, ctx.signal);
    const chosen = ref === undefined ? everyComplete(catalog) : [resolveBackup(catalog, ref)];
    const progress = progressReporter(p, ctx, NAME);
    const verified: VerifiedBackup[] = [];
    try {
      for (const [i, b] of chosen.entries()) {
        if (all) {
          progress.emit({
            type: 'items',
            task: 'backup verify',
            unit: 'backups',
            done: i,
            total: chosen.length,
          });
        }
        const report = await verifyBackup(b, {
          store,
          serverName: config.serverName,
          jobs: config.objectStore.data.jobs,
          ...(incrementals.has(b.backupId) ? { chainCatalog: catalog } : {}),
          signal: ctx.signal,
          onProgress: (x) =>
            progress.emit({
              type: 'bytes',
              task: `verify backup ${x.backupId}`,
              done: x.bytesDone,
              total: x.bytesTotal,
            }),
        });
        verified.push({ report, ...(await record(store, report, !flag(p, 'no-record'), ctx.signal)) });
      }
      if (all) {
        progress.emit({
          type: 'items',
          task: 'backup verify',
          unit: 'backups',
          done: chosen.length,
          total: chosen.length,
        });
      }
    } finally {
      progress.close();
    }
    return {
      serverName: config.serverName,
      destination: store.displayUrl,
      verified,
      unreadable: all
        ? catalog.unreadable.map((id) => ({ backupId: id, error: unreadableText(catalog, id) }))
        : [],
      skipped: all
        ? [...catalog.backups]
            .reverse()
            .filter((b) => !COMPLETE.includes(b.status))
            .map((b) => ({ backupId: b.backupId, status: b.status }))
        : [],
    };
  });
  if (format === 'json') json(ctx, verifyJson(run));
  else line(ctx, verdictText(ctx, verifyText(run)));
  return runResult(run).result === 'pass' ? 0 : ERRORS.CHECKS_FAILED.exitCode;
}

function everyComplete(catalog: BackupCatalog): BackupInfo[] {
  const done = catalog.backups.filter((b) => COMPLETE.includes(b.status)).reverse();
  if (done.length === 0 && catalog.unreadable.length === 0) {
    throw new PgdrError(
      'NO_BACKUPS',
      `no completed (DONE) backup of server '${catalog.serverName}' to verify`,
      {
        hint: 'take a first backup: pgdr backup create',
      },
    );
  }
  return done;
}

function unreadableText(catalog: BackupCatalog, id: string): string {
  const key = `${catalog.serverName}/base/${id}/backup.info`;
  return `${key} cannot be read: ${catalog.errors.get(id) ?? 'unknown error'}`;
}

/** Best effort: a store that refuses writes gives a warning, never a failed verification. */
async function record(
  store: ObjectStore,
  report: VerifiedBackup['report'],
  enabled: boolean,
  signal: AbortSignal,
): Promise<{ recordedAt: string | null; recordWarning: string | null }> {
  if (!enabled) return { recordedAt: null, recordWarning: null };
  try {
    return { recordedAt: await writeVerifyRecord(store, report, signal), recordWarning: null };
  } catch (e) {
    if (signal.aborted || isPgdrError(e, 'ABORTED')) throw e;
    const why = e instanceof Error ? e.message : String(e);
    return { recordedAt: null, recordWarning: `the result could not be recorded in the bucket: ${why}` };
  }
}
