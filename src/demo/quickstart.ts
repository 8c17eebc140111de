// The README's first command until `pgdr demo` exists: pgdr's main job on the embedded default, end to end.
// Embedded PostgreSQL 17 archives its WAL through `pgdr wal archive`, pgdr takes a base backup into a file://
// store, more data is written and archived, then `pgdr backup list` and `pgdr status` show the result.
// Every pgdr step runs the real CLI as the server's OS user (the one archive_command runs as), so the store
// has a single owner.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinaries } from '../postgres/binaries.js';
import { freePort } from '../postgres/free-port.js';
import {
  chownToServerUser,
  resolveServerUser,
  type ServerUser,
  serverSpawnOptions,
} from '../postgres/os-user.js';
import { initdb, PostgresServer } from '../postgres/server.js';

const BIN = fileURLToPath(new URL('../cli/bin.js', import.meta.url));

function step(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

async function pgdr(args: string[], user: ServerUser | null): Promise<void> {
  process.stdout.write(`$ pgdr ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [BIN, ...args], {
    ...serverSpawnOptions(user),
    stdio: 'inherit',
    cwd: '/',
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`pgdr ${args[0]} ${args[1] ?? ''} exited with ${code}`);
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-quickstart-'));
  const user = await resolveServerUser();
  await fsp.chmod(dir, 0o755);
  await chownToServerUser(dir, user);
  const pgdata = join(dir, 'pgdata');
  const repo = join(dir, 'repo');
  const config = join(dir, 'pgdr.yaml');
  let server: PostgresServer | undefined;
  try {
    step('PostgreSQL 17 from npm, archiving WAL through pgdr into a file:// object store');
    const bin = await findBinaries({ major: 17 });
    await fsp.mkdir(repo);
    await chownToServerUser(repo, user);
    const port = await freePort();
    await fsp.writeFile(
      config,
      [
        'serverName: quickstart',
        'objectStore:',
        `  destinationPath: file://${repo}`,
        '  wal: { compression: gzip, maxParallel: 4 }',
        '  data: { compression: gzip, immediateCheckpoint: true }',
        'postgres:',
        `  connection: postgresql://postgres@127.0.0.1:${port}/postgres`,
        `  pgdata: ${pgdata}`,
        '',
      ].join('\n'),
    );
    await fsp.chmod(config, 0o644);
    await initdb({ bin, pgdata, runAs: user, noSync: true });
    server = await PostgresServer.start({
      bin,
      pgdata,
      port,
      socketDir: join(dir, 's'),
      logFile: join(dir, 'server.log'),
      runAs: user,
      settings: {
        archive_mode: 'on',
        archive_command: `"${process.execPath}" "${BIN}" wal archive --config "${config}" %p`,
        wal_level: 'replica',
      },
    });
    process.stdout.write(`server on 127.0.0.1:${port}, data in ${pgdata}, object store ${repo}\n`);
    await server.query(
      'CREATE TABLE accounts (id bigserial PRIMARY KEY, username text, created_at timestamptz DEFAULT now())',
    );
    await server.query("INSERT INTO accounts (username) SELECT 'user' || g FROM generate_series(1, 50000) g");

    step('a base backup');
    await pgdr(['backup', 'create', '--config', config], user);

    step('more writes after the backup, then a WAL switch');
    await server.query("INSERT INTO accounts (username) SELECT 'late' || g FROM generate_series(1, 10000) g");
    await switchAndWait(server);

    step('what the bucket holds');
    await pgdr(['backup', 'list', '--config', config], user);
    await pgdr(['status', '--config', config], user);
    step(`done${keep ? `: everything is kept in ${dir}` : ''}`);
  } finally {
    await server?.stop({ mode: 'fast' }).catch(() => server?.stop({ mode: 'immediate' }));
    if (!keep) await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function switchAndWait(server: PostgresServer): Promise<void> {
  const [row] = await server.query<{ w: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS w');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [s] = await server.query<{ last: string | null; failed: string }>(
      'SELECT last_archived_wal AS last, failed_count::text AS failed FROM pg_stat_archiver',
    );
    if (s?.last && row && s.last >= row.w) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`WAL ${row?.w} was not archived within 60 s: see the server log`);
}

main().catch((e: Error) => {
  process.stderr.write(`quickstart failed: ${e.message}\n`);
  process.exitCode = 1;
});
