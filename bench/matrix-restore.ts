// Restore rows, with the source stopped: full restore of the full backup into an empty folder (files only, no
// recovery), delta restore of the full backup onto a copy of the stopped source (2% of its pages changed since,
// as a failed primary being turned back), and end to end: restore + recovery to the end of the archive, and to a
// time target, until the server is promoted (rows checked, then the server stopped).
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { barmanShellCommand } from '../test/helpers/barman.js';
import { PGDR_COMMAND_ENV } from '../test/helpers/cli.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { stopPgCtl } from '../test/helpers/restore-run.js';
import type { BackupIds } from './matrix-backup.js';
import { attempt, barmanArgs, type MatrixContext, SERVER_NAME, serverFolder } from './matrix-context.js';
import { cell, unknownOption } from './matrix-step.js';
import type { Outcome } from './matrix-table.js';
import { PGDR_EXE, PGDR_EXE_ENV } from './pgdr-exe.js';
import { type Measured, measure } from './process-meter.js';

export interface Markers {
  /** Rows of bench_marker at the PITR target time, and at the end of the archive. */
  readonly atTarget: number;
  readonly atEnd: number;
  readonly targetTime: string;
}

const pgdrRestore = (ctx: MatrixContext, args: string[]) =>
  measure(PGDR_EXE, ['restore', ...args, '--config', ctx.pgdr.config, '--format', 'json'], {
    env: { ...process.env, ...PGDR_COMMAND_ENV, ...PGDR_EXE_ENV },
  });

async function countMarkers(connectionString: string): Promise<number> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM bench_marker')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

const rowsCheck = (got: number, want: number): void => {
  if (got !== want) throw new Error(`restored ${got} marker rows, expected ${want}`);
};

export async function filesOnlyRows(ctx: MatrixContext, ids: BackupIds): Promise<void> {
  const basisBytes = ctx.dataBytes;
  await attempt(ctx, 'full restore (files only)', 'pgdr', async () => {
    const dir = join(ctx.work, 'full-pgdr');
    let got: number | undefined;
    const c = await cell(
      async () => {
        const m = await pgdrRestore(ctx, [dir, '--backup-id', ids.pgdrFull!, '--no-start']);
        if (m.code !== 0) throw new Error(`pgdr restore: ${m.stderr}`);
        got = (JSON.parse(m.stdout) as { download?: { downloadedBytes: number } }).download?.downloadedBytes;
        return m;
      },
      { basisBytes, coldCache: true, bytes: async () => got ?? ids.bytes.pgdr },
    );
    await fsp.rm(dir, { recursive: true, force: true });
    return { status: 'ok', cell: c };
  });
  const br = ctx.pgbackrest;
  if (br) {
    await attempt(ctx, 'full restore (files only)', 'pgBackRest', async () => {
      const dir = await serverFolder(ctx, 'full-pgbackrest');
      const c = await cell(() => br.run(['restore', `--set=${ids.pgbackrestFull}`, `--pg1-path=${dir}`]), {
        basisBytes,
        coldCache: true,
        bytes: async () => ids.bytes.pgBackRest,
      });
      await fsp.rm(dir, { recursive: true, force: true });
      return { status: 'ok', cell: c };
    });
  }
  await attempt(ctx, 'full restore (files only)', 'barman-cloud', async () => {
    const dir = join(ctx.work, 'full-barman');
    const c = await cell(() => barmanRestore(ctx, ids, dir), {
      basisBytes,
      coldCache: true,
      bytes: async () => ids.bytes['barman-cloud'],
    });
    await fsp.rm(dir, { recursive: true, force: true });
    return { status: 'ok', cell: c };
  });
}

async function barmanRestore(ctx: MatrixContext, ids: BackupIds, dir: string): Promise<Measured> {
  const m = await measure(
    'barman-cloud-restore',
    [...barmanArgs(ctx), ctx.barman.destination, SERVER_NAME, ids.barmanFull!, dir],
    { env: ctx.barman.env },
  );
  if (m.code !== 0) throw new Error(`barman-cloud-restore: ${m.stderr}`);
  return m;
}

/** A copy of the stopped source's data directory (owner and modes kept): the folder a delta restore fixes. */
function copySource(ctx: MatrixContext, name: string): string {
  const dir = join(ctx.work, name);
  execFileSync('rm', ['-rf', dir]);
  execFileSync('cp', ['-a', ctx.pg.pgdata, dir]);
  execFileSync('sync');
  return dir;
}

