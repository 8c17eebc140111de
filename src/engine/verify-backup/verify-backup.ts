// Verifies one backup without restoring it: every tar is read from the store through decompression and the
// TarReader (structure, member sizes, end-of-archive), checked against the pgdr manifest where there is one,
// and, when global/pg_control says the cluster has data checksums, every data page is checked. Read-only on
// the store; memory stays bounded (streams, at most `jobs` tars at once, capped lists of findings).
import { Transform } from 'node:stream';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { MANIFEST_NAME, type ManifestTar, readBackupManifest } from '../../catalog/backup-manifest.js';
import { incrementalPrefix } from '../../catalog/incremental-chain.js';
import { parseLsn } from '../../catalog/wal-name.js';
import { mapLimit } from '../../common/map-limit.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import type { ObjectInfo } from '../../storage/object-store.js';
import { TarReader } from '../../tar/reader.js';
import { readStoredTar } from '../../tar/stored-tar.js';
import { type BackupTar, backupTars } from '../restore/backup-files.js';
import { planChain } from '../restore/chain-plan.js';
import { FindingList } from './findings.js';
import { type Lsn, PageChecks } from './page-scan.js';
import { judgePages } from './pages-verdict.js';
import { REQUIRED_MEMBERS, TarVerifier } from './tar-verifier.js';
import type { BackupVerifyReport, VerifyBackupOptions } from './types.js';

interface TarRun {
  readonly tar: BackupTar;
  readonly v: TarVerifier;
  readonly ok: boolean;
}

export async function verifyBackup(backup: BackupInfo, o: VerifyBackupOptions): Promise<BackupVerifyReport> {
  const startedAt = new Date().toISOString();
  const prefix = o.chainCatalog
    ? incrementalPrefix(o.serverName, backup.backupId)
    : `${o.serverName}/base/${backup.backupId}/`;
  const failures = new FindingList();
  if (o.chainCatalog) await checkChain(backup, o.chainCatalog, o, prefix, failures);
  const notes: string[] = [];
  const listed = await o.store.list(prefix, { signal: o.signal });
  let tars: BackupTar[] = [];
  if (backup.snapshotsInfo !== null) {
    notes.push('a snapshot backup: its data lives in disk snapshots, not in the bucket, so no tar was read');
  } else {
    try {
      tars = backupTars(backup, listed.objects, prefix);
    } catch (e) {
      if (!isPgdrError(e, 'CATALOG_INVALID')) throw e;
      failures.add({ kind: 'object', key: `${prefix}data.tar`, message: e.message });
    }
  }
  const manifest = await manifestOf(backup, prefix, listed.objects, o, failures, notes);
  if (manifest) compareObjects(manifest, tars, prefix, failures);
  const start = startLsn(backup.beginXlog);
  if (start === null) {
    notes.push(
      'backup.info has no valid begin_xlog, so pages written during the backup cannot be told apart: pages not checked',
    );
  }
  const pages = start ? new PageChecks(start) : null;
  const runs = await readTars(backup.backupId, tars, manifest, pages, o, failures);
  for (const r of runs) failures.addAll(r.v.failures);
  const dataRuns = runs.filter((r) => r.tar.oid === null);
  // An incremental's tars hold only what changed: the chain check above covers the members it takes elsewhere.
  if (!o.chainCatalog && dataRuns.length > 0 && dataRuns.every((r) => r.ok)) {
    for (const m of REQUIRED_MEMBERS) {
      if (dataRuns.some((r) => r.v.present.has(m))) continue;
      failures.add({
        kind: 'tar',
        key: dataRuns[0]!.tar.key,
        member: m,
        message: `${m} is missing from the data tar: a restore would refuse this backup`,
      });
    }
  }
  const withControl = dataRuns.find((r) => r.v.control !== null);
  const pageSummary = judgePages({
    control: withControl ? { key: withControl.tar.key, bytes: withControl.v.control! } : null,
    pages,
    truncatedFiles: runs.reduce((n, r) => n + r.v.truncatedRelationFiles(), 0),
    failures,
    notes,
  });
  return {
    backupId: backup.backupId,
    serverName: o.serverName,
    status: backup.status,
    writer: listed.objects.some((x) => x.key === `${prefix}${MANIFEST_NAME}`) ? 'pgdr' : 'barman',
    result: failures.count > 0 ? 'fail' : 'pass',
    partial: notes.length > 0,
    startedAt,
    finishedAt: new Date().toISOString(),
    objects: 1 + (manifest ? 1 : 0) + runs.length,
    storedBytes: tars.reduce((n, t) => n + t.size, 0),
    files: runs.reduce((n, r) => n + r.v.files, 0),
    bytes: runs.reduce((n, r) => n + r.v.bytes, 0),
    manifestChecked: manifest !== null,
    pages: pageSummary.summary,
    tars: runs.map((r) => ({
      key: r.tar.key,
      compression: r.tar.compression,
      storedBytes: r.tar.size,
      members: r.v.members,
      files: r.v.files,
      bytes: r.v.bytes,
      relationFiles: r.v.relationFiles,
      ok: r.ok && r.v.failures.count === 0,
    })),
    failureCount: failures.count,
    failures: failures.listed,
    warnings: pageSummary.warnings.listed,
    notes,
  };
}

