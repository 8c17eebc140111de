// Temporary keys from the credential chain: cached, fetched again before they expire (5 minutes before, or a
// quarter of their life for short ones), one fetch shared by concurrent requests, and keys that are due but
// still valid kept when a refresh fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsCredentialChain } from '../../src/config/types.js';
import { parseIni } from '../../src/storage/s3/credentials/ini.js';
import type { ResolvedKeys } from '../../src/storage/s3/credentials/keys.js';
import { ChainProvider, refreshMarginMs } from '../../src/storage/s3/credentials/provider.js';

const CHAIN: AwsCredentialChain = { env: {}, region: 'us-east-1', inheritFromIAMRole: false };

function fakeChain(lifetimeMs: number, clock: { now: number }) {
  let n = 0;
  const calls: number[] = [];
  let fail = false;
  let gate: Promise<void> = Promise.resolve();
  const resolver = async (): Promise<ResolvedKeys> => {
    calls.push(clock.now);
    await gate;
    if (fail) throw new Error('STS unreachable');
    n++;
    return {
      keys: {
        accessKeyId: `ASIA${n}`,
        secretAccessKey: `secret-${n}`,
        sessionToken: `token-${n}`,
        expiration: new Date(clock.now + lifetimeMs),
      },
      source: 'web identity role arn:aws:iam::1:role/x',
    };
  };
  return {
    resolver,
    calls,
    setFail: (f: boolean) => {
      fail = f;
    },
    hold: () => {
      let release = () => {};
      gate = new Promise((r) => {
        release = r;
      });
      return release;
    },
  };
}

describe('credential chain provider', () => {
  it('refreshes 5 minutes before expiry, or a quarter of the life of short-lived keys', () => {
    assert.equal(refreshMarginMs(0, 3_600_000), 300_000);
    assert.equal(refreshMarginMs(0, 60_000), 15_000);
  });

  it('caches keys and fetches new ones once they are due', async () => {
    const clock = { now: 1_000_000 };
    const f = fakeChain(60_000, clock);
    const p = new ChainProvider(CHAIN, f.resolver, () => clock.now);
    assert.equal(p.source(), undefined);
    assert.equal((await p.current()).accessKeyId, 'ASIA1');
    clock.now += 44_000;
    assert.equal((await p.current()).accessKeyId, 'ASIA1', 'not yet due');
    clock.now += 2_000;
    assert.equal((await p.current()).accessKeyId, 'ASIA2', 'due 15 s before expiry');
    assert.equal(f.calls.length, 2);
    assert.equal(p.source(), 'web identity role arn:aws:iam::1:role/x');
    assert.deepEqual(p.secrets().sort(), ['secret-1', 'secret-2', 'token-1', 'token-2']);
  });

  it('shares one fetch between concurrent requests', async () => {
    const clock = { now: 0 };
    const f = fakeChain(3_600_000, clock);
    const p = new ChainProvider(CHAIN, f.resolver, () => clock.now);
    const release = f.hold();
    const all = Promise.all(Array.from({ length: 10 }, () => p.current()));
    release();
    const keys = await all;
    assert.equal(f.calls.length, 1);
    assert.ok(keys.every((k) => k.accessKeyId === 'ASIA1'));
  });

  it('keeps due but unexpired keys when a refresh fails, and fails once they expire', async () => {
    const clock = { now: 0 };
    const f = fakeChain(60_000, clock);
    const p = new ChainProvider(CHAIN, f.resolver, () => clock.now);
    await p.current();
    f.setFail(true);
    clock.now = 50_000;
    assert.equal((await p.current()).accessKeyId, 'ASIA1');
    clock.now = 60_000;
    await assert.rejects(p.current(), /STS unreachable/);
    f.setFail(false);
    assert.equal((await p.current()).accessKeyId, 'ASIA2', 'and recovers');
  });

  it('invalidate() drops keys the store called expired', async () => {
    const clock = { now: 0 };
    const f = fakeChain(3_600_000, clock);
    const p = new ChainProvider(CHAIN, f.resolver, () => clock.now);
    const first = await p.current();
    p.invalidate(first);
    assert.equal((await p.current()).accessKeyId, 'ASIA2');
  });
});

describe('shared config file parsing', () => {
  it('reads sections, comments and skips nested service settings', () => {
    const ini = parseIni(
      '# comment\n[default]\nregion = eu-west-1 ; trailing\ns3 =\n  addressing_style = path\n' +
        '[profile prod] # note\nrole_arn=arn:aws:iam::1:role/p\nsource_profile = default\n',
    );
    assert.deepEqual(ini.get('default'), { region: 'eu-west-1' });
    assert.deepEqual(ini.get('profile prod'), {
      role_arn: 'arn:aws:iam::1:role/p',
      source_profile: 'default',
    });
  });
});
