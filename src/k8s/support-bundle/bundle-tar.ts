// The support bundle as a gzip'd tar, written with the tar header code pgdr's backups use (no dependency):
// one folder named after the bundle, then each file. Every file's text goes through the redaction on the way in.
import { gzipSync } from 'node:zlib';
import { endOfArchive, memberHeader, padding } from '../../engine/backup/tar-header.js';

export interface BundleFile {
  /** Path inside the bundle's folder: `cluster/NAME.yaml`, `logs/instances/POD/postgres.log`. */
  readonly path: string;
  readonly data: Buffer;
}

export function bundleTarGz(folder: string, files: readonly BundleFile[], mtime: Date): Buffer {
  const seconds = Math.floor(mtime.getTime() / 1000);
  const parts: Buffer[] = [];
  let written = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    written += b.length;
  };
  const dirs = new Set<string>([folder]);
  for (const f of files) {
    const segs = f.path.split('/');
    for (let i = 1; i < segs.length; i++) dirs.add(`${folder}/${segs.slice(0, i).join('/')}`);
  }
  const owner = { uid: 0, gid: 0, mtime: seconds };
  for (const d of [...dirs].sort())
    push(memberHeader({ name: d, type: 'dir', size: 0, mode: 0o755, ...owner }));
  for (const f of files) {
    push(
      memberHeader({ name: `${folder}/${f.path}`, type: 'file', size: f.data.length, mode: 0o644, ...owner }),
    );
    push(f.data);
    push(Buffer.alloc(padding(f.data.length)));
  }
  push(endOfArchive(written));
  return gzipSync(Buffer.concat(parts));
}

/** A Kubernetes name as one path segment (they are DNS names already; this guards against anything else). */
export const segment = (name: string): string =>
  name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';
