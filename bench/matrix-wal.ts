// WAL archive and WAL fetch rows: the same real segments of the bench database, one command per segment as
// PostgreSQL calls them (.ready renamed to .done after each archive call; RECOVERYXLOG removed before each fetch).
// pgdr with wal.maxParallel (archive ahead / prefetch), pgBackRest with archive-async and process-max = cores,
// barman-cloud-wal-archive -z / barman-cloud-wal-restore.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PGDR_EXE } from '../test/helpers/cli.js';
import {
  attempt,
  barmanArgs,
  barmanDir,
  type MatrixContext,
  PGDR_ENV,
  SERVER_NAME,
  serverFolder,
} from './matrix-context.js';
import { cell, dirBytes, sequence } from './matrix-step.js';
import type { Tool } from './matrix-table.js';

const SEG = 16 * 1024 * 1024;

/**
 * A data-directory-like folder (global/pg_control copied from the source, which pgBackRest checks the segments
 * against, and pg_wal holding the segments with .ready status files), owned by the server user; returns it.
 */
async function fakePgdata(
  ctx: MatrixContext,
  tool: string,
  segDir: string,
  names: readonly string[],
): Promise<string> {
  const dir = await serverFolder(ctx, `pgdata-${tool}`);
  const wal = join(dir, 'pg_wal');
  await fsp.mkdir(join(wal, 'archive_status'), { recursive: true });
  await fsp.mkdir(join(dir, 'global'));
  await fsp.copyFile(join(ctx.pg.pgdata, 'global', 'pg_control'), join(dir, 'global', 'pg_control'));
  for (const n of names) {
    await fsp.copyFile(join(segDir, n), join(wal, n));
    await fsp.writeFile(join(wal, 'archive_status', `${n}.ready`), '');
  }
  if (ctx.user) execFileSync('chown', ['-R', `${ctx.user.uid}:${ctx.user.gid}`, dir]);
  return dir;
}

export async function walRows(ctx: MatrixContext, segDir: string, names: readonly string[]): Promise<void> {
  const basisBytes = names.length * SEG;
  const as = ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid } : {};
  const userEnv = ctx.user ? { ...process.env, HOME: ctx.user.home, USER: ctx.user.name } : process.env;
  const pgdrCmd = (args: string[]) => ({
    cmd: PGDR_EXE,
    args: [
      ...args.slice(0, 2),
      '--config',
      ctx.pgdr.config,
      '--max-parallel',
      String(ctx.pgdr.walParallel),
      ...args.slice(2),
    ],
  });
  const stored: Partial<Record<Tool, number>> = {};

  const archive = async (
    tool: Tool,
    command: (path: string, pgdata: string) => { cmd: string; args: string[] },
    o: object,
    size: () => Promise<number>,
  ) => {
    await attempt(ctx, 'WAL archive', tool, async () => {
      const pgdata = await fakePgdata(ctx, tool, segDir, names);
      const dir = join(pgdata, 'pg_wal');
      const before = await size();
      const status = (n: string, s: string) => join(dir, 'archive_status', `${n}.${s}`);
      const c = await cell(
        () =>
          sequence(names, (n) => command(join(dir, n), pgdata), {
            ...o,
            after: (n) => fsp.rename(status(n, 'ready'), status(n, 'done')),
          }),
        { basisBytes, bytes: async () => (await size()) - before },
      );
      stored[tool] = c.bytes;
      await fsp.rm(pgdata, { recursive: true, force: true });
      return { status: 'ok', cell: c };
    });
  };
  await archive(
    'pgdr',
    (p) => pgdrCmd(['wal', 'archive', p]),
    { ...as, env: PGDR_ENV },
    () => dirBytes(join(ctx.pgdr.repo, SERVER_NAME, 'wals')),
  );
  const br = ctx.pgbackrest;
  if (br) {
    await archive(
      'pgBackRest',
      (p, pgdata) => ({
        cmd: 'pgbackrest',
        args: [`--config=${br.conf}`, '--stanza=bench', `--pg1-path=${pgdata}`, 'archive-push', p],
      }),
      // The async worker detaches from the command that started it: found by its configuration path.
      { ...as, env: userEnv, match: br.conf },
      () => dirBytes(join(br.repo, 'archive')),
    );
  }
  await archive(
    'barman-cloud',
    (p) => ({
      cmd: 'barman-cloud-wal-archive',
      args: [...barmanArgs(ctx), '-z', ctx.barman.destination, SERVER_NAME, p],
    }),
    { env: ctx.barman.env },
    () => dirBytes(barmanDir(ctx, 'wals'), '._S3rver_object'),
  );

  const fetch = async (
    tool: Tool,
    command: (name: string, path: string, pgdata: string) => { cmd: string; args: string[] },
    o: object,
  ) => {
    await attempt(ctx, 'WAL fetch', tool, async () => {
      const dir = await fakePgdata(ctx, `fetch-${tool}`, segDir, []);
      const target = join(dir, 'pg_wal', 'RECOVERYXLOG');
      const c = await cell(
        () =>
          sequence(names, (n) => command(n, target, dir), {
            ...o,
            before: () => fsp.rm(target, { force: true }),
          }),
        { basisBytes, bytes: async () => stored[tool] },
      );
      await fsp.rm(dir, { recursive: true, force: true });
      return { status: 'ok', cell: c };
    });
  };
  await fetch('pgdr', (n, p) => pgdrCmd(['wal', 'restore', n, p]), { ...as, env: PGDR_ENV });
  if (br) {
    await fetch(
      'pgBackRest',
      (n, p, pgdata) => ({
        cmd: 'pgbackrest',
        args: [`--config=${br.conf}`, '--stanza=bench', `--pg1-path=${pgdata}`, 'archive-get', n, p],
      }),
      { ...as, env: userEnv, match: br.conf },
    );
  }
  await fetch(
    'barman-cloud',
    (n, p) => ({
      cmd: 'barman-cloud-wal-restore',
      args: [...barmanArgs(ctx), ctx.barman.destination, SERVER_NAME, n, p],
    }),
    { env: ctx.barman.env },
  );
}
