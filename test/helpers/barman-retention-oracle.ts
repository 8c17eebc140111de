// barman 3.4's own retention code (RetentionPolicyFactory, cloud_backup_delete._delete_backup) run on made-up
// catalogs, as an oracle for pgdr's pure retention logic: the catalog and the cloud are fakes, the decisions real.
import { execFileSync } from 'node:child_process';

export interface OracleBackup {
  readonly id: string;
  readonly status: string;
  readonly beginWal: string;
  readonly endWal: string;
  readonly timeline: number;
  /** Seconds since the epoch. */
  readonly endTime: number;
  readonly keep: string | null;
}

export interface OracleScenario {
  readonly backups: readonly OracleBackup[];
  /** WAL names (no compression suffix); each stored as `wals/<name>`. */
  readonly wals: readonly string[];
  /** A policy for a `-r` run, or a backup ID for a `-b` run. */
  readonly policy?: string;
  readonly backupId?: string;
}

export interface OracleResult {
  /** Empty for a `-b` run. */
  readonly report: Record<string, string>;
  /** Per deleted backup (in order): its ID and the WAL names deleted after it. */
  readonly deleted: { readonly id: string; readonly wals: string[] }[];
}

const PY = `
import sys, json, datetime
from dateutil import tz
from barman.infofile import BackupInfo
from barman.retention_policies import RetentionPolicyFactory
from barman.clients import cloud_backup_delete as cbd

class Catalog:
    prefix = 'srv/base'
    unreadable_backups = []
    def __init__(self, s):
        self.backups = {}
        self.keeps = {}
        for b in s['backups']:
            end = datetime.datetime.fromtimestamp(b['endTime'], tz.tzutc())
            self.backups[b['id']] = BackupInfo(b['id'], status=b['status'], begin_wal=b['beginWal'],
                end_wal=b['endWal'], timeline=b['timeline'], end_time=end)
            if b['keep'] is not None: self.keeps[b['id']] = b['keep']
        self.wals = {w: 'srv/wals/' + w for w in s['wals']}
    def get_backup_list(self): return self.backups
    def get_backup_info(self, i): return self.backups.get(i)
    def get_keep_target(self, i, use_cache=True): return self.keeps.get(i)
    def should_keep_backup(self, i, use_cache=True): return i in self.keeps
    def get_backup_files(self, info, allow_missing=False): return {}
    def get_wal_paths(self): return self.wals
    def remove_wal_from_cache(self, n): self.wals.pop(n)
    def remove_backup_from_cache(self, i): self.backups.pop(i)

class Cloud:
    def __init__(self): self.deleted = []
    def delete_objects(self, paths): self.deleted.extend(paths)

out = []
for s in json.load(sys.stdin):
    cat, cloud = Catalog(s), Cloud()
    report, ids = {}, []
    if s.get('policy'):
        p = RetentionPolicyFactory.create('retention_policy', s['policy'], server_name='srv', catalog=cat)
        report = p.report()
        ids = sorted(i for i, st in report.items() if st == 'OBSOLETE')
        skip = False
    else:
        ids, skip = [s['backupId']], True
    deleted = []
    for i in ids:
        cloud.deleted = []
        cbd._delete_backup(cloud, cat, i, False, skip_wal_cleanup_if_standalone=skip)
        wals = sorted(p[len('srv/wals/'):] for p in cloud.deleted if p.startswith('srv/wals/'))
        deleted.append({'id': i, 'wals': wals})
    out.append({'report': report, 'deleted': deleted})
json.dump(out, sys.stdout)
`;

export function barmanRetentionOracle(scenarios: readonly OracleScenario[]): OracleResult[] {
  const stdout = execFileSync('/usr/bin/python3', ['-c', PY], {
    input: JSON.stringify(scenarios),
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TZ: 'UTC' },
  });
  return JSON.parse(stdout.toString('utf8')) as OracleResult[];
}
