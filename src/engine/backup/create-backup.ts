// `pgdr backup create`: barman-cloud-backup's sequence (format doc sec. 4) with parallel tars. backup.info is
// written last and says DONE only once every other object is stored; a failure after the backup started writes
// it with status FAILED and `error`, as barman does; a killed process leaves no backup.info, which barman lists
// as nothing at all.
import type pg from 'pg';
import { CHAIN_NAME, chainJson, incrementalPrefix } from '../../catalog/incremental-chain.js';
import { walSegmentFromLsn } from '../../catalog/wal-name.js';
import type { TarCompression } from '../../compression/suffixes.js';
import { PgdrError } from '../../errors.js';
import { connect } from '../../postgres/connect.js';
import { reserveBackupId } from './backup-id.js';
import { backupInfoText } from './backup-info-fields.js';
import { type CopiedPart, copyTars } from './copy-tars.js';
import { writeFailedInfo } from './failed-info.js';
import { type BlockLevel, blockLevel } from './incremental-blocks.js';
import { currentTimeline, findParent, type IncrementalParent, noParentError } from './incremental-parent.js';
import { type Referenced, referenceUnchanged } from './incremental-reference.js';
import { manifestJson } from './manifest.js';
import {
  readMetadata,
  type ServerMetadata,
  type StartInfo,
  type StopInfo,
  serverVersion,
  startBackup,
} from './pg-backup-api.js';
import { checkAccess, checkArchiving, checkCompression, checkPgdata } from './preflight.js';
import { prepareRepoFolders } from './repo-folders.js';
import { stopSequence } from './stop-sequence.js';
import { collectTrees, copyStats, finalMembers } from './trees.js';
import {
  type BackupPhase,
  type BackupResult,
  type CreateBackupOptions,
  DEFAULT_ARCHIVE_WAIT,
} from './types.js';

