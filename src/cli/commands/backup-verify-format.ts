// Renders `pgdr backup verify` results: a block per backup for a DBA, or one JSON document.
import type { BackupVerifyReport, Finding } from '../../engine/verify-backup/types.js';
import { bytes } from '../output.js';

export interface VerifiedBackup {
  readonly report: BackupVerifyReport;
  /** The record's key in the bucket, or null (see recordWarning). */
  readonly recordedAt: string | null;
  readonly recordWarning: string | null;
}

export interface VerifyRun {
  readonly serverName: string;
  readonly destination: string;
  readonly verified: readonly VerifiedBackup[];
  /** Backups whose backup.info cannot be read: each one a failure. */
  readonly unreadable: readonly { readonly backupId: string; readonly error: string }[];
  /** Backups --all left out (not DONE). */
  readonly skipped: readonly { readonly backupId: string; readonly status: string }[];
}

export function runResult(r: VerifyRun): { result: 'pass' | 'fail'; partial: boolean } {
  const failed = r.unreadable.length > 0 || r.verified.some((v) => v.report.result === 'fail');
  return { result: failed ? 'fail' : 'pass', partial: r.verified.some((v) => v.report.partial) };
}

export function verifyJson(r: VerifyRun): unknown {
  return {
    serverName: r.serverName,
    destination: r.destination,
    ...runResult(r),
    backups: r.verified.map((v) => ({
      ...v.report,
      recorded: v.recordedAt,
      recordWarning: v.recordWarning,
    })),
    unreadable: r.unreadable,
    skipped: r.skipped,
  };
}

export function verifyText(r: VerifyRun): string {
  const out: string[] = [];
  for (const v of r.verified) out.push(...backupLines(v), '');
  for (const u of r.unreadable) out.push(`Backup ${u.backupId}: FAIL — ${u.error}`, '');
  if (r.skipped.length) {
    out.push(`Not verified (not DONE): ${r.skipped.map((s) => `${s.backupId} ${s.status}`).join(', ')}`, '');
  }
  const { result, partial } = runResult(r);
  const n = r.verified.length + r.unreadable.length;
  const failed = r.verified.filter((v) => v.report.result === 'fail').length + r.unreadable.length;
  const what = n === 1 ? 'the backup' : `${n} backups`;
  out.push(
    result === 'pass'
      ? `Verdict: PASS${partial ? ' (partial)' : ''}: ${what} read back whole${partial ? ', but not everything could be checked (see "partial" above)' : ''}`
      : `Verdict: FAIL: ${n === 1 ? 'the backup' : `${failed} of ${n} backups`} failed verification`,
  );
  return out.join('\n');
}

function backupLines(v: VerifiedBackup): string[] {
  const b = v.report;
  const verdict = `${b.result.toUpperCase()}${b.partial ? ' (partial)' : ''}`;
  const lines = [
    `Backup ${b.backupId} (${b.writer}-written, ${b.status}): ${verdict}`,
    `  read ${b.objects} objects (${bytes(b.storedBytes)} stored): ${b.tars.length} tars, ${b.files} files, ${bytes(b.bytes)}`,
    `  manifest: ${b.manifestChecked ? `sizes and CRC-32s checked for ${b.files} files` : 'not checked'}`,
    `  pages: ${pagesText(b)}`,
  ];
  if (b.failureCount > 0) {
    lines.push(
      `  failures (${b.failureCount}${b.failureCount > b.failures.length ? `, first ${b.failures.length} shown` : ''}):`,
    );
    for (const f of b.failures) lines.push(`    ${findingText(f)}`);
  }
  for (const w of b.warnings) lines.push(`  warning: ${findingText(w)}`);
  for (const n of b.notes) lines.push(`  partial: ${n}`);
  if (v.recordedAt) lines.push(`  recorded in ${v.recordedAt}`);
  if (v.recordWarning) lines.push(`  warning: ${v.recordWarning}`);
  return lines;
}

function pagesText(b: BackupVerifyReport): string {
  const p = b.pages;
  if (p.state === 'off') return 'not checked (data checksums are off)';
  if (p.state === 'not-checked') return 'not checked';
  const skipped = [
    p.skippedNew ? `${p.skippedNew} new (all-zero)` : '',
    p.skippedChanged ? `${p.skippedChanged} written during the backup` : '',
    p.skippedTruncatedFiles ? `${p.skippedTruncatedFiles} files shrunk while copied` : '',
    p.partialTails ? `${p.partialTails} partial last pages` : '',
  ].filter(Boolean);
  return `${p.checked} checked in ${p.relationFiles} relation files, ${p.failed} bad${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`;
}

function findingText(f: Finding): string {
  return f.message.includes(f.key) ? f.message : `${f.message} (in ${f.key})`;
}
