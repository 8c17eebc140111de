// The end of a PostgreSQL server log: only the tail is read, since a server's log grows for ever.
import { promises as fsp } from 'node:fs';

/** The last `bytes` of the file, from the first whole line; undefined when it cannot be read. */
export async function readLogTail(path: string, bytes: number): Promise<string | undefined> {
  try {
    const fh = await fsp.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - bytes);
      const buf = Buffer.alloc(size - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      // Read from the middle of the file, the first line is a fragment.
      return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