export async function createBackup(o: CreateBackupOptions): Promise<BackupResult> {
  checkCompression(o.compression);
  const compression = o.compression as TarCompression;
  const signal = o.signal ?? new AbortController().signal;
  const level = o.compressionLevel ?? (compression === 'gzip' ? 1 : undefined);
  const t0 = Date.now();
  const timings: Record<BackupPhase, number> = { connect: 0, start: 0, copy: 0, stop: 0, finish: 0 };
  let phase: BackupPhase = 'connect';
  let phaseStart = t0;
  let done = 0;
  let total = 0;
  let stored = 0;
  let backupId: string | undefined;
  const report = (message?: string) =>
    o.onProgress?.({
      phase,
      bytesDone: done,
      bytesTotal: total,
      bytesStored: stored,
      ...(backupId ? { backupId } : {}),
      ...(message ? { message } : {}),
    });
  const enter = (next: BackupPhase, message?: string) => {
    timings[phase] += (Date.now() - phaseStart) / 1000;
    phase = next;
    phaseStart = Date.now();
    report(message);
  };

  report('connecting to PostgreSQL');
  const client: pg.Client = await connect(o.connection, {
    application: 'pgdr_backup',
    setting: 'postgres.connection',
  });
  let start: StartInfo | undefined;
  let stop: StopInfo | undefined;
  let meta: ServerMetadata | undefined;
  try {
    await checkAccess(client, await serverVersion(client));
    meta = await readMetadata(client);
    checkArchiving(meta);
    const pgdata = o.pgdata ?? meta.dataDirectory;
    await checkPgdata(pgdata, meta);
    // The parent is resolved before anything is written: a refusal leaves no FAILED backup.info behind.
    let parent: IncrementalParent | undefined;
    if (o.incremental) {
      const q = {
        serverName: o.serverName,
        systemId: meta.systemId,
        timeline: await currentTimeline(client),
        from: o.incremental.from,
      };
      parent = await findParent({ ...q, store: o.store, signal });
      if (parent === undefined && !o.incremental.orFull) throw noParentError(q);
      if (parent === undefined) report('no backup to start an incremental from: taking a full backup');
    }
    backupId = await reserveBackupId(o.store, o.serverName, o.now ?? (() => new Date()), signal);
    const prefix = parent
      ? incrementalPrefix(o.serverName, backupId).slice(0, -1)
      : `${o.serverName}/base/${backupId}`;
    if (o.fileRepository !== undefined)
      await prepareRepoFolders({
        root: o.fileRepository,
        serverName: o.serverName,
        backupFolder: prefix,
        pgdata,
      });
    let referenced: Referenced | undefined;
    let blocks: BlockLevel | undefined;
    // A refusal before anything is uploaded, recorded nowhere in the bucket.
    let unrecorded: unknown;
    try {
      enter(
        'start',
        `starting backup ${backupId}${o.immediateCheckpoint ? '' : ' (waiting for a checkpoint)'}`,
      );
      start = await startBackup(
        client,
        `Barman backup cloud ${backupId}`,
        o.immediateCheckpoint,
        meta.versionNum,
      );
      if (parent && parent.info.timeline !== start.timeline) {
        unrecorded = new PgdrError(
          'REFUSED',
          `the server is on timeline ${start.timeline} since the backup started, its parent ${parent.info.backupId} on timeline ${parent.info.timeline}`,
          { hint: 'run the backup again' },
        );
        throw unrecorded;
      }
      report(`backup started at ${start.lsn}: listing the files`);
      const trees = await collectTrees(pgdata, meta, signal, o.jobs);
      if (parent) {
        report(`incremental from ${parent.info.backupId}: comparing files with its manifest`);
        referenced = await referenceUnchanged({
          parts: trees.parts,
          parent: parent.files.files,
          jobs: o.jobs,
          signal,
        });
        blocks = await blockLevel({
          client,
          versionNum: meta.versionNum,
          timeline: start.timeline,
          parentStart: parent.info.beginXlog,
          start: start.lsn,
          backupId,
          parts: referenced.parts,
          parent: parent.files.files,
          crcs: referenced.crcs,
          jobs: o.jobs,
          fileOnly: o.incremental?.level === 'file',
        });
        report(
          blocks.level === 'block'
            ? `block level: ${blocks.blocks.length} relation files as their changed blocks`
            : `file level: ${blocks.fallbackReason}`,
        );
        trees.parts = blocks.parts;
        trees.bytes = blocks.parts.reduce((n, p) => n + p.bytes, 0);
      }
      total = trees.bytes;
      enter('copy', `copying ${trees.parts.length} tars`);
      let lastReport = 0;
      const tick = () => {
        const now = Date.now();
        if (now - lastReport >= 200) {
          lastReport = now;
          report();
        }
      };
      const m = meta;
      const begin = start;
      const parts: CopiedPart[] = await copyTars({
        store: o.store,
        prefix,
        compression,
        level,
        jobs: o.jobs,
        parts: trees.parts,
        signal,
        onRead: (n) => {
          done += n;
          tick();
        },
        onStored: (n) => {
          stored += n;
          tick();
        },
        finalMembers: () =>
          finalMembers({
            pgdata,
            meta: m,
            stop: async () => {
              enter('stop', 'stopping the backup (waiting for WAL archiving)');
              const id = backupId!;
              stop = await stopSequence({
                client,
                meta: m,
                pgdata,
                backupId: id,
                start: begin,
                signal,
                wait: { ...DEFAULT_ARCHIVE_WAIT, ...o.archiveWait },
                onSlow: report,
                onStep: report,
              });
              enter('finish', 'closing the tars');
              return stop;
            },
          }),
      });
      report('tars stored: writing the manifest and backup.info');
      const manifest = manifestJson({ backupId, compression, level, parts });
      await o.store.put(`${prefix}/pgdr.json`, Buffer.from(manifest), { signal });
      if (parent && referenced && blocks) {
        const doc = chainJson({
          backupId,
          parent: parent.info.backupId,
          chain: parent.chain,
          level: blocks.level,
          ...(blocks.fallbackReason !== undefined ? { fallbackReason: blocks.fallbackReason } : {}),
          references: referenced.references,
          referenceMtimes: referenced.referenceMtimes,
          ...(blocks.blocks.length > 0 ? { blocks: blocks.blocks, readCrcs: blocks.readCrcs } : {}),
        });
        await o.store.put(`${prefix}/${CHAIN_NAME}`, Buffer.from(doc), { signal });
      }
      const info = backupInfoText({
        status: 'DONE',
        meta,
        start,
        stop: stop!,
        copyStats: copyStats(parts, (Date.now() - t0) / 1000, o.jobs),
        ...(o.backupName !== undefined ? { backupName: o.backupName } : {}),
        ...(parent ? { parentBackupId: parent.info.backupId } : {}),
        ...(blocks ? { incrementalLevel: blocks.level } : {}),
        ...(blocks?.fallbackReason !== undefined ? { fallbackReason: blocks.fallbackReason } : {}),
      });
      await o.store.put(`${prefix}/backup.info`, Buffer.from(info), { signal });
      enter('finish', `backup ${backupId} done`);
      const s = stop!;
      return {
        backupId,
        backupName: o.backupName ?? null,
        beginLsn: start.lsn,
        endLsn: s.lsn,
        beginWal: walSegmentFromLsn(start.lsn, start.timeline, meta.segmentSize),
        endWal: walSegmentFromLsn(s.lsn, s.timeline, meta.segmentSize),
        objects: parts.map((p) => ({
          key: p.key,
          dataBytes: p.plan.bytes,
          storedBytes: p.storedBytes,
          files: p.files.length,
        })),
        dataBytes: total,
        storedBytes: stored,
        timings,
        totalSeconds: (Date.now() - t0) / 1000,
        ...(o.incremental && !parent ? { fullInsteadOfIncremental: true as const } : {}),
        ...(parent && referenced && blocks
          ? {
              incremental: {
                parentBackupId: parent.info.backupId,
                chain: [...parent.chain, backupId],
                level: blocks.level,
                ...(blocks.fallbackReason !== undefined ? { fallbackReason: blocks.fallbackReason } : {}),
                blockFiles: blocks.blocks.length,
                blockFileBytes: blocks.wholeBytes,
                blockBytes: blocks.blockBytes,
                referencedFiles: referenced.references.length,
                referencedBytes: referenced.referencedBytes,
              },
            }
          : {}),
      };
    } catch (caught) {
      // An abort surfaces from the streams as 'Premature close' and the like: report the abort itself.
      const e = signal.aborted ? abortError(signal.reason) : caught;
      if (caught === unrecorded) throw e;
      await writeFailedInfo({
        store: o.store,
        prefix,
        backupName: o.backupName,
        meta,
        start,
        stop,
        error: e,
        phase,
      });
      throw e;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function abortError(reason: unknown): PgdrError {
  if (reason instanceof PgdrError) return reason;
  return new PgdrError('ABORTED', 'the backup was interrupted', { cause: reason });
}
