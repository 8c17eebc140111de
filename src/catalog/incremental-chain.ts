// pgdr's incremental backups live under <server>/pgdr/incremental/<id>/, a folder barman-cloud never lists as a
// backup: its tars hold only the files that changed since the parent backup, backup.info (barman's format, with
// parent_backup_id) is written last, and pgdr-chain.json names every other file of the cluster with the backup
// that holds it. The file map of any pgdr backup (full or incremental) is read here, bounded and checked, for
// `backup create --incremental` (what the parent holds) and for a restore of a chain (where each file comes from).
import { PgdrError } from '../errors.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { printable } from '../tar/reader.js';
import { BACKUP_ID_RE } from './backup-info.js';
import { type ManifestState, type ManifestTar, readBackupManifest } from './backup-manifest.js';
import { readBounded } from './bounded-read.js';

export const INCREMENTAL_FOLDER = 'pgdr/incremental';
export const CHAIN_NAME = 'pgdr-chain.json';
const MAX_CHAIN_BYTES = 128 << 20;
/** A tar group: 'data' or a tablespace OID. */
const GROUP = /^(data|\d{1,10})$/;

export function incrementalPrefix(serverName: string, backupId: string): string {
  return `${serverName}/${INCREMENTAL_FOLDER}/${backupId}/`;
}

export function fullPrefix(serverName: string, backupId: string): string {
  return `${serverName}/base/${backupId}/`;
}

/** One file of the cluster as a backup restores it, and the backup whose tars hold its bytes. */
export interface ChainFile {
  readonly size: number;
  readonly crc32: string;
  readonly source: string;
  /** Modification time (seconds) as the backup holding it read it; undefined where not recorded. */
  readonly mtime?: number;
  /** The file shrank while the source copied it (zero-padded): never referenced by a later backup. */
  readonly truncated?: true;
  /**
   * Block level: the backups (in chain order) whose `<name>.<id>.pgdr-blocks` members are written over the
   * source's bytes. Its crc32 is then '' (the combined bytes were never read whole), so it is never referenced.
   */
  readonly patches?: readonly string[];
  /**
   * Block level: CRC-32 of the whole file as the backup read it (a valid content for this backup, not
   * necessarily the combined bytes): what a delta restore compares the local file with. Absent in chains
   * written before it was recorded; the file is then always fetched.
   */
  readonly readCrc32?: string;
}

/** The member of backup `id` that holds the changed blocks of file `name`. */
export function blockMember(name: string, id: string): string {
  return `${name}.${id}.pgdr-blocks`;
}

/** A block-level file: [group, name, size once combined, backup holding its whole bytes, backups patching it]. */
export type BlockFileRow = readonly [string, string, number, string, readonly string[]];

/** A block-level file's [group, name, CRC-32 of the whole file as the backup read it]. */
export type ReadCrcRow = readonly [string, string, string];

/** A file's key across tars: its tar group ('data' or a tablespace OID) and its name in that tar. */
export function fileKey(group: string, name: string): string {
  return `${group}/${name.startsWith('./') ? name.slice(2) : name}`;
}

/** 'data.tar.gz' -> 'data', '16385_0001.tar' -> '16385'. */
export function groupOfTar(tarName: string): string {
  return /^[^._]+/.exec(tarName)?.[0] ?? tarName;
}

export interface ChainDocument {
  readonly backupId: string;
  readonly parent: string;
  /** The full backup first, then each incremental up to the parent. */
  readonly chain: readonly string[];
  /** 'file' (every file compared whole) or 'block' (relation files from the WAL summaries). */
  readonly level: string;
  /** Why a block-level request stayed file level. */
  readonly fallbackReason?: string | undefined;
  /** Files this backup holds as changed blocks over an earlier link's bytes. */
  readonly blocks?: readonly BlockFileRow[] | undefined;
  /** For the block files of this backup (every block file of the chain), where their read completed. */
  readonly readCrcs?: readonly ReadCrcRow[] | undefined;
  /** Files this backup does not hold: [group, name, size, crc32, source backup]. */
  readonly references: ReadonlyArray<readonly [string, string, number, string, string]>;
  /** The mtime of each reference, in the same order (a list of its own: rows keep the shape older pgdr reads). */
  readonly referenceMtimes?: readonly number[] | undefined;
}

export function chainJson(d: ChainDocument): string {
  // Version 2 only with block files: an older pgdr then refuses the chain instead of restoring the members as files.
  const version = d.blocks !== undefined && d.blocks.length > 0 ? 2 : 1;
  return `${JSON.stringify({ format: 'pgdr-incremental-chain', version, ...d })}\n`;
}

