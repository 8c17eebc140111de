// Base backups through the plugin: the runbook's daily ScheduledBackup and an on-demand Backup (pre-failback).
import { PgdrError } from '../errors.js';
import { BARMAN_PLUGIN, CNPG_API, type Manifest, type ManifestSource, meta } from './manifest-types.js';

/** The runbook's daily 06:00 UTC; CloudNativePG schedules have six fields, seconds first (robfig/cron). */
const DAILY_AT_SIX = '0 0 6 * * *';
const SIX_FIELDS = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \S+)|(\S+\s+){5}\S+)$/;

export interface ScheduledBackupOptions {
  readonly namespace?: string | undefined;
  readonly cluster?: string | undefined;
  readonly schedule?: string | undefined;
  readonly name?: string | undefined;
}

export function scheduledBackupManifest(src: ManifestSource, opts: ScheduledBackupOptions = {}): Manifest {
  const schedule = opts.schedule ?? DAILY_AT_SIX;
  if (!SIX_FIELDS.test(schedule.trim())) {
    throw new PgdrError('USAGE', `schedule '${schedule}' does not have six fields`, {
      hint: `CloudNativePG schedules start with seconds: '${DAILY_AT_SIX}' is every day at 06:00:00 UTC`,
    });
  }
  const cluster = opts.cluster ?? src.k8s.cluster;
  return {
    object: {
      apiVersion: CNPG_API,
      kind: 'ScheduledBackup',
      metadata: meta(opts.name ?? `${cluster}-daily`, opts.namespace ?? src.k8s.namespace),
      spec: {
        schedule,
        cluster: { name: cluster },
        method: 'plugin',
        pluginConfiguration: { name: BARMAN_PLUGIN },
        backupOwnerReference: 'self',
      },
    },
    notes: [`Six-field schedule (seconds first): ${schedule}, in UTC.`],
  };
}

export interface BackupOptions {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly cluster?: string | undefined;
}

/**
 * An on-demand Backup (before a failback). No pluginConfiguration.parameters: the plugin takes the ObjectStore
 * and serverName from the Cluster's own spec.plugins entry and ignores a barmanObjectName given here.
 */
export function backupManifest(src: ManifestSource, opts: BackupOptions): Manifest {
  const cluster = opts.cluster ?? src.k8s.cluster;
  return {
    object: {
      apiVersion: CNPG_API,
      kind: 'Backup',
      metadata: meta(opts.name, opts.namespace ?? src.k8s.namespace),
      spec: { cluster: { name: cluster }, method: 'plugin', pluginConfiguration: { name: BARMAN_PLUGIN } },
    },
    notes: [
      `Writes to the ObjectStore and serverName of ${cluster}'s spec.plugins entry (isWALArchiver).`,
      'The plugin ignores barmanObjectName in a Backup (pluginConfiguration.parameters): to back up to another',
      `ObjectStore or serverName (e.g. before a failback), change ${cluster}'s plugin entry first:`,
      `pgdr k8s manifests cluster-plugin (kubectl patch cluster ${cluster} --type merge -p ...).`,
    ],
  };
}
