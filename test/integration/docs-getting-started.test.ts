// docs/getting-started.md stays true: its commands run here in the page's order, as written, with the host's
// paths mapped onto a test PostgreSQL 17 and an s3rver bucket (the mapping is `adapt` below). Step 1 (npm
// install) is proven by test/e2e/pack-install.test.ts and step 7 (systemd) by packaging-systemd.test.ts; here
// step 1 is a `pgdr` on PATH (a link to this checkout's, as npm links it) and step 7 is checked to name what
// the package ships.
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createMastodonData } from '../../src/demo/mastodon-data.js';
import { resolveServerUser, runAsServerUser, type ServerUser } from '../../src/postgres/os-user.js';
import { shQuote } from '../../src/shell-quote.js';
import { PGDR_EXE } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const page = await readFile(new URL('../../../docs/getting-started.md', import.meta.url), 'utf8');
const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  files: string[];
};

interface Step {
  readonly title: string;
  readonly sh: string[];
  readonly yaml: string[];
}

/** The page's numbered steps with their code blocks; a command continued with `\` is one command. */
function steps(text: string): Step[] {
  return text
    .split(/^## (?=\d+\. )/m)
    .slice(1)
    .map((part) => {
      const blocks = [...part.matchAll(/```(sh|yaml)\n([\s\S]*?)```/g)];
      const of = (lang: string) => blocks.filter((b) => b[1] === lang).map((b) => b[2]!);
      return {
        title: part.split('\n')[0]!,
        sh: of('sh').flatMap((b) =>
          b
            .replace(/\\\n\s*/g, '')
            .split('\n')
            .filter((l) => l.trim() !== ''),
        ),
        yaml: of('yaml'),
      };
    });
}

describe('docs/getting-started.md, run as written', () => {
  let root: string;
  let etc: string;
  let s3: S3rverHandle;
  let server: TestPostgres;
  let user: ServerUser | null;
  let socketDir: string;
  let binDir: string;
  const all = steps(page);
  const step = (n: number) => {
    const s = all.find((x) => x.title.startsWith(`${n}. `));
    assert.ok(s, `step ${n} is on the page`);
    return s;
  };

  before(async () => {
    user = await resolveServerUser();
    root = await mkdtemp(join(tmpdir(), 'pgdr-docs-'));
    await chmod(root, 0o755);
    etc = join(root, 'etc', 'pgdr');
    binDir = join(root, 'bin');
    await mkdir(binDir);
    await symlink(PGDR_EXE, join(binDir, 'pgdr'));
    s3 = await startS3rver({ buckets: ['mastovault'] });
    server = await startPostgres({ major: 17 });
    socketDir = join(server.dir, 's');
    const connect = async (database: string) => {
      const c = new pg.Client({ host: socketDir, port: server.port, user: 'postgres', database });
      await c.connect();
      return c;
    };
    const admin = await connect('postgres');
    try {
      await createMastodonData(
        admin,
        connect,
        { accounts: 2_000, localAccounts: 400, statuses: 20_000 },
        () => {},
      );
    } finally {
      await admin.end();
    }
  });
  after(async () => {
    await server?.cleanup();
    await s3?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** The page's host paths and values, mapped onto this test's server, bucket and folders. */
  const adapt = (text: string) =>
    text
      .replaceAll('/etc/pgdr', etc)
      .replaceAll('host=/var/run/postgresql', `host=${socketDir}&port=${server.port}`)
      .replaceAll('/var/lib/postgresql/17/main', server.pgdata)
      .replaceAll('/var/lib/pgdr/', `${root}/`)
      .replace('https://ACCOUNT.r2.cloudflarestorage.com', s3.endpoint)
      .replaceAll('/usr/local/bin/pgdr', join(binDir, 'pgdr'))
      .replace(/ -o root -g postgres/g, user === null ? '' : ' -o root -g postgres');

  /** Runs one line of the page: `sudo -u postgres` as the server user, the rest as this test's user. */
  const run = async (line: string) => {
    let command = adapt(line);
    const asServer = command.startsWith('sudo -u postgres ');
    if (asServer) command = command.slice('sudo -u postgres '.length);
    command = command
      .replace(/^psql /, 'psql -h $PGHOST -p $PGPORT -U postgres ')
      .replace(
        /^systemctl restart postgresql@17-main$/,
        `pg_ctl restart -D ${shQuote(server.pgdata)} -w -m fast -l ${shQuote(server.logFile)}`,
      );
    const r = await runAsServerUser({
      file: '/bin/sh',
      args: ['-c', command],
      user: asServer || command.startsWith('pg_ctl') ? user : null,
      cwd: '/',
      env: {
        PATH: `${binDir}:${server.bin.binDir}:/usr/local/bin:/usr/bin:/bin`,
        PGHOST: socketDir,
        PGPORT: String(server.port),
        // /etc/pgdr/pgdr.yaml is where pgdr looks by default; here it lives under the test's folder.
        PGDR_CONFIG: join(etc, 'pgdr.yaml'),
        HOME: root,
      },
      timeoutMs: 300_000,
    });
    return { ...r, command, out: `$ ${command}\n${r.stdout}\n${r.stderr}` };
  };

  it('1. installs what step 7 copies: the systemd units are in the npm package', () => {
    assert.match(step(1).sh.join('\n'), /npm install -g .*pgdr/);
    assert.ok(pkg.files.some((f) => f.startsWith('packaging/systemd')));
    for (const unit of step(7)
      .sh.join('\n')
      .match(/pgdr-[a-z]+\.service/g) ?? []) {
      assert.ok(['pgdr-agent.service', 'pgdr-serve.service'].includes(unit), unit);
    }
  });

  it('2. configures: the folder and secret files, the YAML, pgdr config show', async () => {
    const s = step(2);
    const [install, config] = [
      s.sh.filter((l) => l.startsWith('install ')),
      s.sh.filter((l) => !l.startsWith('install ')),
    ];
    await runAsServerUser({ file: 'mkdir', args: ['-p', join(root, 'etc')], user: null });
    for (const line of install) {
      const r = await run(line);
      assert.equal(r.code, 0, r.out);
    }
    // "Put the key id and the secret in those two files".
    await writeFile(join(etc, 's3-access-key-id'), s3.accessKeyId);
    await writeFile(join(etc, 's3-secret-access-key'), s3.secretAccessKey);
    assert.equal(s.yaml.length, 1, 'one configuration file');
    const yaml = adapt(s.yaml[0]!);
    assert.match(yaml, /^# .*\/pgdr\.yaml$/m);
    await writeFile(join(etc, 'pgdr.yaml'), yaml, { mode: 0o640 });
    if (user !== null) await chown(join(etc, 'pgdr.yaml'), 0, user.gid);
    for (const line of config) {
      const r = await run(line);
      assert.equal(r.code, 0, r.out);
      assert.ok(!r.stdout.includes(s3.secretAccessKey), 'no secret printed');
      assert.match(r.stdout, /s3-secret-access-key/, 'the secret shown as its reference');
    }
  });

  it('3. checks the new bucket: the store passes, backups fail (none yet)', async () => {
    const [line] = step(3).sh;
    const r = await run(`${line!} --format json`);
    assert.equal(r.code, 51, r.out);
    const checks = (JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string }> }).checks;
    const status = (name: string) => checks.find((c) => c.name === name)?.status;
    assert.equal(status('store-reachable'), 'pass', r.out);
    assert.equal(status('credentials'), 'pass', r.out);
    assert.equal(status('bucket'), 'pass', r.out);
    assert.equal(status('backups'), 'fail', r.out);
  });

  it('4. archives the WAL: archive_command as written, a restart, a first segment in the bucket', async () => {
    for (const line of step(4).sh) {
      const r = await run(line);
      assert.equal(r.code, 0, r.out);
    }
    const [setting] = await server.query<{ archive_command: string }>('SHOW archive_command');
    assert.equal(
      setting!.archive_command,
      `${join(binDir, 'pgdr')} wal archive --config ${join(etc, 'pgdr.yaml')} %p`,
    );
    await until('the first archived segment', async () => {
      const [a] = await server.query<{ archived_count: string }>(
        'SELECT archived_count FROM pg_stat_archiver',
      );
      return Number(a!.archived_count) > 0 ? true : undefined;
    });
  });

  it('5. takes the first base backup, lists it, shows the recovery window', async () => {
    for (const line of step(5).sh) {
      const r = await run(line);
      assert.equal(r.code, 0, r.out);
      if (line.includes('backup list')) assert.match(r.stdout, /\d{8}T\d{6}/, r.out);
    }
  });

  it('6. checks again with the server: every check passes', async () => {
    const [line] = step(6).sh;
    const r = await run(`${line!} --format json`);
    assert.equal(r.code, 0, r.out);
    const checks = (JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string }> }).checks;
    for (const name of ['archiver', 'cluster-identity', 'backups', 'wal-continuity']) {
      assert.equal(checks.find((c) => c.name === name)?.status, 'pass', `${name}\n${r.out}`);
    }
  });

  it('8. the first restore drill passes, and is in the history', async () => {
    for (const line of step(8).sh) {
      const r = await run(line);
      assert.equal(r.code, 0, r.out);
      if (line.includes('history')) assert.match(r.stdout, /pass/i, r.out);
    }
  });
});
