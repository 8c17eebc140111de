// A running standby keeps replaying after the pgdr installation it was created from is moved: its
// restore_command names the stable `pgdr` (an npm-style bin link found on PATH), never the installation's own
// folder or node. The installation is a copy of this package laid out as `npm install -g --prefix` lays it out
// (PREFIX/lib/node_modules/pgdr with bin and dist; its node_modules is this checkout's, which stays put); an
// upgrade is a second copy the link is re-pointed to, after which the first is moved away.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_EXE } from '../helpers/cli.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { assertStableCommands } from '../helpers/stable-commands.js';

const BUCKET = 'pgdrmoved';
const CHECKOUT = dirname(dirname(PGDR_EXE));

/** Installs this package under prefix the way npm does, without the link; returns its bin/pgdr. */
async function install(prefix: string): Promise<string> {
  const pkg = join(prefix, 'lib', 'node_modules', 'pgdr');
  await fsp.mkdir(pkg, { recursive: true });
  for (const part of ['bin', 'dist', 'package.json'])
    await fsp.cp(join(CHECKOUT, part), join(pkg, part), { recursive: true });
  await fsp.symlink(join(CHECKOUT, 'node_modules'), join(pkg, 'node_modules'));
  return join(pkg, 'bin', 'pgdr');
}

describe('a standby outlives a move of the pgdr installation that created it', () => {
  let s3: S3rverHandle;
  let root: string;
  let cfg: string;
  let primary: TestPostgres;
  let standby: { pgCtl: string; pgdata: string; connectionString: string } | undefined;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-moved-'));
    await fsp.chmod(root, 0o755);
    ({ primary, cfg } = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: 'moved' }));
  });
  after(async () => {
    if (standby) await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('replays WAL archived after the link moved to a new copy and the old one is gone', async () => {
    const a = join(root, 'pgdr-a');
    const b = join(root, 'pgdr-b');
    const link = join(root, 'bin', 'pgdr');
    await fsp.mkdir(dirname(link));
    await fsp.symlink(await install(a), link);
    const env = {
      PATH: `${dirname(link)}:/usr/bin:/bin`,
      HOME: process.env.HOME,
      XDG_STATE_HOME: join(root, 'state'),
    };
    // No pgdrCommand configured: the pgdr found on PATH is the link, and that is what is written.
    const created = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        link,
        ['replica', 'create', join(root, 'standby'), '--config', cfg, '--format', 'json'],
        { env, timeout: 600_000 },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
      ),
    );
    assert.equal(created.code, 0, created.stderr);
    standby = JSON.parse(created.stdout);
    const s = standby!;
    const [restoreCommand] = await assertStableCommands(s.pgdata, link);
    assert.ok(!restoreCommand!.includes(a), restoreCommand);
    const count = async () =>
      Number((await q<{ n: string }>(s.connectionString, 'SELECT count(*) AS n FROM t'))[0]!.n);
    await primary.query('INSERT INTO t SELECT generate_series(101, 200)');
    await switchWalAndWait(primary);
    await until('the standby to replay rows 101-200', async () =>
      (await count()) === 200 ? true : undefined,
    );

    // The upgrade: a new copy, the link re-pointed to it (at once: a restore_command finding no link at all
    // exits 127, which PostgreSQL takes as fatal), the old copy moved away.
    await fsp.symlink(await install(b), `${link}.new`);
    await fsp.rename(`${link}.new`, link);
    await fsp.rename(a, `${a}-moved`);
    await fsp.rm(`${a}-moved`, { recursive: true });
    await primary.query('INSERT INTO t SELECT generate_series(201, 300)');
    await switchWalAndWait(primary);
    await until('the standby to replay rows 201-300 through the new copy', async () =>
      (await count()) === 300 ? true : undefined,
    );
  });
});
