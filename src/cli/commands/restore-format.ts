// Rendering of `pgdr restore` results: the plan, what was done, how to reach the server, and the timings.

import type { ManifestState } from '../../catalog/backup-manifest.js';
import { formatIsoTime } from '../../catalog/backup-time.js';
import type { RestoreChecks, RestoreResult } from '../../engine/restore/restore.js';
import { describeMarker } from '../../engine/restore/restore-marker.js';
import { describeTarget } from '../../engine/restore/target.js';
import { shCommand } from '../../shell-quote.js';
import { bytes, table } from '../output.js';
import { stepsTable } from '../steps-text.js';

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
      tars: plan.tars.map((t) => ({
        key: t.key,
        size: t.size,
        compression: t.compression,
        dest: t.dest,
        maxBytes: t.maxBytes ?? null,
      })),
      tablespaces: plan.tablespaces.map((t) => ({
        name: t.name,
        oid: t.oid,
        location: t.location,
        dest: t.dest,
        mapped: t.mapped,
      })),
      manifest: manifestJson(plan.manifest),
      unfinished: plan.folders
        .filter((f) => f.unfinished !== null)
        .map((f) => ({ dir: f.dir, previous: f.unfinished })),
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
    delta: r.download?.delta ?? (plan.delta ? null : undefined),
    restarted: r.restarted,
    checks: r.checks,
    synced: r.synced,
    recovery: r.recoveryConfig
      ? {
          configFile: r.recoveryConfig.configFile,
          settings: Object.fromEntries(r.recoveryConfig.settings),
        }
      : null,
    server: r.server,
    confirmation: r.confirmation,
    stages: r.stages,
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
        ...plan.tablespaces.map((t) => [
          `Tablespace ${t.name}`,
          t.mapped
            ? `${t.dest} (--tablespace; was ${t.location}, oid ${t.oid})`
            : `${t.dest} (its original location, oid ${t.oid})`,
        ]),
        ['Manifest', manifestText(plan.manifest)],
      ],
    ).replace(/^\s*\n/, ''),
  );
  for (const n of plan.notes) out.push(`note: ${n}`);
  if (r.download === null) {
    out.push('', 'Plan only (--plan): nothing was written.');
    return out.join('\n');
  }
  out.push('');
  for (const f of r.restarted) {
    out.push(
      plan.delta
        ? `Finished an unfinished delta restore in ${f.dir} (${describeMarker(f.previous)}), which held pgdr's marker.`
        : `Restarted an unfinished restore: cleared ${f.dir} (${describeMarker(f.previous)}), which held pgdr's marker.`,
    );
  }
  const d = r.download.delta;
  out.push(
    d === undefined
      ? `Extracted ${r.download.files} files (${bytes(r.download.extractedBytes)}) from ${r.download.tars} tar(s).`
      : `Delta restore: kept ${d.keptFiles} files, wrote ${d.fetchedFiles} (${bytes(d.bytesWritten)}), removed ${d.removedFiles}; downloaded ${d.fetchedTars} of ${d.fetchedTars + d.skippedTars} tar(s) (${bytes(r.download.downloadedBytes)}).`,
  );
  if (r.checks) out.push(checksText(r.checks));
  if (r.synced) {
    out.push(
      `Synced ${r.synced.files} files and ${r.synced.dirs} folders to disk (${r.synced.seconds.toFixed(1)} s).`,
    );
  }
  if (r.recoveryConfig)
    out.push(
      `Recovery settings in ${plan.dir}/postgresql.auto.conf; restore_command reads ${r.recoveryConfig.configFile}.`,
    );
  const c = r.confirmation;
  if (c) {
    out.push(
      `Recovery ${c.state}: timeline ${c.timeline ?? '?'}, last replayed LSN ${c.replayLsn ?? '?'}, last replayed transaction ${c.lastReplayedTransaction ?? 'none'}.`,
    );
  } else
    out.push(
      `PostgreSQL was not started (--no-start); start it as the server's OS user: ${shCommand(['pg_ctl', '-D', plan.dir, 'start'])}`,
    );
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
  // The stages' sum is the RTO (restore-stages.ts).
  const rto = r.stages.reduce((n, s) => n + s.durationMs, 0);
  out.push(
    '',
    stepsTable(r.stages, {
      head: ['Stage', 'Status', 'Time'],
      columns: [['Detail', (s) => s.detail]],
      total: ['total (RTO)', r.stages.every((s) => s.status === 'pass') ? 'done' : 'partial', rto],
    }),
  );
  return out.join('\n');
}

function manifestJson(m: ManifestState): Record<string, unknown> {
  if (m.kind === 'present') {
    const files = [...m.tars.values()].reduce((n, t) => n + t.files.size, 0);
    return { kind: m.kind, key: m.key, tars: m.tars.size, files };
  }
  return m.kind === 'skipped' ? { kind: m.kind, key: m.key, reason: m.reason } : { kind: m.kind };
}

function manifestText(m: ManifestState): string {
  if (m.kind === 'present') {
    const files = [...m.tars.values()].reduce((n, t) => n + t.files.size, 0);
    return `${m.key}: ${files} files in ${m.tars.size} tar(s), each checked (size and CRC-32) as it is extracted`;
  }
  if (m.kind === 'skipped') return `${m.key}: not checked (${m.reason})`;
  return 'none (a barman-cloud backup): files are not checked one by one';
}

function checksText(c: RestoreChecks): string {
  const t = c.tree;
  const parts = [
    `PG_VERSION ${t.pgVersion}`,
    t.pgControl === 'crc' ? 'global/pg_control (CRC-32C)' : 'global/pg_control (size only)',
    `backup_label (from WAL ${t.backupLabelWal})`,
  ];
  const m =
    c.manifest.kind === 'present'
      ? `; ${c.manifest.files} files match the backup's manifest`
      : c.manifest.kind === 'skipped'
        ? `; the manifest was not checked (${c.manifest.reason})`
        : '; no pgdr manifest (a barman-cloud backup)';
  return `Checked: ${parts.join(', ')}${m}.`;
}
