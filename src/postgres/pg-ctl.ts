// Controlling a server in a data folder through its pg_ctl, one way for every command: whether it runs, a
// start, a stop that waits and says why it failed, a restart, a promotion. pg_ctl runs as the server's OS user
// (os-user.ts). A recovery that must promote before its checkpoint record is read asks the postmaster itself
// (promote-signal.ts): pg_ctl promote refuses until then.
import { promises as fsp } from 'node:fs';
import { PgdrError } from '../errors.js';
import { lastLines } from './initdb.js';
import { resolveServerUser, runAsServerUser, type ServerUser } from './os-user.js';

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PgCtlTarget {
  readonly pgCtl: string;
  readonly pgdata: string;
  /** The OS user the server runs as; looked up (resolveServerUser) when not given. */
  readonly user?: ServerUser | null;
  /** The server's log, whose last lines explain a failure. */
  readonly logFile?: string;
}

async function run(t: PgCtlTarget, args: string[], timeoutSeconds: number) {
  const user = t.user === undefined ? await resolveServerUser() : t.user;
  return runAsServerUser({ file: t.pgCtl, args, user, timeoutMs: timeoutSeconds * 1000 });
}

export async function isRunning(t: PgCtlTarget): Promise<boolean> {
  return (await run(t, ['status', '-D', t.pgdata], 30)).code === 0;
}

/** Stops the server and waits; a server that is not running is not an error. */
export async function stopServer(
  t: PgCtlTarget,
  o: { mode?: StopMode; timeoutSeconds?: number; hint?: string } = {},
): Promise<void> {
  if (!(await isRunning(t))) return;
  const timeout = o.timeoutSeconds ?? 60;
  const mode = o.mode ?? 'fast';
  const r = await run(t, ['stop', '-D', t.pgdata, '-m', mode, '-w', '-t', String(timeout)], timeout + 30);
  if (r.code === 0 || !(await isRunning(t))) return;
  throw new PgdrError('POSTGRES_ERROR', `PostgreSQL in ${t.pgdata} did not stop (${mode})`, {
    hint: [o.hint, r.stderr.trim() || r.stdout.trim(), await logTail(t)].filter(Boolean).join('\n'),
  });
}

export interface StartSettings {
  /** The postgres command line (pg_ctl -o): `-p`, `-k`, `-c name=value`, already quoted. */
  readonly options: string;
  /** Wait until the server accepts connections (or is a hot standby); default true. */
  readonly wait?: boolean;
  readonly timeoutSeconds?: number;
  /** What the error calls the server ("PostgreSQL 17.2"); default "PostgreSQL in <pgdata>". */
  readonly what?: string;
  /** Said after "did not start" ("on port 5433"). */
  readonly where?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Starts the server with its log in t.logFile. A start that fails is followed by an immediate stop: a pg_ctl
 * that timed out leaves a server running that nobody would own afterwards.
 */
export async function startServer(t: PgCtlTarget & { logFile: string }, o: StartSettings): Promise<void> {
  const timeout = o.timeoutSeconds ?? 60;
  const waitFlag = o.wait === false ? '-W' : '-w';
  const args = [
    'start',
    '-D',
    t.pgdata,
    '-l',
    t.logFile,
    waitFlag,
    '-t',
    String(timeout),
    '-s',
    '-o',
    o.options,
  ];
  const r = await run(t, args, timeout + 30);
  if (r.code === 0) return;
  await stopServer(t, { mode: 'immediate' }).catch(() => undefined);
  throw new PgdrError(
    'POSTGRES_ERROR',
    `${o.what ?? `PostgreSQL in ${t.pgdata}`} did not start${o.where ? ` ${o.where}` : ''}`,
    {
      hint: [r.stderr.trim() || r.stdout.trim(), await logTail(t)].filter(Boolean).join('\n'),
      ...(o.details ? { details: o.details } : {}),
    },
  );
}

/** Promotes a server in recovery and waits until it accepts writes (pg_ctl promote -w). */
export async function promoteServer(t: PgCtlTarget, timeoutSeconds = 300): Promise<void> {
  const r = await run(
    t,
    ['promote', '-D', t.pgdata, '-w', '-t', String(timeoutSeconds)],
    timeoutSeconds + 30,
  );
  if (r.code === 0) return;
  throw new PgdrError('POSTGRES_ERROR', `PostgreSQL in ${t.pgdata} did not promote: ${r.stderr.trim()}`, {
    hint: await logTail(t),
  });
}

/** Restarts the server (fast shutdown) and waits until it accepts connections. */
export async function restartServer(
  t: PgCtlTarget & { logFile: string },
  timeoutSeconds = 120,
): Promise<void> {
  const args = ['restart', '-D', t.pgdata, '-m', 'fast', '-w', '-t', String(timeoutSeconds), '-l', t.logFile];
  const r = await run(t, args, timeoutSeconds + 30);
  if (r.code === 0) return;
  throw new PgdrError('POSTGRES_ERROR', `PostgreSQL in ${t.pgdata} did not restart: ${r.stderr.trim()}`, {
    hint: await logTail(t),
  });
}

async function logTail(t: PgCtlTarget): Promise<string> {
  if (t.logFile === undefined) return '';
  const text = await fsp.readFile(t.logFile, 'utf8').catch(() => '');
  return text ? `last lines of ${t.logFile}:\n${lastLines(text, 20)}` : '';
}
