// Incremental chains that cannot be restored because a link is gone: barman-cloud-backup-delete (its -r
// retention or -b) knows nothing of pgdr's chains and may delete the full backup one needs. status and
// backup list name each such chain instead of counting it as a restore point.
import type { BackupInfo } from '../catalog/backup-info.js';
import type { Verdict } from '../catalog/recovery-verdict.js';
import { missingLink } from './backup/incremental-parent.js';

export interface BrokenChain {
  /** The DONE incremental that cannot be restored. */
  readonly backupId: string;
  /** The first backup up its chain that is missing or not DONE. */
  readonly missing: string;
}

export function brokenChains(
  fulls: readonly BackupInfo[],
  incrementals: readonly BackupInfo[],
): BrokenChain[] {
  const byId = new Map([...fulls, ...incrementals].map((b) => [b.backupId, b]));
  const broken: BrokenChain[] = [];
  for (const b of incrementals) {
    if (b.status !== 'DONE') continue;
    const missing = missingLink(b, byId);
    if (missing !== undefined) broken.push({ backupId: b.backupId, missing });
  }
  return broken;
}

export function brokenChainText(b: BrokenChain): string {
  return `incremental backup ${b.backupId} cannot be restored: its chain needs backup ${b.missing}, which is missing or not DONE (was it deleted outside pgdr retention apply?)`;
}

/** The verdict with the broken chains among its warnings: after the failures, before the other warnings. */
export function withChainWarnings(v: Verdict, broken: readonly BrokenChain[]): Verdict {
  if (broken.length === 0) return v;
  const warns = broken.map(brokenChainText);
  if (v.level === 'fail') return { ...v, reasons: [...v.reasons, ...warns] };
  const reasons = [...warns, ...(v.level === 'warn' ? v.reasons : [])];
  return { level: 'warn', text: `warn: ${reasons[0]}`, reasons };
}
