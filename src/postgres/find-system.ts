// Folders where packaged PostgreSQL installs its server binaries, one per major, newest major first within each
// layout: Debian/Ubuntu (postgresql-N), RHEL and the PGDG yum repository (postgresqlN-server), Homebrew
// (postgresql@N, Apple silicon then Intel prefix), and last whatever `pg_config --bindir` on PATH names.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BinariesSource } from './probe.js';

const execFileAsync = promisify(execFile);

export interface Candidate {
  readonly dir: string;
  readonly source: BinariesSource;
}

/** Layouts: the folder to list, the entry pattern (capturing the major) and the bin folder below an entry. */
const LAYOUTS: readonly { root: string; entry: RegExp; bin: string; source: BinariesSource }[] = [
  { root: '/usr/lib/postgresql', entry: /^(\d+)$/, bin: 'bin', source: 'debian' },
  { root: '/usr', entry: /^pgsql-(\d+)$/, bin: 'bin', source: 'rhel' },
  { root: '/opt/homebrew/opt', entry: /^postgresql@(\d+)$/, bin: 'bin', source: 'homebrew' },
  { root: '/usr/local/opt', entry: /^postgresql@(\d+)$/, bin: 'bin', source: 'homebrew' },
];

export async function systemCandidates(): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const l of LAYOUTS) out.push(...(await majorDirs(l.root, l.entry, l.bin, l.source)));
  const pgConfig = await pgConfigBindir();
  if (pgConfig !== undefined) out.push({ dir: pgConfig, source: 'pg_config' });
  return out;
}

/** `<root>/<entry>/<bin>` for each entry naming a major, newest first. */
export async function majorDirs(
  root: string,
  entry: RegExp,
  bin: string,
  source: BinariesSource,
): Promise<Candidate[]> {
  const names = await fsp.readdir(root).catch(() => [] as string[]);
  return names
    .map((n) => ({ n, m: entry.exec(n) }))
    .filter((x) => x.m !== null)
    .sort((a, b) => Number(b.m![1]) - Number(a.m![1]))
    .map((x) => ({ dir: join(root, x.n, bin), source }));
}

async function pgConfigBindir(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('pg_config', ['--bindir'], { timeout: 5000 });
    const dir = stdout.trim();
    return dir.startsWith('/') && !dir.includes('\n') ? dir : undefined;
  } catch {
    return undefined;
  }
}
