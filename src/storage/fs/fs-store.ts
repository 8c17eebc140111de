// file:// driver: the embedded default. Writes go to a temporary file in the same folder, are fsynced and
// renamed into place, and the folder is fsynced, so a crash never leaves a partial object under its real name;
// a folder created on the way is fsynced into its parent, so it survives the crash too. Local failures are the
// operator's to fix and say so: PERMISSION_DENIED or LOCAL_IO naming the path.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { mkdirDurable, writeFileAtomic } from '../../common/atomic-file.js';
import { mapLimit } from '../../common/map-limit.js';
import { localFileError, PgdrError } from '../../errors.js';
import type { Body, ListOptions, ListResult, ObjectInfo, ObjectStore, PutOptions } from '../object-store.js';

const TMP_MARK = '.pgdr-tmp-';
const STAT_CONCURRENCY = 32;

export class FsObjectStore implements ObjectStore {
  readonly displayUrl: string;

  constructor(private readonly root: string) {
    this.displayUrl = `file://${root}`;
  }

  private path(key: string): string {
    if (key.split('/').some((seg) => seg === '..')) {
      throw new PgdrError('REFUSED', `refusing object key with '..': ${key}`, {
        hint: 'a key never climbs out of the repository folder; check the backup id or name given',
      });
    }
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const target = this.path(key);
    const dir = dirname(target);
    const tmp = join(dir, `${TMP_MARK}${randomBytes(6).toString('hex')}`);
    try {
      await mkdirDurable(dir);
      await writeFileAtomic(target, body, {
        signal: options.signal,
        mode: 0o644,
        tempPath: tmp,
        noReplace: options.ifAbsent,
      });
    } catch (e) {
      if (options.ifAbsent && (e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new PgdrError('CONFLICT', `object ${key} already exists`, { hint: 'it was not overwritten' });
      }
      throw mapFsError(e, key, this.displayUrl, { path: target, action: 'write' });
    }
  }

  async get(key: string): Promise<Readable> {
    const p = this.path(key);
    try {
      const fh = await fsp.open(p, 'r');
      // The stream must own the FileHandle: a bare fd gets closed twice (by the stream, then by the handle's GC).
      return fh.createReadStream({ highWaterMark: 1 << 20 });
    } catch (e) {
      throw mapFsError(e, key, this.displayUrl, { path: p, action: 'read' });
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    const p = this.path(key);
    try {
      return await fsp.readFile(p);
    } catch (e) {
      throw mapFsError(e, key, this.displayUrl, { path: p, action: 'read' });
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const p = this.path(key);
    try {
      const st = await fsp.stat(p);
      return st.isFile() ? { key, size: st.size, lastModified: st.mtime } : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
        return undefined;
      throw mapFsError(e, key, this.displayUrl, { path: p, action: 'read' });
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    // Walk only the folder that can hold matches: the prefix up to its last '/'.
    const cut = prefix.lastIndexOf('/');
    const base = cut >= 0 ? prefix.slice(0, cut) : '';
    const objects: ObjectInfo[] = [];
    const prefixes = new Set<string>();
    const walk = async (dirKey: string): Promise<void> => {
      options.signal?.throwIfAborted();
      let entries: import('node:fs').Dirent[];
      const dirPath = dirKey === '' ? this.root : this.path(dirKey);
      try {
        entries = await fsp.readdir(dirPath, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw mapFsError(e, dirKey, this.displayUrl, { path: dirPath, action: 'list' });
      }
      const files: string[] = [];
      for (const ent of entries) {
        if (ent.name.startsWith(TMP_MARK)) continue;
        const key = dirKey === '' ? ent.name : `${dirKey}/${ent.name}`;
        if (ent.isDirectory()) {
          const asPrefix = `${key}/`;
          if (!asPrefix.startsWith(prefix) && !prefix.startsWith(asPrefix)) continue;
          if (options.delimiter && asPrefix.startsWith(prefix)) {
            prefixes.add(asPrefix);
            continue;
          }
          await walk(key);
        } else if (ent.isFile() && key.startsWith(prefix)) {
          if (options.delimiter && key.slice(prefix.length).includes('/')) continue;
          files.push(key);
        }
      }
      // A WAL folder holds 256 segments: one stat after another would wait on each in turn.
      const stats = await mapLimit(files, STAT_CONCURRENCY, (key) =>
        fsp.stat(join(this.root, key.split('/').join(sep))).then(
          (st) => ({ key, size: st.size, lastModified: st.mtime }),
          (e: unknown) => {
            // Deleted between readdir and stat: not there any more, as for a listing a moment later.
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw mapFsError(e, key, this.displayUrl, { path: dirPath, action: 'list' });
          },
        ),
      );
      for (const st of stats) if (st) objects.push(st);
    };
    await walk(base);
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // A folder with no files inside is not an S3 prefix: drop empty ones so both drivers agree.
    const nonEmpty: string[] = [];
    for (const pf of [...prefixes].sort()) if (await this.hasFile(pf)) nonEmpty.push(pf);
    return { objects, prefixes: nonEmpty };
  }

  private async hasFile(prefixKey: string): Promise<boolean> {
    const dir = this.path(prefixKey.replace(/\/$/, ''));
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const ent of entries) {
      if (ent.name.startsWith(TMP_MARK)) continue;
      if (ent.isFile()) return true;
      if (ent.isDirectory() && (await this.hasFile(`${prefixKey}${ent.name}/`))) return true;
    }
    return false;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const p = this.path(key);
      try {
        await fsp.unlink(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          throw mapFsError(e, key, this.displayUrl, { path: p, action: 'delete' });
      }
    }
  }

  async checkAccess(): Promise<void> {
    let st: import('node:fs').Stats;
    try {
      st = await fsp.stat(this.root);
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code;
      // Only a folder that is not there is missing; a stat refused or failing is the local error it is.
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw localFileError(e, this.root, 'open');
      throw new PgdrError('BUCKET_MISSING', `the repository folder ${this.root} does not exist`, {
        hint: `check objectStore.destinationPath, or create it: mkdir -p ${this.root}`,
      });
    }
    if (!st.isDirectory()) {
      throw new PgdrError('BUCKET_MISSING', `${this.root} is not a folder`, {
        hint: 'point objectStore.destinationPath at a folder',
      });
    }
    try {
      await fsp.access(this.root, 4 /* R_OK */);
    } catch {
      throw new PgdrError('STORE_AUTH', `this user may not read ${this.root}`, {
        hint: 'fix the folder permissions or run pgdr as its owner',
      });
    }
  }

  async close(): Promise<void> {}
}

function mapFsError(e: unknown, key: string, url: string, at: { path: string; action: string }): PgdrError {
  if (e instanceof PgdrError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR')
    return new PgdrError('NOT_FOUND', `object ${key} does not exist in ${url}`);
  if (err.code === 'ABORT_ERR' || err.name === 'AbortError')
    return new PgdrError('ABORTED', 'the write was interrupted', { cause: e });
  // The path that failed (a folder on the way, say), but never the temporary file: its folder instead.
  const failed = typeof err.path === 'string' ? err.path : at.path;
  return localFileError(e, failed.includes(TMP_MARK) ? dirname(failed) : failed, at.action);
}
