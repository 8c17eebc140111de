// The pgdr that PostgreSQL runs for the commands pgdr writes into its configuration (restore_command,
// archive_command). Those outlive the pgdr that wrote them, by years for a standby: they must name a path that
// survives an upgrade, a move of the installation and a switch of node version. So the path is `pgdrCommand`
// (or PGDR_COMMAND) when configured, else the `pgdr` found on PATH now (for an npm install, its global bin
// link, e.g. /usr/local/bin/pgdr, which `npm install -g` re-points on upgrade) -- absolute, because the
// server's PATH is not ours -- and never node's path: bin/pgdr finds node itself. Resolved once, at the CLI.
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { PgdrConfig } from '../config/types.js';
import { PgdrError } from '../errors.js';
import { PGDR_EXECUTABLE } from '../pgdr-executable.js';
import { firstBlockedPath, resolveServerUser } from '../postgres/os-user.js';
import type { CliContext } from './main.js';

export interface FoundPgdr {
  /** What the written commands run. */
  readonly path: string;
  readonly from: 'config' | 'PATH';
  /** Why the path may not last (a checkout, a versioned node folder, another installation). */
  readonly warnings: readonly string[];
}

const SET_IT =
  'set pgdrCommand: /ABSOLUTE/PATH/TO/pgdr in the configuration (or PGDR_COMMAND), a path the server user can run';

/** Finds the pgdr to write into PostgreSQL's configuration; throws CONFIG_INVALID when there is none. */
export async function findPgdrCommand(config: PgdrConfig, env: NodeJS.ProcessEnv): Promise<FoundPgdr> {
  const configured = config.pgdrCommand;
  const found = configured ?? onPath(env.PATH);
  if (found === undefined) {
    throw new PgdrError(
      'CONFIG_INVALID',
      'no pgdr on PATH to write into PostgreSQL restore_command/archive_command',
      { hint: `install pgdr (npm install -g pgdr), or ${SET_IT}` },
    );
  }
  if (!isExecutableFile(found)) {
    throw new PgdrError('CONFIG_INVALID', `pgdrCommand: ${found} is not an executable file`, {
      hint: SET_IT,
    });
  }
  await checkServerUserReaches(found);
  if (configured !== undefined) return { path: found, from: 'config', warnings: [] };
  return { path: found, from: 'PATH', warnings: warningsFor(found) };
}

/** The argv prefix for the engine's commands; warnings go to stderr. */
export async function pgdrCommandFor(
  config: PgdrConfig,
  ctx: Pick<CliContext, 'env' | 'stderr'>,
): Promise<string[]> {
  const found = await findPgdrCommand(config, ctx.env);
  for (const w of found.warnings) ctx.stderr.write(`pgdr: warning: ${w}\n`);
  return [found.path];
}

/** The first `pgdr` on PATH, as named there (not resolved: a link is what survives upgrades). */
function onPath(path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(':')) {
    // A relative entry names a different folder for PostgreSQL, which runs in its data folder.
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, 'pgdr');
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function checkServerUserReaches(path: string): Promise<void> {
  // Not root (servers run as ourselves), or no server user: whatever needs one says so itself.
  const user = await resolveServerUser().catch(() => null);
  if (user === null) return;
  for (const p of new Set([path, realpathSync(path)])) {
    const blocked = await firstBlockedPath(p, user);
    if (blocked === undefined) continue;
    throw new PgdrError(
      'CONFIG_INVALID',
      `pgdrCommand: the server user '${user.name}' cannot run ${path} (${blocked} is not reachable)`,
      { hint: `make ${blocked} readable and traversable by '${user.name}', or ${SET_IT}` },
    );
  }
}

function warningsFor(found: string): string[] {
  const real = realpathSync(found);
  const shown = real === found ? found : `${found} (-> ${real})`;
  const out: string[] = [];
  const checkout = checkoutOf(real);
  if (checkout !== undefined) {
    out.push(
      `the pgdr on PATH, ${shown}, runs the source checkout ${checkout}: PostgreSQL's commands written now stop working when it is moved or removed; install pgdr (npm install -g pgdr) or ${SET_IT}`,
    );
  }
  const versioned = [found, real].find((p) => p.split('/').some((c) => /^v?\d+\.\d+\.\d+$/.test(c)));
  if (versioned !== undefined) {
    out.push(
      `the pgdr on PATH, ${shown}, lies in a folder of one node version: PostgreSQL's commands written now stop working when that version is removed; ${SET_IT}`,
    );
  }
  const own = realpathSync(PGDR_EXECUTABLE);
  if (real !== own) {
    out.push(
      `the pgdr on PATH, ${shown}, is not the one running now (${own}): PostgreSQL's commands will run the one on PATH`,
    );
  }
  return out;
}

/** The package folder of a pgdr executable, when it is a checkout rather than an installed package. */
function checkoutOf(real: string): string | undefined {
  const pkg = dirname(dirname(real));
  try {
    const name = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { name?: unknown }).name;
    if (name !== 'pgdr') return undefined;
  } catch {
    return undefined;
  }
  const parent = dirname(pkg);
  return basename(parent) === 'node_modules' || basename(dirname(parent)) === 'node_modules'
    ? undefined
    : pkg;
}
