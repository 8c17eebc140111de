// A file's identity as `stat -c '%i %s %.9Y'` prints it (inode, size, mtime to the nanosecond), so that bin/pgdr
// can compare it in sh with what node wrote. A file rewritten or recycled since gets a new one.
import { stat } from 'node:fs/promises';

export async function fileIdentity(path: string): Promise<string> {
  const s = await stat(path, { bigint: true });
  const ns = String(s.mtimeNs % 1_000_000_000n).padStart(9, '0');
  return `${s.ino} ${s.size} ${s.mtimeNs / 1_000_000_000n}.${ns}`;
}
