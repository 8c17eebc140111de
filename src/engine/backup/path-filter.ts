// Which files go into a backup: barman's rsync-like rules (barman/fs.py path_allowed, _match_path) with its
// exclusion lists (postgres_plumbing.py), so a pgdr backup holds exactly what barman-cloud-backup's would.

/** Anchored to PGDATA; pg_control is added on its own, after every other file. */
export const PGDATA_EXCLUDE = ['/pg_log/*', '/log/*', '/pg_xlog/*', '/pg_wal/*', '/global/pg_control'];

/** pgdr's WAL spool (pg_wal/.pgdr-wal, at any depth) is this host's state, never backup content. */
export const PGDR_EXCLUDE = ['/pg_wal/**'];

/** Any depth (PostgreSQL's excludeFiles and excludeDirContents), as barman 3.4 lists them. */
export const EXCLUDE = [
  'pgsql_tmp*',
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'pg_internal.init',
  'postmaster.pid',
  'postmaster.opts',
  'recovery.conf',
  'standby.signal',
  'pg_dynshmem/*',
  'pg_notify/*',
  'pg_replslot/*',
  'pg_serial/*',
  'pg_stat_tmp/*',
  'pg_snapshots/*',
  'pg_subtrans/*',
];

export interface PathRules {
  readonly exclude: readonly string[];
  readonly include?: readonly string[];
}

/** barman's path_allowed: an include match wins, then an exclude match rejects, else the path is kept. */
export function pathAllowed(rules: PathRules, path: string, isDir: boolean): boolean {
  if (rules.include && matchPath(rules.include, path, isDir)) return true;
  return !matchPath(rules.exclude, path, isDir);
}

const cache = new Map<string, RegExp>();

function matchPath(rules: readonly string[], path: string, isDir: boolean): boolean {
  for (let rule of rules) {
    if (rule.endsWith('/')) {
      if (!isDir) continue;
      rule = rule.slice(0, -1);
    }
    const anchored = rule.startsWith('/');
    if (anchored) rule = rule.slice(1);
    if (wildcard(rule).test(path)) return true;
    if (!anchored && wildcard(`**/${rule}`).test(path)) return true;
  }
  return false;
}

// barman's _translate_to_regexp: '**' any characters, '*' any but '/', '?' one character; everything else is
// literal (re.escape), '[' included.
function wildcard(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (pattern.startsWith('**', i)) {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '.';
    else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  re = new RegExp(`^${out}$`, 's');
  cache.set(pattern, re);
  return re;
}
