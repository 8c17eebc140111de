// A digest of a folder tree as it is on disk: names, types, modes, mtimes, sizes, contents and link targets
// (links are not followed). Equal digests before and after: nothing in the tree was touched.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (p: string, rel: string): Promise<void> => {
    const st = await fsp.lstat(p);
    h.update(`${rel} ${st.mode} ${st.mtimeMs} ${st.size}\n`);
    if (st.isSymbolicLink()) h.update(await fsp.readlink(p));
    else if (st.isFile()) h.update(await fsp.readFile(p));
    else if (st.isDirectory())
      for (const n of (await fsp.readdir(p)).sort()) await walk(join(p, n), `${rel}/${n}`);
  };
  await walk(dir, '.');
  return h.digest('hex');
}
