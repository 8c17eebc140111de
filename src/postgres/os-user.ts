// PostgreSQL refuses to run as root (initdb, pg_ctl and postgres all check), so when pgdr runs as root every
// server process runs as an unprivileged OS user, and every file the server touches must belong to that user.
// As any other user, servers simply run as ourselves.
import { type SpawnOptions, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PgdrError } from '../errors.js';

const DEFAULT_SERVER_USER = 'postgres';

export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** The user servers must run as, or null when we are not root and run them as ourselves. */
export async function resolveServerUser(options: { name?: string } = {}): Promise<ServerUser | null> {
  if (process.getuid?.() !== 0) return null;
  const name = options.name ?? DEFAULT_SERVER_USER;
  const passwd = await fsp.readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user !== name || uid === undefined || gid === undefined) continue;
    if (Number(uid) === 0) {
      throw new PgdrError(
        'POSTGRES_ERROR',
        `OS user '${name}' has uid 0; PostgreSQL refuses to run as root`,
        {
          hint: 'configure an unprivileged user for the server',
        },
      );
    }
    return { name, uid: Number(uid), gid: Number(gid), home: home || '/' };
  }
  throw new PgdrError(
    'POSTGRES_ERROR',
    `running as root, but there is no OS user '${name}' to run PostgreSQL as`,
    {
      hint: `PostgreSQL refuses to run as root: create the user (useradd --system --home-dir /var/lib/postgresql ${name}) or run pgdr as an unprivileged user`,
    },
  );
}

/**
 * Spawn options that run a child as the server user (or as ourselves when user is null). Without `env` the child
 * inherits pgdr's own environment, by design: PostgreSQL's programs need the locale (LANG, LC_*) and library
 * paths the operator's shell gave pgdr; pgdr's own settings are never read from it here.
 */
export function serverSpawnOptions(
  user: ServerUser | null,
  env: NodeJS.ProcessEnv = process.env,
): SpawnOptions {
  if (user === null) return { env: { ...env } };
  // A root HOME would make tools look for ~/.pgpass etc. in a folder the user cannot read.
  return {
    uid: user.uid,
    gid: user.gid,
    env: { ...env, HOME: user.home, USER: user.name, LOGNAME: user.name },
  };
}

/** Hands a file or folder (and, with recursive, everything below it) to the server user. */
export async function chownToServerUser(
  path: string,
  user: ServerUser | null,
  recursive = false,
): Promise<void> {
  if (user === null) return;
  await fsp.lchown(path, user.uid, user.gid);
  if (!recursive || !(await fsp.lstat(path)).isDirectory()) return;
  for (const entry of await fsp.readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownToServerUser(child, user, true);
    else await fsp.lchown(child, user.uid, user.gid);
  }
}

/**
 * The first folder on the way to path that the user cannot enter (or path itself when it cannot be read and
 * executed), or undefined when the user can reach and run it. Mode bits only: ACLs are not considered.
 */
export async function firstBlockedPath(path: string, user: ServerUser | null): Promise<string | undefined> {
  if (user === null) return undefined;
  const groups = await userGroups(user);
  const allowed = async (p: string, bits: number): Promise<boolean> => {
    const st = await fsp.stat(p).catch(() => undefined);
    if (st === undefined) return false;
    const shift = st.uid === user.uid ? 6 : groups.has(st.gid) ? 3 : 0;
    return ((st.mode >> shift) & bits) === bits;
  };
  const target = resolve(path);
  const chain: string[] = [];
  for (let p = dirname(target); ; p = dirname(p)) {
    chain.unshift(p);
    if (p === dirname(p)) break;
  }
  for (const dir of chain) if (!(await allowed(dir, 0o1))) return dir;
  return (await allowed(target, 0o5)) ? undefined : target;
}

async function userGroups(user: ServerUser): Promise<Set<number>> {
  const groups = new Set([user.gid]);
  const text = await fsp.readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [, , gid, members] = line.split(':');
    if (gid !== undefined && members?.split(',').includes(user.name)) groups.add(Number(gid));
  }
  return groups;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly user: ServerUser | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs a program as the server user and collects its output. Never throws for a non-zero exit: callers know
 * which error code a failure means. Throws POSTGRES_BINARIES only when the program cannot be started.
 */
export function runAsServerUser(options: RunOptions): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(options.file, options.args, {
      ...serverSpawnOptions(options.user, options.env),
      // The user may not be allowed into our working directory; '/' always works.
      cwd: options.cwd ?? (options.user === null ? process.cwd() : '/'),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(
        new PgdrError('POSTGRES_BINARIES', `cannot run ${options.file}: ${e.message}`, {
          cause: e,
          hint: options.user
            ? `it runs as OS user '${options.user.name}', who must be able to execute it`
            : undefined,
        }),
      ),
    );
    child.on('close', (code, signal) =>
      resolveRun({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
