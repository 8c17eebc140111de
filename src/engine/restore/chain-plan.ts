// A restore of a pgdr incremental backup combines its chain: every file of the cluster comes from the one link
// (the full backup or an incremental) that holds its bytes, named in the incremental's pgdr-chain.json. Each
// link's tars are extracted with only the files taken from it (the others are read past), so no file is written
// twice, the links extract in parallel, and each file is checked against the incremental's size and CRC-32 as it
// lands. A link missing from the bucket, or one that lacks a file the chain says it holds, is CATALOG_INVALID
// naming the object, before anything is written.

import { join } from 'node:path';
import { type BackupCatalog, listBackups } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import type { ManifestFile, ManifestState, ManifestTar } from '../../catalog/backup-manifest.js';
import {
  type BackupFiles,
  blockMember,
  fileKey,
  fullPrefix,
  groupOfTar,
  INCREMENTAL_FOLDER,
  incrementalPrefix,
  readBackupFiles,
} from '../../catalog/incremental-chain.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { backupTars } from './backup-files.js';
import type { BlockPatch } from './block-apply.js';
import type { PlannedTar } from './planned-tars.js';
import type { TablespaceDest } from './tablespace-dests.js';

/** The catalog with pgdr's incrementals among the full backups, so that a target or --backup-id may pick one. */
export async function withIncrementals(
  store: ObjectStore,
  catalog: BackupCatalog,
  signal: AbortSignal | undefined,
): Promise<{ catalog: BackupCatalog; incrementals: ReadonlySet<string> }> {
  const incs = await listBackups(store, catalog.serverName, { signal, folder: INCREMENTAL_FOLDER });
  if (incs.backups.length === 0) return { catalog, incrementals: new Set() };
  const backups = [...catalog.backups, ...incs.backups].sort((a, b) => (a.backupId < b.backupId ? -1 : 1));
  return { catalog: { ...catalog, backups }, incrementals: new Set(incs.backups.map((b) => b.backupId)) };
}

export interface ChainPlan {
  readonly chain: readonly string[];
  readonly tars: PlannedTar[];
  readonly manifest: ManifestState;
  /** Block-level files: written over once every tar is extracted (block-apply.ts). */
  readonly blocks: BlockPatch[];
}

