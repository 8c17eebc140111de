import { listBinaries } from '../../postgres/binaries.js';
import { embeddedPackage, platformKey } from '../../postgres/platform.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly } from '../args.js';
import type { CliContext, Command } from '../main.js';
import { json, line, table } from '../output.js';
import { binariesCache, optionalConfig } from '../postgres-binaries.js';

const NAME = 'postgres list';

const FLAGS = { ...FORMAT_FLAG, config: { type: 'string', short: 'c' } } as const;

export const postgresList: Command = {
  name: NAME,
  summary: 'the PostgreSQL server binaries pgdr finds, by major, and which one each restore would use',
  usage: `Usage: pgdr postgres list [--config FILE] [--format table|json]

A restore, drill or standby runs the binaries of the backup's major. With postgres.binDir set, only that
folder is used. Otherwise the first folder holding the major is, in this order:
  debian     /usr/lib/postgresql/N/bin (Debian, Ubuntu: apt-get install postgresql-N)
  rhel       /usr/pgsql-N/bin (RHEL and the PGDG repository: dnf install postgresqlN-server)
  homebrew   /opt/homebrew/opt/postgresql@N/bin, /usr/local/opt/postgresql@N/bin (brew install postgresql@N)
  pg_config  the folder pg_config --bindir names (pg_config on PATH)
  cache      postgres.cacheDir/N/bin (pgdr postgres install N)
  embedded   the ${embeddedPackage(platformKey())} npm package installed with pgdr (PostgreSQL 17)
USED marks the folder each major's restore would use.

  --config FILE        read postgres.binDir and postgres.cacheDir from FILE (default: PGDR_CONFIG, or
                       ./pgdr.yaml when present)
  --format table|json  output format`,
  run: list,
};

async function list(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseFlagsOnly(argv, FLAGS, NAME);
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  const config = optionalConfig(p, ctx);
  const cacheDir = binariesCache(config, ctx).dir;
  const binDir = config?.postgres.binDir;
  const { found, searched } = await listBinaries({ binDir, cacheDir });
  if (format === 'json') {
    json(ctx, {
      platform: platformKey(),
      binDir: binDir ?? null,
      cacheDir,
      binaries: found.map((b) => ({
        major: b.major,
        version: b.version,
        source: b.source,
        binDir: b.binDir,
        used: b.used,
      })),
      searched: searched.map((c) => ({ source: c.source, dir: c.dir })),
    });
    return 0;
  }
  if (found.length === 0) {
    line(ctx, `no PostgreSQL binaries found (platform ${platformKey()}); looked in:`);
    for (const c of searched) line(ctx, `  ${c.dir} (${c.source})`);
    line(ctx, `get some with: pgdr postgres install 17 (or the distribution's PostgreSQL package)`);
    return 0;
  }
  const rows = [...found]
    .sort((a, b) => b.major - a.major)
    .map((b) => [String(b.major), b.version, b.source, b.used ? 'yes' : '', b.binDir]);
  line(ctx, table(['MAJOR', 'VERSION', 'SOURCE', 'USED', 'PATH'], rows));
  line(ctx, `cache: ${cacheDir}${binDir ? `; postgres.binDir: ${binDir} (only it is used)` : ''}`);
  return 0;
}
