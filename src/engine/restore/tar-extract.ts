// Extracts one tar (already decompressed) below `dest` without ever following a link: the restore starts from
// empty folders and never creates a symlink itself, every folder is made one level at a time and checked with
// lstat, files are created with O_EXCL|O_NOFOLLOW, modes are set through open descriptors (O_NOFOLLOW), and
// hard links may only name regular files this tar already extracted. Symlink members are refused, except
// pg_wal and pg_tblspc/<oid>, the only links a PostgreSQL data directory holds: the restore makes a real pg_wal
// and its own tablespace links (download.ts), so those members are recorded, not created. Python's tarfile
// (barman-cloud-restore) follows none of these rules.
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crcHex } from '../../compression/crc-hex.js';
import { localFileError, PgdrError } from '../../errors.js';
import {
  damaged,
  type EntryData,
  printable,
  type TarEntry,
  TarReader,
  type TarVisitor,
} from '../../tar/reader.js';
import { FLUSH_EVERY, WRITE_BACK_BYTES, type WriteBack } from './write-back.js';

export interface ExtractStats {
  files: number;
  dirs: number;
  links: number;
  bytes: number;
}

/** A regular file written, with what a manifest records of it. */
export interface ExtractedFile {
  /** Relative to dest, '/'-separated, without './'. */
  readonly name: string;
  readonly size: number;
  /** CRC-32 (zlib) of the bytes, 8 hex digits. */
  readonly crc32: string;
}

export interface ExtractOptions {
  /** Called for every regular file once its bytes are written (and for each hard link, with its target's). */
  readonly onFile?: (f: ExtractedFile) => void;
  /** Refuse the tar once its files exceed this many bytes (a decompression bomb). */
  readonly maxBytes?: number | undefined;
  /** Files (and hard links) for which this says true are read past, not written. */
  readonly skip?: ((name: string) => boolean) | undefined;
  /** Where large files go once written, to be flushed while the tar goes on (closed there too). */
  readonly writeBack?: WriteBack | undefined;
}

const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const ALLOWED_LINK = /^(pg_wal|pg_xlog|pg_tblspc\/\d+)$/;

export class TarExtractor extends TarReader {
  readonly extracted: ExtractStats;
  /** Link members of pg_wal / pg_tblspc/<oid>, not created: name -> target. */
  readonly skippedLinks: Map<string, string>;

  constructor(dest: string, o: ExtractOptions = {}) {
    const visitor = new ExtractVisitor(dest, o);
    super(visitor);
    this.extracted = visitor.stats;
    this.skippedLinks = visitor.skippedLinks;
  }
}

/**
 * What both extractions (into an empty folder, and delta over a data directory) share: member names made
 * relative and safe, a local failure named by its path, and directory modes applied once every member is in.
 */
export abstract class FolderVisitor implements TarVisitor {
  /** Directory modes are applied at the end: a read-only directory would block its own members. */
  protected readonly dirModes = new Map<string, number>();

  constructor(protected readonly dest: string) {}

  async entry(e: TarEntry): Promise<EntryData | undefined> {
    const rel = safeRelative(e.name);
    try {
      if (e.kind !== 'directory') return await this.member(rel, e);
      await this.folder(rel, e);
      this.dirModes.set(rel, e.mode & 0o1777);
      return undefined;
    } catch (err) {
      throw localFileError(err, this.path(rel), 'extract');
    }
  }

  async finish(): Promise<void> {
    await applyDirModes(this.dirModes, (rel) => this.path(rel));
  }

  /** Makes the folder member `e` at `rel` ('' is dest); its mode is applied by finish(). */
  protected abstract folder(rel: string, e: TarEntry): Promise<void>;

  /** Writes the member `e` that is not a folder at `rel`; for a file, says where its data goes. */
  protected abstract member(rel: string, e: TarEntry): Promise<EntryData | undefined>;

  protected path(rel: string): string {
    return rel === '' ? this.dest : join(this.dest, rel);
  }
}

class ExtractVisitor extends FolderVisitor {
  readonly stats: ExtractStats = { files: 0, dirs: 0, links: 0, bytes: 0 };
  readonly skippedLinks = new Map<string, string>();
  /** Folders known to be real directories made (or checked) by this extraction; '' is dest. */
  private readonly dirs = new Set<string>(['']);
  /** Regular files this tar wrote, for hard links: name -> size and CRC. */
  private readonly files = new Map<string, ExtractedFile>();

  constructor(
    dest: string,
    private readonly o: ExtractOptions,
  ) {
    super(dest);
  }

  protected async folder(rel: string, e: TarEntry): Promise<void> {
    await this.ensureDir(rel, e.name);
    this.stats.dirs++;
  }

  protected async member(rel: string, e: TarEntry): Promise<EntryData | undefined> {
    if (rel === '')
      throw damaged(`tar member '${e.name}' names the target folder itself as a ${e.kind}`, e.name);
    if ((e.kind === 'file' || e.kind === 'hardlink') && this.o.skip?.(rel)) return undefined;
    await this.ensureDir(parentOf(rel), e.name);
    if (e.kind === 'symlink') {
      assertAllowedLink(rel, e);
      this.skippedLinks.set(rel, e.linkname);
      this.stats.links++;
      return undefined;
    }
    if (e.kind === 'hardlink') return this.hardlink(rel, e);
    return this.file(rel, e);
  }