export interface BackupFiles {
  readonly backupId: string;
  readonly prefix: string;
  readonly manifest: Extract<ManifestState, { kind: 'present' }>;
  readonly chain: ChainDocument | null;
  /** The objects under prefix. */
  readonly objects: readonly ObjectInfo[];
  /** Every file of the cluster, by fileKey. */
  readonly files: ReadonlyMap<string, ChainFile>;
}

/** The file map of a pgdr backup: its own tars' files (source: itself) plus, for an incremental, its references. */
export async function readBackupFiles(o: {
  store: ObjectStore;
  serverName: string;
  backupId: string;
  incremental: boolean;
  signal?: AbortSignal | undefined;
}): Promise<BackupFiles> {
  const prefix = o.incremental
    ? incrementalPrefix(o.serverName, o.backupId)
    : fullPrefix(o.serverName, o.backupId);
  const listed = await o.store.list(prefix, { signal: o.signal });
  const manifest = await readBackupManifest({
    store: o.store,
    prefix,
    listed: listed.objects,
    backupId: o.backupId,
    signal: o.signal,
  });
  if (manifest.kind !== 'present') {
    const why =
      manifest.kind === 'absent'
        ? `${prefix}pgdr.json is missing`
        : `${manifest.key} cannot be used: ${manifest.reason}`;
    throw new PgdrError(
      o.incremental ? 'CATALOG_INVALID' : 'REFUSED',
      `backup ${o.backupId} has no pgdr manifest to compare files with (${why})`,
      {
        hint: o.incremental
          ? 'this link of the incremental chain is damaged: restore an older backup with --backup-id'
          : 'an incremental backup needs a parent taken by pgdr backup create: take a full backup first',
        details: { key: `${prefix}pgdr.json` },
      },
    );
  }
  const files = new Map<string, ChainFile>();
  for (const tar of manifest.tars.values()) addTar(files, tar, o.backupId);
  let chain: ChainDocument | null = null;
  if (o.incremental) {
    const key = `${prefix}${CHAIN_NAME}`;
    const body = await readBounded(o.store, key, {
      maxBytes: MAX_CHAIN_BYTES,
      what: 'pgdr chain document',
      signal: o.signal,
    }).catch((e) => {
      throw new PgdrError('CATALOG_INVALID', `${key} cannot be read: ${(e as Error).message}`, {
        hint: 'this link of the incremental chain is damaged: restore an older backup with --backup-id',
        details: { key },
        cause: e,
      });
    });
    chain = parseChain(body, key, o.backupId);
    for (const [i, [group, name, size, crc32, source]] of chain.references.entries()) {
      const k = fileKey(group, name);
      if (files.has(k)) throw invalid(key, `file '${printable(k)}' is both stored and referenced`);
      const mtime = chain.referenceMtimes?.[i];
      files.set(k, { size, crc32, source, ...(mtime !== undefined ? { mtime } : {}) });
    }
    for (const [group, name, size, source, patches] of chain.blocks ?? []) {
      const k = fileKey(group, name);
      const member = fileKey(group, blockMember(name, o.backupId));
      if (files.has(k) || !files.delete(member))
        throw invalid(
          key,
          `block file '${printable(k)}' is also stored whole, or its blocks are not in the tars`,
        );
      files.set(k, { size, crc32: '', source, patches });
    }
    for (const [group, name, crc] of chain.readCrcs ?? []) {
      const k = fileKey(group, name);
      const f = files.get(k);
      if (f?.patches === undefined)
        throw invalid(key, `readCrcs names '${printable(k)}', which is no block file`);
      files.set(k, { ...f, readCrc32: crc });
    }
  }
  return { backupId: o.backupId, prefix, manifest, chain, objects: listed.objects, files };
}

function addTar(files: Map<string, ChainFile>, tar: ManifestTar, backupId: string): void {
  const group = groupOfTar(tar.name);
  for (const [name, f] of tar.files) {
    files.set(fileKey(group, name), {
      size: f.size,
      crc32: f.crc32,
      source: backupId,
      ...(f.mtime !== undefined ? { mtime: f.mtime } : {}),
      ...(f.truncated ? { truncated: true as const } : {}),
    });
  }
}

/** An incremental's level and fallback reason, from its chain document (for backups whose backup.info lacks them). */
export async function readChainLevel(
  store: ObjectStore,
  serverName: string,
  backupId: string,
  signal?: AbortSignal,
): Promise<{ level: string; fallbackReason: string | null }> {
  const key = `${incrementalPrefix(serverName, backupId)}${CHAIN_NAME}`;
  const body = await readBounded(store, key, {
    maxBytes: MAX_CHAIN_BYTES,
    what: 'pgdr chain document',
    signal,
  });
  const doc = parseChain(body, key, backupId);
  return { level: doc.level, fallbackReason: doc.fallbackReason ?? null };
}

