// What goes where: PGDATA into `data*` tars, each tablespace's PG_<major>_* folder into `<oid>*` tars, and the
// members barman adds at the end of the data tar (pg_control, config files kept outside PGDATA, backup_label).
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import type { CopyStats } from './backup-info-fields.js';
import type { CopiedPart } from './copy-tars.js';
import { EXCLUDE, PGDATA_EXCLUDE, PGDR_EXCLUDE } from './path-filter.js';
import type { ServerMetadata, StopInfo } from './pg-backup-api.js';
import { type PartPlan, planParts } from './plan-parts.js';
import type { TailItem } from './tar-stream.js';
import { type TreeEntry, unreadable, walkTree } from './walk-tree.js';

export async function collectTrees(
  pgdata: string,
  meta: ServerMetadata,
  signal: AbortSignal,
  jobs: number,
): Promise<{ parts: PartPlan[]; bytes: number }> {
  const root = await fsp.realpath(pgdata);
  const parts: PartPlan[] = [];
  const exclude = [...PGDATA_EXCLUDE, ...PGDR_EXCLUDE, ...EXCLUDE];
  for (const ts of meta.tablespaces) {
    // A tablespace inside PGDATA is copied once, in its own tar.
    if (ts.location.startsWith(`${meta.dataDirectory}/`))
      exclude.push(ts.location.slice(meta.dataDirectory.length));
    exclude.push(`/pg_tblspc/${ts.oid}`);
    const entries = await walkTree(
      ts.location,
      { exclude: ['/*', ...EXCLUDE], include: [`/PG_${majorOf(meta.versionNum)}_*`] },
      signal,
    );
    parts.push(...planParts(String(ts.oid), entries, jobs));
  }
  parts.push(...planParts('data', await walkTree(root, { exclude }, signal), jobs));
  return { parts, bytes: parts.reduce((n, p) => n + p.bytes, 0) };
}

/** barman's server_major_version: '17' from 170002, '9.6' from 90624. */
export function majorOf(versionNum: number): string {
  const major = Math.floor(versionNum / 10000);
  return versionNum >= 100000 ? String(major) : `${major}.${Math.floor(versionNum / 100) % 100}`;
}

export async function finalMembers(o: {
  pgdata: string;
  meta: ServerMetadata;
  stop: () => Promise<StopInfo>;
}): Promise<TailItem[]> {
  const items: TailItem[] = [];
  const control = await fileEntry(join(o.pgdata, 'global', 'pg_control'), 'global/pg_control');
  items.push({ entry: control });
  const root = await fsp.realpath(o.pgdata);
  const inside = (p: string) => p.startsWith(`${o.meta.dataDirectory}/`) || p.startsWith(`${root}/`);
  for (const [path, optional] of [
    [o.meta.configFile, false],
    [o.meta.hbaFile, false],
    [o.meta.identFile, true],
  ] as const) {
    if (!path || inside(path)) continue;
    const entry = await fileEntry(path, basename(path)).catch((e) => {
      if (optional) return undefined;
      throw e;
    });
    if (entry) items.push({ entry });
  }
  const stop = await o.stop();
  const st = await fsp.stat(o.pgdata);
  const label = Buffer.from(stop.labelFile, 'utf8');
  items.push({
    member: {
      name: 'backup_label',
      type: 'file',
      size: label.length,
      mode: 0o644,
      uid: st.uid,
      gid: st.gid,
      mtime: Math.floor(Date.now() / 1000),
    },
    data: label,
  });
  return items;
}

async function fileEntry(path: string, name: string): Promise<TreeEntry> {
  try {
    const st = await fsp.stat(path);
    return {
      path,
      name,
      type: 'file',
      size: st.size,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: Math.floor(st.mtimeMs / 1000),
    };
  } catch (e) {
    throw unreadable(path, e);
  }
}

export function copyStats(parts: readonly CopiedPart[], totalSeconds: number, jobs: number): CopyStats {
  const perItem = new Map<string, { copySeconds: number; serializedSeconds: number }>();
  const span = new Map<string, [number, number]>();
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let serialized = 0;
  for (const p of parts) {
    const secs = (p.endedAt - p.startedAt) / 1000;
    const [a, b] = span.get(p.plan.group) ?? [p.startedAt, p.endedAt];
    span.set(p.plan.group, [Math.min(a, p.startedAt), Math.max(b, p.endedAt)]);
    const cur = perItem.get(p.plan.group) ?? { copySeconds: 0, serializedSeconds: 0 };
    perItem.set(p.plan.group, { ...cur, serializedSeconds: cur.serializedSeconds + secs });
    first = Math.min(first, p.startedAt);
    last = Math.max(last, p.endedAt);
    serialized += secs;
  }
  for (const [g, [a, b]] of span) perItem.set(g, { ...perItem.get(g)!, copySeconds: (b - a) / 1000 });
  return {
    totalSeconds,
    workers: jobs,
    perItem,
    copySeconds: (last - first) / 1000,
    serializedSeconds: serialized,
  };
}