  private async file(rel: string, e: TarEntry): Promise<EntryData> {
    const path = this.path(rel);
    const handle = await fsp.open(path, FILE_FLAGS, 0o600).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' || err.code === 'ELOOP'
        ? damaged(`tar member '${e.name}' would replace an entry already extracted`, e.name)
        : err;
    });
    this.stats.files++;
    let size = 0;
    let flushedAt = 0;
    const wb = this.o.writeBack;
    const done = async (crc: number): Promise<void> => {
      await handle.chmod(e.mode & 0o777);
      await handle.utimes(e.mtime, e.mtime);
      if (wb !== undefined && size >= WRITE_BACK_BYTES) wb.flushAndClose(handle, path);
      else await handle.close();
      const f = { name: rel, size, crc32: crcHex(crc) };
      this.files.set(rel, f);
      this.o.onFile?.(f);
    };
    return {
      write: async (chunk: Buffer) => {
        this.stats.bytes += chunk.length;
        if (this.o.maxBytes !== undefined && this.stats.bytes > this.o.maxBytes) {
          throw damaged(
            `the tar expands to more than the ${this.o.maxBytes} bytes expected (at member '${e.name}')`,
            e.name,
          );
        }
        size += chunk.length;
        await writeAll(handle, chunk).catch((err) => {
          throw localFileError(err, path, 'write');
        });
        if (wb !== undefined && size - flushedAt >= FLUSH_EVERY && wb.flushSoFar(handle, path))
          flushedAt = size;
      },
      end: (crc) =>
        done(crc).catch((err) => {
          throw localFileError(err, path, 'write');
        }),
      abort: () => handle.close(),
    };
  }

  private async hardlink(rel: string, e: TarEntry): Promise<undefined> {
    const target = safeRelative(e.linkname);
    const f = this.files.get(target);
    if (f === undefined) {
      throw damaged(
        `tar member '${e.name}' is a hard link to '${e.linkname}', which is not a regular file extracted before it`,
        e.name,
      );
    }
    await fsp.link(this.path(target), this.path(rel)).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST'
        ? damaged(`tar member '${e.name}' would replace an entry already extracted`, e.name)
        : err;
    });
    this.stats.links++;
    const linked = { ...f, name: rel };
    this.files.set(rel, linked);
    this.o.onFile?.(linked);
    return undefined;
  }

  /** Makes rel and every folder above it, one level at a time, refusing anything that is not a real folder. */
  private async ensureDir(rel: string, member: string): Promise<void> {
    if (this.dirs.has(rel)) return;
    await this.ensureDir(parentOf(rel), member);
    const path = this.path(rel);
    try {
      await fsp.mkdir(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await fsp.lstat(path);
      if (!st.isDirectory()) {
        throw damaged(`tar member '${member}' needs folder '${rel}', but a non-folder is in the way`, member);
      }
    }
    this.dirs.add(rel);
  }
}

/** Only pg_wal and pg_tblspc/<oid> may be symbolic links in a data directory: any other link member is refused. */
export function assertAllowedLink(rel: string, e: TarEntry): void {
  if (ALLOWED_LINK.test(rel)) return;
  throw damaged(
    `tar member '${e.name}' is a symbolic link (to '${e.linkname}'): only pg_wal and pg_tblspc/<oid> may be links in a PostgreSQL data directory`,
    e.name,
  );
}

/** Folder modes from the tar, set through descriptors (never a link), deepest first so none blocks a child. */
async function applyDirModes(
  modes: ReadonlyMap<string, number>,
  path: (rel: string) => string,
): Promise<void> {
  const dirs = [...modes].sort((a, b) => b[0].length - a[0].length);
  for (const [rel, mode] of dirs) {
    const h = await fsp.open(path(rel), DIR_FLAGS).catch((e) => {
      throw localFileError(e, path(rel), 'set the mode of');
    });
    try {
      await h.chmod(mode);
    } finally {
      await h.close();
    }
  }
}

/** The member name as a path relative to the destination ('' for the root), or a refusal. */
function safeRelative(name: string): string {
  if (name.startsWith('/')) {
    throw new PgdrError('CATALOG_INVALID', `tar member '${printable(name)}' has an absolute path`, {
      hint: 'refusing to write outside the target folder',
      details: { member: name },
    });
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => Buffer.byteLength(p) > 255)) {
    throw new PgdrError(
      'CATALOG_INVALID',
      `tar member '${printable(name)}' has a path component longer than 255 bytes`,
      {
        hint: 'no file system PostgreSQL runs on allows such a name; the backup tar is damaged',
        details: { member: name },
      },
    );
  }
  if (parts.includes('..')) {
    throw new PgdrError('CATALOG_INVALID', `tar member '${printable(name)}' climbs out with '..'`, {
      hint: 'refusing to write outside the target folder',
      details: { member: name },
    });
  }
  return parts.join('/');
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await handle.write(data, off, data.length - off);
    off += bytesWritten;
  }
}