export function parseChain(body: Buffer, key: string, backupId: string): ChainDocument {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw invalid(key, `it is not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== 'pgdr-incremental-chain')
    throw invalid(key, 'it is not a pgdr chain document');
  if (doc.version !== 1 && doc.version !== 2)
    throw invalid(key, `unknown format version ${printable(String(doc.version))}`);
  if (doc.backupId !== backupId) throw invalid(key, `it names backup ${printable(String(doc.backupId))}`);
  const isId = (v: unknown): v is string => typeof v === 'string' && BACKUP_ID_RE.test(v);
  if (!isId(doc.parent)) throw invalid(key, "'parent' is not a backup id");
  const chain = doc.chain;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > 10_000 || !chain.every(isId))
    throw invalid(key, "'chain' is not a list of backup ids");
  if (chain[chain.length - 1] !== doc.parent) throw invalid(key, "'chain' does not end with the parent");
  const sorted = chain.every((id, i) => i === 0 || chain[i - 1]! < id) && doc.parent < backupId;
  if (!sorted) throw invalid(key, "'chain' is not in the order the backups were taken");
  const links = new Set<string>(chain as string[]);
  if (!Array.isArray(doc.references)) throw invalid(key, "'references' is not a list");
  const references: Array<[string, string, number, string, string]> = [];
  for (const [i, r] of doc.references.entries()) {
    const ok = fileRow(r, 5) && isSize(r[2]) && isCrc(r[3]) && links.has(r[4] as string);
    if (!ok) throw invalid(key, `references[${i}] is not [group, name, size, crc32, backup of the chain]`);
    references.push(r as [string, string, number, string, string]);
  }
  const mtimes = doc.referenceMtimes;
  const mtimesOk =
    mtimes === undefined ||
    (Array.isArray(mtimes) && mtimes.length === references.length && mtimes.every(isSize));
  if (!mtimesOk) throw invalid(key, "'referenceMtimes' is not one time in seconds per reference");
  return {
    backupId,
    parent: doc.parent,
    chain: chain as string[],
    level: typeof doc.level === 'string' ? doc.level : 'file',
    ...(typeof doc.fallbackReason === 'string' ? { fallbackReason: doc.fallbackReason } : {}),
    references,
    ...(mtimes !== undefined ? { referenceMtimes: mtimes as number[] } : {}),
    blocks: parseBlocks(doc.blocks, key, links, backupId),
    readCrcs: parseReadCrcs(doc.readCrcs, key),
  };
}

function parseReadCrcs(v: unknown, key: string): ReadCrcRow[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(key, "'readCrcs' is not a list");
  return v.map((r, i) => {
    const ok = fileRow(r, 3) && isCrc(r[2]);
    if (!ok) throw invalid(key, `readCrcs[${i}] is not [group, name, crc32]`);
    return r as unknown as ReadCrcRow;
  });
}

function parseBlocks(v: unknown, key: string, links: ReadonlySet<string>, backupId: string): BlockFileRow[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(key, "'blocks' is not a list");
  return v.map((r, i) => {
    const patches = Array.isArray(r) ? (r[4] as unknown) : undefined;
    const ok =
      fileRow(r, 5) &&
      isSize(r[2]) &&
      links.has(r[3] as string) &&
      Array.isArray(patches) &&
      patches.length > 0 &&
      patches[patches.length - 1] === backupId &&
      patches.every(
        (p, j) =>
          (j === patches.length - 1 || links.has(p)) && (j === 0 ? p > (r[3] as string) : p > patches[j - 1]),
      );
    if (!ok)
      throw invalid(key, `blocks[${i}] is not [group, name, size, backup of the chain, patching backups]`);
    return r as unknown as BlockFileRow;
  });
}

/** A row that starts [group, name, ...] with `length` fields: every row kind of the incremental document. */
function fileRow(r: unknown, length: number): r is [string, string, ...unknown[]] {
  return (
    Array.isArray(r) &&
    r.length === length &&
    typeof r[0] === 'string' &&
    GROUP.test(r[0]) &&
    typeof r[1] === 'string' &&
    safeName(r[1])
  );
}

function isSize(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isCrc(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{8}$/.test(v);
}

function safeName(n: string): boolean {
  const rel = n.startsWith('./') ? n.slice(2) : n;
  if (rel === '' || rel.length > 4096 || rel.includes('\u0000')) return false;
  return !rel.split('/').some((p) => p === '' || p === '.' || p === '..' || Buffer.byteLength(p) > 255);
}

function invalid(key: string, why: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `${key}: ${why}`, {
    hint: 'this link of the incremental chain is damaged: restore an older backup with --backup-id',
    details: { key },
  });
}
