import { fileURLToPath } from 'node:url';
import { createBackup } from '../../engine/backup/create-backup.js';
import type { BackupProgress } from '../../engine/backup/types.js';
import { PgdrError } from '../../errors.js';
import type { ProgressSink } from '../../progress/events.js';
import { FORMAT_FLAG, flag, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import type { Command } from '../main.js';
import { bytes, json, line } from '../output.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE, progressReporter } from '../progress-flags.js';

const NAME = 'backup create';
const RESERVED = ['latest', 'last', 'oldest', 'first', 'last-failed', 'latest-full', 'last-full', 'auto'];

export const backupCreate: Command = {
  name: NAME,
  summary: 'take a base backup (as barman-cloud-backup, in parallel)',
  usage: `Usage: pgdr backup create [--incremental [--from ID] [--incremental-level block|file]] [--name NAME] [--immediate-checkpoint] [--compression-level N]
                          [--wait-archive-timeout DURATION] [--format table|json] [store options]

Takes a base backup of postgres.connection, reading postgres.pgdata directly (run it on the database host, as
root or the PostgreSQL OS user). The bucket gets what barman-cloud-backup writes: data.tar.gz (+ data_0001...
parts, compressed and uploaded in parallel: objectStore.data.jobs), one tar per tablespace, and backup.info,
written last, with status DONE only once everything else is stored. WAL archiving must be on: the backup waits
until PostgreSQL has archived its WAL, showing what it waits for. Run as root with a file:// destination, the
folders it creates there belong to the data directory's owner, who runs archive_command.

  --incremental             upload only the files that changed since the parent backup (the newest DONE backup,
                            full or incremental, of this cluster and timeline), under <server>/pgdr/incremental/:
                            barman-cloud does not see it; pgdr restore combines the chain
  --from ID                 the parent of --incremental (a backup id or name)
  --incremental-level L     block (default): on PostgreSQL 17+ with summarize_wal = on, changed relation files
                            are uploaded as their changed blocks when the WAL summaries cover the range from the
                            parent's start, else file level, and the output says why; file: always whole files
  --name NAME               a name to find the backup by (backup_name)
  --immediate-checkpoint    checkpoint now instead of waiting for the next one
                            (default: objectStore.data.immediateCheckpoint)
  --compression-level N     codec level (default: gzip 1; pgdr favours speed, barman's gzip is level 9)
  --wait-archive-timeout D  how long to wait, at the end, for PostgreSQL to archive the backup's WAL (default 10m);
                            the backup ends FAILED (exit 33) sooner when archive_command keeps failing for 60 s
  --format json             print {id, sizes, timings per phase} instead of a summary

${PROGRESS_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(
      argv,
      {
        ...STORE_FLAGS,
        ...FORMAT_FLAG,
        name: { type: 'string' },
        incremental: { type: 'boolean' },
        from: { type: 'string' },
        'incremental-level': { type: 'string' },
        'compression-level': { type: 'string' },
        'immediate-checkpoint': { type: 'boolean' },
        'wait-archive-timeout': { type: 'string' },
        ...PROGRESS_FLAGS,
      },
      NAME,
    );
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const name = str(p, 'name');
    if (name !== undefined && (name.trim() === '' || /^\d{8}T\d{6}$/.test(name) || RESERVED.includes(name))) {
      throw new PgdrError(
        'USAGE',
        `${NAME}: --name '${name}' is empty, looks like a backup id, or is reserved`,
        {
          hint: `barman refuses such names too; reserved: ${RESERVED.join(', ')}`,
        },
      );
    }
    const from = str(p, 'from');
    if (from !== undefined && !flag(p, 'incremental')) {
      throw new PgdrError('USAGE', `${NAME}: --from needs --incremental`, {
        hint: `see: pgdr ${NAME} --help`,
      });
    }
    const incLevel = oneOf(p, 'incremental-level', ['block', 'file'] as const, 'block', NAME);
    if (str(p, 'incremental-level') !== undefined && !flag(p, 'incremental')) {
      throw new PgdrError('USAGE', `${NAME}: --incremental-level needs --incremental`, {
        hint: `see: pgdr ${NAME} --help`,
      });
    }
    const levelText = str(p, 'compression-level');
    const level = levelText === undefined ? undefined : Number(levelText);
    if (level !== undefined && !Number.isInteger(level)) {
      throw new PgdrError('USAGE', `${NAME}: --compression-level must be an integer (got '${levelText}')`, {
        hint: `see: pgdr ${NAME} --help`,
      });
    }
    const waitBudget = durationFlag(p, 'wait-archive-timeout', NAME);
    const config = configFrom(p, ctx);
    const connection = config.postgres.connection;
    if (!connection) {
      throw new PgdrError('CONFIG_INVALID', 'postgres.connection is not set', {
        hint: 'set postgres.connection (e.g. postgresql://postgres@localhost:5432/postgres) in pgdr.yaml',
      });
    }
    const progress = progressReporter(p, ctx, NAME);
    const report = backupEvents(progress);
    return withStore(config, async (store) => {
      try {
        const r = await createBackup({
          store,
          serverName: config.serverName,
          connection,
          pgdata: config.postgres.pgdata,
          compression: config.objectStore.data.compression,
          compressionLevel: level,
          jobs: config.objectStore.data.jobs,
          immediateCheckpoint: flag(p, 'immediate-checkpoint') || config.objectStore.data.immediateCheckpoint,
          backupName: name,
          ...(flag(p, 'incremental') ? { incremental: { from, level: incLevel } } : {}),
          ...(waitBudget !== undefined ? { archiveWait: { budgetMs: waitBudget } } : {}),
          fileRepository: fileRepository(config.objectStore.destinationPath),
          signal: ctx.signal,
          onProgress: report,
        });
        progress.close();
        if (format === 'json') {
          json(ctx, {
            backup_id: r.backupId,
            backup_name: r.backupName,
            begin_wal: r.beginWal,
            end_wal: r.endWal,
            data_bytes: r.dataBytes,
            stored_bytes: r.storedBytes,
            objects: r.objects,
            timings: r.timings,
            total_seconds: r.totalSeconds,
            backup_type: r.incremental ? 'incremental' : 'full',
            ...(r.incremental
              ? {
                  parent_backup_id: r.incremental.parentBackupId,
                  chain: r.incremental.chain,
                  incremental_level: r.incremental.level,
                  ...(r.incremental.fallbackReason !== undefined
                    ? { fallback_reason: r.incremental.fallbackReason }
                    : {}),
                  block_files: r.incremental.blockFiles,
                  block_file_bytes: r.incremental.blockFileBytes,
                  block_bytes: r.incremental.blockBytes,
                  referenced_files: r.incremental.referencedFiles,
                  referenced_bytes: r.incremental.referencedBytes,
                }
              : {}),
          });
        } else {
          const rate = r.totalSeconds > 0 ? r.dataBytes / r.totalSeconds : 0;
          line(
            ctx,
            `Backup ${r.backupId} DONE: ${bytes(r.dataBytes)} read, ${bytes(r.storedBytes)} stored in ${r.objects.length} tars, ${r.totalSeconds.toFixed(1)} s (${bytes(rate)}/s); WAL ${r.beginWal} .. ${r.endWal}`,
          );
          if (r.incremental)
            line(
              ctx,
              `Incremental (${r.incremental.level} level) from ${r.incremental.parentBackupId}: ${r.incremental.referencedFiles} unchanged files (${bytes(r.incremental.referencedBytes)}) left in the chain ${r.incremental.chain.join(' <- ')}`,
            );
          if (r.incremental?.level === 'block')
            line(
              ctx,
              `  ${r.incremental.blockFiles} changed relation files (${bytes(r.incremental.blockFileBytes)}) stored as their changed blocks (${bytes(r.incremental.blockBytes)})`,
            );
          if (r.incremental?.fallbackReason !== undefined)
            line(ctx, `  file level, not block level: ${r.incremental.fallbackReason}`);
        }
        return 0;
      } catch (e) {
        progress.close();
        throw e;
      }
    });
  },
};

/** The backup's phases as stage notes, its copy as bytes read of the files' total. */
function backupEvents(sink: ProgressSink): (p: BackupProgress) => void {
  return (p) => {
    if (p.message) sink.emit({ type: 'stage', message: p.message });
    else if (p.phase === 'copy' && p.bytesTotal > 0) {
      sink.emit({
        type: 'bytes',
        task: `backup ${p.backupId ?? ''}`.trim(),
        done: p.bytesDone,
        total: p.bytesTotal,
      });
    }
  };
}

/** The local folder of a file:// destination (as the file:// store reads it), else undefined. */
function fileRepository(destinationPath: string): string | undefined {
  if (!destinationPath.startsWith('file://')) return undefined;
  return fileURLToPath(destinationPath).replace(/\/+$/, '') || '/';
}
