// Rendering of `pgdr restore` results: the plan, what was done, how to reach the server, and the timings.
import { formatIsoTime } from '../../catalog/backup-time.js';
import type { RestoreResult } from '../../engine/restore/restore.js';
import { describeTarget } from '../../engine/restore/target.js';
import { bytes, table } from '../output.js';

export function restoreJson(r: RestoreResult): Record<string, unknown> {
  const { plan } = r;
  return {
    serverName: plan.serverName,
    destination: plan.destination,
    dir: plan.dir,
    planOnly: r.download === null,
    plan: {
      backupId: plan.backup.backupId,
      backupName: plan.backup.backupName,
      backupEndTime: plan.backup.endTime ? formatIsoTime(plan.backup.endTime) : null,
      backupEndLsn: plan.backup.endXlog,
      reason: plan.reason,
      postgresMajor: plan.major,
      postgresBinDir: plan.binaries?.binDir ?? null,
      target: describeTarget(plan.target),
      targetKind: plan.target.kind,
      timeline: plan.timeline,
      timelineSetting: plan.timelineSetting,
      tars: plan.tars.map((t) => ({ key: t.key, size: t.size, compression: t.compression, dest: t.dest })),
      tarBytes: plan.tarBytes,
      wal: {
        from: plan.wal.from,
        to: plan.wal.to,
        segments: plan.wal.segments,
        bytes: plan.wal.bytes,
        historyFiles: plan.wal.historyFiles,
        lastArchived: plan.wal.lastArchived,
      },
      totalBytes: plan.totalBytes,
      estimatedSeconds: plan.estimatedSeconds,
      notes: plan.notes,
    },
    download: r.download,
    recovery: r.recoveryConfig
      ? {
          configFile: r.recoveryConfig.configFile,
          settings: Object.fromEntries(r.recoveryConfig.settings),
        }
      : null,
    server: r.server,
    confirmation: r.confirmation,
    timings: r.timings,
  };
}

export function restoreText(r: RestoreResult): string {
  const { plan } = r;
  const out: string[] = [];
  const b = plan.backup;
  out.push(`Restore plan for ${plan.serverName} (${plan.destination})`);
  out.push(
    table(
      ['', ''],
      [
        ['Backup', `${b.backupId}${b.backupName ? ` (${b.backupName})` : ''}: ${plan.reason}`],
        [
          'Backup end',
          `${b.endTime ? formatIsoTime(b.endTime) : '?'}  LSN ${b.endXlog ?? '?'}  timeline ${b.timeline}`,
        ],
        [
          'Target',
          `${describeTarget(plan.target)} on timeline ${plan.timeline} (recovery_target_timeline = ${plan.timelineSetting})`,
        ],
        [
          'Tars',
          `${plan.tars.length}, ${bytes(plan.tarBytes)} (${[...new Set(plan.tars.map((t) => t.compression))].join(', ')})`,
        ],
        [
          'WAL',
          `${plan.wal.from} .. ${plan.wal.to}: ${plan.wal.segments} segment(s), ${bytes(plan.wal.bytes)}${plan.wal.historyFiles.length ? ` + ${plan.wal.historyFiles.join(', ')}` : ''}`,
        ],
        ['Download', `${bytes(plan.totalBytes)} in all; estimated time about ${plan.estimatedSeconds} s`],
        [
          'PostgreSQL',
          `${plan.major}${plan.binaries ? ` (${plan.binaries.version} in ${plan.binaries.binDir})` : ''}`,
        ],
        ['Into', plan.dir],
      ],
    ).replace(/^\s*\n/, ''),
  );
  for (const n of plan.notes) out.push(`note: ${n}`);
  if (r.download === null) {
    out.push('', 'Plan only (--plan): nothing was written.');
    return out.join('\n');
  }
  out.push(
    '',
    `Extracted ${r.download.files} files (${bytes(r.download.extractedBytes)}) from ${r.download.tars} tar(s).`,
  );
  if (r.recoveryConfig)
    out.push(
      `Recovery settings in ${plan.dir}/postgresql.auto.conf; restore_command reads ${r.recoveryConfig.configFile}.`,
    );
  const c = r.confirmation;
  if (c) {
    out.push(
      `Recovery ${c.state}: timeline ${c.timeline ?? '?'}, last replayed LSN ${c.replayLsn ?? '?'}, last replayed transaction ${c.lastReplayedTransaction ?? 'none'}.`,
    );
  } else out.push('PostgreSQL was not started (--no-start); start it with pg_ctl -D DIR start.');
  if (r.server) {
    out.push(`Connect: psql "host=127.0.0.1 port=${r.server.port} user=postgres dbname=postgres"`);
    out.push(`Stop:    ${r.server.stopCommand}`);
    out.push(`Log:     ${r.server.logFile}`);
    const started = Object.entries(r.server.startSettings ?? {});
    if (started.length > 0)
      out.push(
        `Started with ${started.map(([k, v]) => `${k}=${v}`).join(' ')} for the replay only (command line, not in postgresql.auto.conf): in effect until the next restart.`,
      );
  }
  const t = r.timings;
  const s = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} s`);
  out.push(
    '',
    table(
      ['Stage', 'Time'],
      [
        ['plan', s(t.planSeconds)],
        ['download+extract', s(t.downloadSeconds)],
        ['WAL replay', s(t.replaySeconds)],
        ['promote', t.promoteSeconds === null && c?.state === 'promoted' ? 'in replay' : s(t.promoteSeconds)],
        ['total (RTO)', s(t.totalSeconds)],
      ],
    ),
  );
  return out.join('\n');
}
