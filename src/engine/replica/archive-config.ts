// The pgdr configuration a promoted standby archives with: the one restore() wrote for its restore_command
// (same store, same credential files, beside it in pg_wal/pgdr-restore, which base backups skip), with the new
// serverName and the configured WAL compression. A file of its own, so that the old primary's serverName can
// never be written to by mistake.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WalConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { chownToServerUser, resolveServerUser } from '../../postgres/os-user.js';

export interface ArchiveConfigOptions {
  /** The restore_command's configuration (RecoveryConfig.configFile). */
  readonly restoreConfigFile: string;
  readonly serverName: string;
  readonly wal: WalConfig;
}

export async function writeArchiveConfig(o: ArchiveConfigOptions): Promise<string> {
  let doc: { serverName: string; objectStore: Record<string, unknown> };
  try {
    doc = JSON.parse(await fsp.readFile(o.restoreConfigFile, 'utf8'));
  } catch (e) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `cannot read the standby's pgdr configuration ${o.restoreConfigFile}`,
      {
        cause: e,
        hint: 'was this folder made by pgdr replica create?',
      },
    );
  }
  const out = { serverName: o.serverName, objectStore: { ...doc.objectStore, wal: { ...o.wal } } };
  const file = join(
    dirname(o.restoreConfigFile),
    `pgdr-archive-${o.serverName.replace(/[^A-Za-z0-9_.-]/g, '_')}.yaml`,
  );
  await fsp.writeFile(file, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o600 });
  await chownToServerUser(file, await resolveServerUser());
  return file;
}

/** A string literal for ALTER SYSTEM, which takes no parameters. */
export function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
