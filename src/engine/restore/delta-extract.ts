// Streams one tar (already decompressed) over an existing data directory for a delta restore: a member the
// caller knows matches is read through and dropped; any other file is compared with the local one piece by
// piece as it streams and only the pieces that differ are written, in place (then cut to the member's size).
// A file that is missing, not a regular file, or hard-linked elsewhere (pg_upgrade --link) is written anew.
// As tar-extract.ts, nothing is ever followed: every folder on the way is checked with lstat (a link or file
// in the way is removed and replaced by a folder), files are opened with O_NOFOLLOW, and only the pg_wal and
// pg_tblspc/<oid> links are accepted as members (recorded, not created).
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { localFileError } from '../../errors.js';
import { damaged, type EntryData, type TarEntry, TarReader } from '../../tar/reader.js';
import { assertAllowedLink, type ExtractedFile, FolderVisitor } from './tar-extract.js';

export interface DeltaExtractStats {
  /** Files the tar holds. */
  files: number;
  /** Files left as they were (known to match, or every piece compared equal). */
  kept: number;
  /** Files with at least one byte written (or created, or cut). */
  fetched: number;
  bytesWritten: number;
  /** File bytes the tar's headers announced. */
  memberBytes: number;
}

export interface DeltaExtractOptions {
  /** True when the local file is known to hold the member's bytes already (its data is then dropped). */
  readonly known: (rel: string) => boolean;
  /** True for a member to read past without a trace (a link of a chain that does not hold that file). */
  readonly skip?: ((rel: string) => boolean) | undefined;
  /** Every file written or compared, with the size and CRC-32 of the member's bytes. */
  readonly onFile?: (f: ExtractedFile) => void;
  readonly maxBytes?: number | undefined;
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const PATCH_FILE = constants.O_RDWR | constants.O_NOFOLLOW;

export class DeltaExtractor extends TarReader {
  readonly delta: DeltaExtractStats;
  /** Every file and folder the tar names, relative to dest ('' is dest). */
  readonly files: Set<string>;
  readonly dirs: Set<string>;

  constructor(dest: string, o: DeltaExtractOptions) {
    const v = new DeltaVisitor(dest, o);
    super(v);
    this.delta = v.stats;
    this.files = v.files;
    this.dirs = v.named;
  }
}

class DeltaVisitor extends FolderVisitor {
  readonly stats: DeltaExtractStats = { files: 0, kept: 0, fetched: 0, bytesWritten: 0, memberBytes: 0 };
  readonly files = new Set<string>();
  readonly named = new Set<string>(['']);
  private readonly checked = new Set<string>(['']);

  constructor(
    dest: string,
    private readonly o: DeltaExtractOptions,
  ) {
    super(dest);
  }

  protected async folder(rel: string): Promise<void> {
    await this.ensureDir(rel);
    this.named.add(rel);
  }

  protected async member(rel: string, e: TarEntry): Promise<EntryData | undefined> {
    if (rel === '')
      throw damaged(`tar member '${e.name}' names the target folder itself as a ${e.kind}`, e.name);
    if (e.kind === 'symlink') {
      assertAllowedLink(rel, e);
      return undefined;
    }
    if (e.kind === 'hardlink') {
      throw damaged(
        `tar member '${e.name}' is a hard link, which a delta restore does not apply: restore without --delta`,
        e.name,
      );
    }
    if (this.o.skip?.(rel)) return undefined;
    if (this.files.has(rel)) throw damaged(`tar member '${e.name}' appears twice`, e.name);
    this.files.add(rel);
    this.stats.files++;
    this.stats.memberBytes += e.size;
    if (this.o.maxBytes !== undefined && this.stats.memberBytes > this.o.maxBytes) {
      throw damaged(
        `the tar expands to more than the ${this.o.maxBytes} bytes expected (at member '${e.name}')`,
        e.name,
      );
    }
    await this.ensureDir(parentOf(rel));
    if (this.o.known(rel)) {
      this.stats.kept++;
      return undefined;
    }
    return this.patch(rel, e);
  }

  /** Writes the member over the local file, only where the bytes differ. */
  private async patch(rel: string, e: TarEntry): Promise<EntryData> {
    const path = this.path(rel);
    const st = await fsp.lstat(path).catch(() => undefined);
    let local: FileHandle | undefined;
    if (st?.isFile() && st.nlink === 1) local = await fsp.open(path, PATCH_FILE);
    else if (st !== undefined) await fsp.rm(path, { recursive: true, force: true });
    const handle = local ?? (await fsp.open(path, NEW_FILE, 0o600));
    const localSize = local === undefined ? 0 : st!.size;
    let pos = 0;
    let crc = 0;
    let written = 0;
    const fail = (err: unknown) => localFileError(err, path, 'write');
    return {
      write: async (chunk: Buffer) => {
        crc = crc32(chunk, crc);
        try {
          const same = pos + chunk.length <= localSize && (await equalAt(handle, chunk, pos));
          if (!same) {
            await writeAt(handle, chunk, pos);
            written += chunk.length;
          }
        } catch (err) {
          throw fail(err);
        }
        pos += chunk.length;
      },
      end: async () => {
        try {
          if (localSize > e.size) await handle.truncate(e.size);
          await handle.chmod(e.mode & 0o777);
          if (written > 0 || local === undefined || localSize !== e.size) {
            await handle.utimes(e.mtime, e.mtime);
            this.stats.fetched++;
          } else this.stats.kept++;
          await handle.close();
        } catch (err) {
          throw fail(err);
        }
        this.stats.bytesWritten += written;
        this.o.onFile?.({ name: rel, size: pos, crc32: (crc >>> 0).toString(16).padStart(8, '0') });
      },
      abort: () => handle.close(),
    };
  }

  /** rel and every folder above it are real folders: a file or link in the way is replaced by one. */
  private async ensureDir(rel: string): Promise<void> {
    if (this.checked.has(rel)) return;
    await this.ensureDir(parentOf(rel));
    const path = this.path(rel);
    const st = await fsp.lstat(path).catch(() => undefined);
    if (st !== undefined && !st.isDirectory()) await fsp.rm(path, { force: true });
    // The links of a chain each name every folder and extract in parallel: another may create it first.
    if (st === undefined || !st.isDirectory())
      await fsp.mkdir(path, { mode: 0o700 }).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST' || !(await fsp.lstat(path)).isDirectory()) throw e;
      });
    else if ((st.mode & 0o700) !== 0o700) await fsp.chmod(path, st.mode | 0o700);
    this.checked.add(rel);
  }
}

async function equalAt(h: FileHandle, chunk: Buffer, pos: number): Promise<boolean> {
  const buf = Buffer.allocUnsafe(chunk.length);
  let n = 0;
  while (n < chunk.length) {
    const { bytesRead } = await h.read(buf, n, chunk.length - n, pos + n);
    if (bytesRead === 0) return false;
    n += bytesRead;
  }
  return buf.equals(chunk);
}

async function writeAt(h: FileHandle, data: Buffer, pos: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await h.write(data, off, data.length - off, pos + off);
    off += bytesWritten;
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