export async function planChain(o: {
  store: ObjectStore;
  catalog: BackupCatalog;
  backup: BackupInfo;
  dataDir: string;
  tablespaces: readonly TablespaceDest[];
  signal?: AbortSignal | undefined;
}): Promise<ChainPlan> {
  const server = o.catalog.serverName;
  const top = await readBackupFiles({
    store: o.store,
    serverName: server,
    backupId: o.backup.backupId,
    incremental: true,
    signal: o.signal,
  });
  const chain = [...top.chain!.chain, o.backup.backupId];
  const links: Array<{ info: BackupInfo; files: BackupFiles }> = [];
  for (const [i, id] of chain.entries()) {
    const info = o.catalog.backups.find((b) => b.backupId === id);
    const key = `${i === 0 ? fullPrefix(server, id) : incrementalPrefix(server, id)}backup.info`;
    if (info === undefined || info.status !== 'DONE') {
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${o.backup.backupId} needs backup ${id} of its chain, and ${key} is ${info === undefined ? 'missing' : `not DONE (${info.status})`}`,
        {
          hint: 'the chain is broken: restore an older backup with --backup-id',
          details: { key },
        },
      );
    }
    const files =
      id === o.backup.backupId
        ? top
        : await readBackupFiles({
            store: o.store,
            serverName: server,
            backupId: id,
            incremental: i > 0,
            signal: o.signal,
          }).catch((e) => {
            // Within a chain, a link without its manifest is damage, whatever kind of backup it is.
            if (!isPgdrError(e, 'REFUSED')) throw e;
            throw new PgdrError('CATALOG_INVALID', e.message, {
              hint: 'the chain is broken: restore an older backup with --backup-id',
              details: e.details,
            });
          });
    links.push({ info, files });
  }
  const tars: PlannedTar[] = [];
  const shown = new Map<string, ManifestTar>();
  const found = new Set<string>();
  // The block members each link must hold: member key -> the file it patches.
  const patchOf = new Map<string, string>();
  const blocks: BlockPatch[] = [];
  for (const [k, f] of top.files) {
    if (f.patches === undefined) continue;
    const group = k.slice(0, k.indexOf('/'));
    const name = k.slice(group.length + 1);
    // A tablespace's block files are combined in its destination, where its tars extract.
    const dest = group === 'data' ? o.dataDir : o.tablespaces.find((x) => String(x.oid) === group)?.dest;
    if (dest === undefined) throw linkMismatch(top, top, k);
    for (const id of f.patches) patchOf.set(fileKey(group, blockMember(name, id)), k);
    blocks.push({
      file: join(dest, name),
      size: f.size,
      ...(f.readCrc32 !== undefined ? { readCrc32: f.readCrc32 } : {}),
      patches: f.patches.map((id) => ({
        path: join(dest, blockMember(name, id)),
        what: `${chainPrefix(server, chain, id)}: ${blockMember(name, id)}`,
      })),
    });
  }
  for (const { info, files } of links) {
    const names = new Set(files.objects.map((x) => x.key.slice(files.prefix.length)));
    const lost = [...files.manifest.tars.keys()]
      .filter((n) => !names.has(n))
      .map((n) => `${files.prefix}${n}`);
    if (lost.length > 0) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `backup ${o.backup.backupId} needs backup ${info.backupId} of its chain, and ${lost.join(', ')} (in ${files.manifest.key}) ${lost.length > 1 ? 'are' : 'is'} missing from the bucket`,
        { hint: 'the chain is broken: restore an older backup with --backup-id', details: { missing: lost } },
      );
    }
    for (const t of backupTars(info, files.objects, files.prefix)) {
      const name = t.key.slice(files.prefix.length);
      const listed = files.manifest.tars.get(name);
      if (listed === undefined) {
        throw new PgdrError(
          'CATALOG_INVALID',
          `${t.key} is not in the backup's manifest (${files.manifest.key})`,
          {
            hint: 'the chain is damaged: restore an older backup with --backup-id',
            details: { key: t.key },
          },
        );
      }
      const wanted = new Map<string, ManifestFile>();
      let bytes = 0;
      const group = groupOfTar(name);
      for (const [member, f] of listed.files) {
        const k = fileKey(group, member);
        const want = top.files.get(k);
        const patch = want === undefined && patchOf.has(k) && k.endsWith(`.${info.backupId}.pgdr-blocks`);
        if (!patch && (want === undefined || want.source !== info.backupId)) continue;
        if (
          want !== undefined &&
          want.patches === undefined &&
          (want.size !== f.size || want.crc32 !== f.crc32)
        )
          throw linkMismatch(top, files, k);
        wanted.set(member, { size: f.size, crc32: f.crc32, truncated: f.truncated });
        bytes += f.size;
        found.add(k);
      }
      if (wanted.size === 0) continue;
      const dest = t.oid === null ? o.dataDir : o.tablespaces.find((x) => x.oid === t.oid)?.dest;
      if (dest === undefined) throw linkMismatch(top, files, `${group}/...`);
      const manifest: ManifestTar = { name, storedBytes: listed.storedBytes, files: wanted, bytes };
      shown.set(t.key, manifest);
      tars.push({ ...t, dest, manifest, maxBytes: bytes, only: true });
    }
  }
  for (const [k, f] of top.files) {
    if (found.has(k)) continue;
    const link = links.find((l) => l.info.backupId === f.source)!;
    throw linkMismatch(top, link.files, k);
  }
  for (const [member, k] of patchOf) {
    if (found.has(member)) continue;
    const id = member.slice(0, -'.pgdr-blocks'.length).split('.').pop()!;
    throw linkMismatch(top, links.find((l) => l.info.backupId === id)?.files ?? top, k);
  }
  return {
    chain,
    tars: tars.sort((a, b) => b.size - a.size),
    manifest: { kind: 'present', key: top.manifest.key, tars: shown },
    blocks,
  };
}

function chainPrefix(server: string, chain: readonly string[], id: string): string {
  return id === chain[0] ? fullPrefix(server, id) : incrementalPrefix(server, id);
}

function linkMismatch(top: BackupFiles, link: BackupFiles, file: string): PgdrError {
  return new PgdrError(
    'CATALOG_INVALID',
    `backup ${top.backupId} takes '${file}' from backup ${link.backupId}, but ${link.manifest.key} does not hold it as recorded`,
    {
      hint: 'the chain is damaged: restore an older backup with --backup-id',
      details: { key: link.manifest.key, file },
    },
  );
}
