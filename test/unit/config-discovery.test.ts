// Which configuration file a call reads (--config, PGDR_CONFIG, ./pgdr.yaml, /etc/pgdr/pgdr.yaml), and
// pgdrCommand: the pgdr PostgreSQL's commands run, from the file or PGDR_COMMAND, always absolute.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CliContext } from '../../src/cli/main.js';
import { walServiceClient } from '../../src/cli/wal-request.js';
import { loadConfig, loadConfigDetailed } from '../../src/config/load.js';
import { caught } from '../helpers/caught.js';

const root = mkdtempSync(join(tmpdir(), 'pgdr-discovery-'));
after(() => rmSync(root, { recursive: true, force: true }));

const cwd = join(root, 'cwd');
mkdirSync(cwd);
const system = join(root, 'etc-pgdr.yaml');
const named = (n: string) => `serverName: ${n}\nobjectStore: {destinationPath: "file:///srv/${n}"}\n`;
writeFileSync(join(root, 'flag.yaml'), named('flag'));
writeFileSync(join(root, 'env.yaml'), named('env'));
writeFileSync(system, named('system'));

function load(o: { flag?: string; env?: NodeJS.ProcessEnv; systemConfigFile?: string } = {}) {
  return loadConfigDetailed({
    overrides: { configFile: o.flag },
    env: o.env ?? {},
    cwd,
    systemConfigFile: o.systemConfigFile ?? system,
  });
}

/** The PgdrError fn throws. */
const failure = (fn: () => unknown) => caught(Promise.resolve().then(fn));

describe('configuration discovery', () => {
  it('reads --config, else PGDR_CONFIG, else ./pgdr.yaml, else the host-wide file', () => {
    const env = { PGDR_CONFIG: join(root, 'env.yaml') };
    const flag = load({ flag: join(root, 'flag.yaml'), env });
    assert.equal(flag.config.serverName, 'flag');
    assert.deepEqual(flag.file, { path: join(root, 'flag.yaml'), origin: '--config' });
    assert.equal(load({ env }).config.serverName, 'env');
    assert.equal(load({ env }).file?.origin, 'PGDR_CONFIG');
    assert.equal(load().config.serverName, 'system');
    assert.deepEqual(load().file, { path: system, origin: 'system' });
    writeFileSync(join(cwd, 'pgdr.yaml'), named('here'));
    try {
      assert.equal(load().config.serverName, 'here');
      assert.deepEqual(load().file, { path: join(cwd, 'pgdr.yaml'), origin: './pgdr.yaml' });
      // PGDR_CONFIG set but empty is unset, as for most shell variables.
      assert.equal(load({ env: { PGDR_CONFIG: '' } }).config.serverName, 'here');
    } finally {
      rmSync(join(cwd, 'pgdr.yaml'));
    }
  });

  it('without any file, flags alone; the hint names the host-wide file too', async () => {
    const missing = join(root, 'no-such.yaml');
    const e = await failure(() => load({ systemConfigFile: missing }));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.ok(e.hint?.includes(missing), e.hint);
    const flags = loadConfigDetailed({
      overrides: { destinationPath: 'file:///srv/x', serverName: 'x' },
      env: {},
      cwd,
      systemConfigFile: missing,
    });
    assert.equal(flags.file, undefined);
    assert.equal(flags.config.source, 'flags');
  });

  it('an unreadable host-wide file is CONFIG_INVALID naming it, with a hint about this user', async () => {
    const e = await failure(() => load({ systemConfigFile: root }));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, new RegExp(`cannot read the configuration file ${root}`));
    assert.match(e.hint ?? '', /this user may read it/);
  });

  it("the WAL service's request names the file discovery found, the host-wide one included", async () => {
    const ctx = { env: {}, cwd, systemConfigFile: system } as unknown as CliContext;
    const c = await walServiceClient(
      { mode: 'archive', argv: ['X'], positionals: 1, configFlag: undefined, walPath: 'X' },
      ctx,
    );
    assert.equal(c?.request.configPath, system);
  });
});

describe('pgdrCommand', () => {
  const base = 'serverName: s\nobjectStore: {destinationPath: "file:///srv/s"}\n';
  const file = (name: string, extra: string) => {
    const p = join(root, name);
    writeFileSync(p, base + extra);
    return p;
  };
  const withFile = (path: string, env: NodeJS.ProcessEnv = {}) =>
    loadConfig({ overrides: { configFile: path }, env, cwd, systemConfigFile: system });

  it('is the file field, else PGDR_COMMAND, else unset (the pgdr on PATH)', () => {
    const inFile = file('cmd.yaml', 'pgdrCommand: /usr/local/bin/pgdr\n');
    assert.equal(withFile(inFile, { PGDR_COMMAND: '/opt/pgdr' }).pgdrCommand, '/usr/local/bin/pgdr');
    const plain = file('plain.yaml', '');
    assert.equal(withFile(plain, { PGDR_COMMAND: '/opt/pgdr' }).pgdrCommand, '/opt/pgdr');
    assert.equal(withFile(plain, { PGDR_COMMAND: '' }).pgdrCommand, undefined);
    assert.equal(withFile(plain).pgdrCommand, undefined);
  });

  it('must be absolute: PostgreSQL runs it with its own PATH, in its data folder', async () => {
    const e = await failure(() => withFile(file('rel.yaml', 'pgdrCommand: pgdr\n')));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /^pgdrCommand: must be the absolute path of the pgdr executable/);
    const env = await failure(() => withFile(file('plain.yaml', ''), { PGDR_COMMAND: 'bin/pgdr' }));
    assert.match(env.message, /^PGDR_COMMAND: must be the absolute path/);
    const empty = await failure(() => withFile(file('empty.yaml', "pgdrCommand: ''\n")));
    assert.match(empty.message, /^pgdrCommand: must be a non-empty string/);
  });
});