async function manifestOf(
  backup: BackupInfo,
  prefix: string,
  listed: readonly ObjectInfo[],
  o: VerifyBackupOptions,
  failures: FindingList,
  notes: string[],
): Promise<ReadonlyMap<string, ManifestTar> | null> {
  try {
    const m = await readBackupManifest({
      store: o.store,
      prefix,
      listed,
      backupId: backup.backupId,
      signal: o.signal,
    });
    if (m.kind === 'present') return m.tars;
    notes.push(
      m.kind === 'absent'
        ? 'sizes and CRCs not checked (barman backup, no manifest)'
        : `sizes and CRCs not checked: the pgdr manifest was not read (${m.reason})`,
    );
    return null;
  } catch (e) {
    if (!isPgdrError(e, 'CATALOG_INVALID')) throw e;
    failures.add({ kind: 'manifest', key: `${prefix}${MANIFEST_NAME}`, message: e.message });
    notes.push('sizes and CRCs not checked: the pgdr manifest cannot be read');
    return null;
  }
}

/** The manifest's tars against the bucket's: each one there, with the size it was uploaded with. */
function compareObjects(
  m: ReadonlyMap<string, ManifestTar>,
  tars: readonly BackupTar[],
  prefix: string,
  f: FindingList,
): void {
  const names = new Set<string>();
  for (const t of tars) {
    const name = t.key.slice(prefix.length);
    names.add(name);
    const listed = m.get(name);
    if (!listed)
      f.add({ kind: 'object', key: t.key, message: `${t.key} is in the bucket but not in the manifest` });
    else if (listed.storedBytes !== t.size) {
      f.add({
        kind: 'object',
        key: t.key,
        message: `${t.key} is ${t.size} bytes, the manifest says ${listed.storedBytes} were stored`,
      });
    }
  }
  for (const name of m.keys()) {
    if (names.has(name)) continue;
    f.add({
      kind: 'object',
      key: `${prefix}${name}`,
      message: `${prefix}${name} is in the manifest but not in the bucket`,
    });
  }
}

async function readTars(
  backupId: string,
  tars: readonly BackupTar[],
  manifest: ReadonlyMap<string, ManifestTar> | null,
  pages: PageChecks | null,
  o: VerifyBackupOptions,
  failures: FindingList,
): Promise<TarRun[]> {
  const total = tars.reduce((n, t) => n + t.size, 0);
  let done = 0;
  o.onProgress?.({ backupId, bytesDone: 0, bytesTotal: total });
  return mapLimit(tars, Math.max(1, o.jobs), async (tar): Promise<TarRun> => {
    const name = tar.key.slice(tar.key.lastIndexOf('/') + 1);
    const v = new TarVerifier({
      key: tar.key,
      tablespace: tar.oid !== null,
      manifest: manifest?.get(name) ?? null,
      pages,
    });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        o.onProgress?.({ backupId, bytesDone: done, bytesTotal: total });
        cb(null, chunk);
      },
    });
    try {
      const body = await o.store.get(tar.key, { signal: o.signal });
      await readStoredTar(body, tar.compression, new TarReader(v), { counter, signal: o.signal });
      return { tar, v, ok: true };
    } catch (e) {
      if (o.signal?.aborted) throw new PgdrError('ABORTED', 'the verification was interrupted', { cause: e });
      if (isPgdrError(e) && e.code !== 'CATALOG_INVALID' && e.code !== 'NOT_FOUND') throw e;
      const member = isPgdrError(e) && typeof e.details?.member === 'string' ? e.details.member : null;
      const why = isPgdrError(e)
        ? e.message
        : `cannot decompress (${tar.compression}): ${(e as Error).message}`;
      failures.add({ kind: 'tar', key: tar.key, member, message: `${tar.key}: ${why}` });
      return { tar, v, ok: false };
    }
  });
}

async function checkChain(
  backup: BackupInfo,
  catalog: NonNullable<VerifyBackupOptions['chainCatalog']>,
  o: VerifyBackupOptions,
  prefix: string,
  failures: FindingList,
): Promise<void> {
  const tablespaces = (backup.tablespaces ?? []).map((t) => ({
    name: t.name,
    oid: t.oid,
    location: t.location,
    dest: t.location,
    mapped: false,
  }));
  try {
    await planChain({ store: o.store, catalog, backup, dataDir: '/', tablespaces, signal: o.signal });
  } catch (e) {
    if (!isPgdrError(e, 'CATALOG_INVALID')) throw e;
    const key = typeof e.details?.key === 'string' ? e.details.key : `${prefix}pgdr-chain.json`;
    failures.add({ kind: 'manifest', key, message: e.message });
  }
}

function startLsn(text: string | null): Lsn | null {
  if (text === null) return null;
  try {
    const v = parseLsn(text);
    return { hi: Number(v >> 32n), lo: Number(v & 0xffffffffn) };
  } catch {
    return null;
  }
}
