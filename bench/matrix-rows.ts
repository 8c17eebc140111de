// `bench/matrix --rows`: which groups of rows a run measures, so one path can be iterated on in minutes. The
// incremental and restore rows start from the full backups, so asking for them brings the full backup rows.
export const ROW_GROUPS = ['wal', 'full-backup', 'incremental-backup', 'restore', 'block-level'] as const;
export type RowGroup = (typeof ROW_GROUPS)[number];

export function parseRowGroups(text: string): ReadonlySet<RowGroup> {
  if (text === 'all') return new Set(ROW_GROUPS);
  const groups = new Set<RowGroup>();
  for (const word of text.split(',').map((w) => w.trim())) {
    if (!(ROW_GROUPS as readonly string[]).includes(word))
      throw new Error(`--rows: unknown group '${word}' (known: all, ${ROW_GROUPS.join(', ')})`);
    groups.add(word as RowGroup);
  }
  if (groups.has('incremental-backup') || groups.has('restore')) groups.add('full-backup');
  return groups;
}
