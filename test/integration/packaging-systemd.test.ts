// The service files in packaging/systemd, checked as systemd itself reads them: `systemd-analyze verify` needs no
// running systemd, only a root folder holding the units, the ones they depend on (copied from this host) and an
// executable where ExecStart= resolves (a stub pgdr in /usr/local/bin, where `npm install -g` puts it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { stateFilePath } from '../../src/agent/state-file.js';

const UNITS = ['pgdr-agent.service', 'pgdr-serve.service'];
const unitText = (name: string) =>
  readFileSync(new URL(`../../../packaging/systemd/${name}`, import.meta.url), 'utf8');

/** Every value of KEY in the unit, in order ([] when the key is absent). */
function values(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
}

function verify(units: Record<string, string>): { code: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'pgdr-systemd-'));
  try {
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/local/bin/pgdr'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/local/bin/pgdr'), 0o755);
    const dir = join(root, 'etc/systemd/system');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(units)) writeFileSync(join(dir, name), text);
    const r = spawnSync(
      'systemd-analyze',
      ['verify', `--root=${root}`, '--man=no', ...Object.keys(units).map((n) => `/etc/systemd/system/${n}`)],
      { encoding: 'utf8' },
    );
    assert.equal(r.error, undefined, 'systemd-analyze is missing: run bash scripts/setup.sh');
    return { code: r.status, output: `${r.stdout}${r.stderr}`.replaceAll(root, '') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('packaging/systemd', () => {
  it('systemd-analyze verify accepts both units without a warning', () => {
    const r = verify(Object.fromEntries(UNITS.map((u) => [u, unitText(u)])));
    assert.deepEqual(r, { code: 0, output: '' });
  });

  it('verify catches what the tests rely on it for: an unknown setting, a bad value, a missing pgdr', () => {
    const agent = unitText('pgdr-agent.service');
    const cases = [
      [agent.replace('ProtectSystem=strict', 'ProtectSytem=strict'), /Unknown key 'ProtectSytem'/],
      [agent.replace('ProtectSystem=strict', 'ProtectSystem=strct'), /strct/],
      [agent.replace('ExecStart=pgdr ', 'ExecStart=pgdrx '), /pgdrx is not executable/],
    ] as const;
    for (const [text, why] of cases) {
      assert.notEqual(text, agent);
      assert.match(verify({ 'pgdr-agent.service': text }).output, why);
    }
  });

  for (const unit of UNITS) {
    it(`${unit}: hardened, as the postgres user, config and secrets from /etc/pgdr`, () => {
      const text = unitText(unit);
      const one = (key: string) => {
        const v = values(text, key);
        assert.equal(v.length, 1, `${unit}: one ${key}=`);
        return v[0];
      };
      const command = unit === 'pgdr-agent.service' ? 'agent' : 'serve';
      assert.equal(one('ExecStart'), `pgdr ${command} --config /etc/pgdr/pgdr.yaml`);
      assert.equal(one('EnvironmentFile'), '-/etc/pgdr/pgdr.env');
      assert.equal(one('User'), 'postgres');
      for (const [key, value] of [
        ['NoNewPrivileges', 'yes'],
        ['ProtectSystem', 'strict'],
        ['ProtectHome', 'yes'],
        ['PrivateTmp', 'yes'],
        ['CapabilityBoundingSet', ''],
        ['Restart', 'on-failure'],
      ])
        assert.equal(one(key ?? ''), value, `${unit}: ${key}`);
      assert.deepEqual(
        values(text, 'RemoveIPC'),
        [],
        'RemoveIPC would remove the PostgreSQL server shared memory',
      );
    });
  }

  it('pgdr-agent.service: the agent state file lands in the one writable folder', () => {
    const text = unitText('pgdr-agent.service');
    const env = Object.fromEntries(
      values(text, 'Environment').map((v) => v.split('=', 2) as [string, string]),
    ) as NodeJS.ProcessEnv;
    const file = stateFilePath({ configured: undefined, serverName: 'db', env });
    assert.deepEqual(values(text, 'ReadWritePaths'), [dirname(file)]);
    assert.deepEqual(values(text, 'StateDirectory'), ['pgdr']);
    assert.equal(dirname(file), '/var/lib/pgdr');
    assert.equal(env.TMPDIR, '/var/tmp', 'drills restore on disk, in the private /var/tmp');
  });
});