export async function deltaRows(ctx: MatrixContext, ids: BackupIds): Promise<void> {
  const basisBytes = ctx.dataBytes;
  await attempt(ctx, 'delta restore', 'pgdr', async () => {
    const dir = copySource(ctx, 'delta-pgdr');
    let refused = false;
    let got: number | undefined;
    const c = await cell(
      async () => {
        const m = await pgdrRestore(ctx, ['--delta', dir, '--backup-id', ids.pgdrFull!, '--no-start']);
        if (unknownOption(m.stdout, m.stderr, '--delta')) refused = true;
        else if (m.code !== 0) throw new Error(`pgdr restore --delta: ${m.stderr}`);
        else
          got = (JSON.parse(m.stdout) as { download?: { downloadedBytes: number } }).download
            ?.downloadedBytes;
        return m;
      },
      { basisBytes, coldCache: true, bytes: async () => got },
    );
    await fsp.rm(dir, { recursive: true, force: true });
    if (refused) return { status: 'not available', why: 'this pgdr has no restore --delta' };
    return { status: 'ok', cell: c };
  });
  const br = ctx.pgbackrest;
  if (br) {
    await attempt(ctx, 'delta restore', 'pgBackRest', async () => {
      const dir = copySource(ctx, 'delta-pgbackrest');
      const c = await cell(
        () => br.run(['restore', '--delta', `--set=${ids.pgbackrestFull}`, `--pg1-path=${dir}`]),
        { basisBytes, coldCache: true },
      );
      await fsp.rm(dir, { recursive: true, force: true });
      return { status: 'ok', cell: c };
    });
  }
  await attempt(ctx, 'delta restore', 'barman-cloud', async () => ({
    status: 'n/a',
    why: 'barman-cloud-restore needs an empty folder',
  }));
}

export async function endToEndRows(ctx: MatrixContext, ids: BackupIds, markers: Markers): Promise<void> {
  for (const pitr of [false, true]) {
    const path = pitr ? 'PITR (end to end)' : 'restore latest (end to end)';
    const want = pitr ? markers.atTarget : markers.atEnd;
    await attempt(ctx, path, 'pgdr', async () => {
      const dir = join(ctx.work, 'e2e-pgdr');
      const c = await cell(
        async () => {
          const m = await pgdrRestore(ctx, [dir, ...(pitr ? ['--target-time', markers.targetTime] : [])]);
          if (m.code !== 0) throw new Error(`pgdr restore: ${m.stderr}`);
          const out = JSON.parse(m.stdout) as {
            server: { pgCtl: string; pgdata: string; connectionString: string };
          };
          try {
            rowsCheck(await countMarkers(out.server.connectionString), want);
          } finally {
            await stopPgCtl(out.server.pgCtl, out.server.pgdata);
          }
          return m;
        },
        { basisBytes: ctx.dataBytes, coldCache: true },
      );
      await fsp.rm(dir, { recursive: true, force: true });
      return { status: 'ok', cell: c };
    });
    const br = ctx.pgbackrest;
    if (br) {
      const target = pitr ? ['--type=time', `--target=${markers.targetTime}`, '--target-action=promote'] : [];
      await attempt(ctx, path, 'pgBackRest', () =>
        recoverWith(ctx, want, {}, async (pgdata) => {
          await fsp.mkdir(pgdata, { mode: 0o700 });
          if (ctx.user) await fsp.chown(pgdata, ctx.user.uid, ctx.user.gid);
          return br.run(['restore', ...target, `--pg1-path=${pgdata}`]);
        }),
      );
    }
    const restoreCommand = barmanShellCommand(ctx.s3, 'wal-restore', [
      ctx.barman.destination,
      SERVER_NAME,
      '%f',
      '%p',
    ]);
    const settings: Record<string, string> = { restore_command: restoreCommand };
    if (pitr)
      Object.assign(settings, {
        recovery_target_time: markers.targetTime,
        recovery_target_action: 'promote',
      });
    await attempt(ctx, path, 'barman-cloud', () =>
      recoverWith(ctx, want, settings, async (pgdata) => {
        const m = await barmanRestore(ctx, ids, pgdata);
        await fsp.writeFile(join(pgdata, 'recovery.signal'), '');
        return m;
      }),
    );
  }
}

/** Restore with `fill`, start PostgreSQL 15 on the result and wait for the end of recovery; timed as a whole. */
async function recoverWith(
  ctx: MatrixContext,
  want: number,
  settings: Record<string, string>,
  fill: (pgdata: string) => Promise<Measured>,
): Promise<Outcome> {
  let peak = 0;
  const c = await cell(
    async () => {
      const t = process.hrtime.bigint();
      const server = await startPostgres({
        major: 15,
        settings: { fsync: 'on', archive_mode: 'off', ...settings },
        fillPgdata: async (pgdata) => {
          peak = (await fill(pgdata)).peakRssMiB;
        },
      });
      try {
        await server.server.waitForRecoveryEnd({ timeoutSeconds: 3600 });
        const seconds = Number(process.hrtime.bigint() - t) / 1e9;
        rowsCheck(await countMarkers(server.connectionString), want);
        return { seconds, peakRssMiB: peak };
      } finally {
        await server.cleanup();
      }
    },
    { basisBytes: ctx.dataBytes, coldCache: true },
  );
  return { status: 'ok', cell: c };
}
