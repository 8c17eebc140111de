// Which tar members are relation files, whose every page carries a checksum: in the data tar
// base/<db>/<relfilenode>[_fsm|_vm|_init][.N] and global/<relfilenode>..., in a tablespace tar
// PG_<major>_<catversion>/<db>/<relfilenode>... (the tar holds the tablespace folder's contents). Everything
// else (pg_control, PG_VERSION, pg_filenode.map, SLRUs, temporary relations t<N>_<M>) has no page checksums.

export interface RelationFile {
  /** Segment number N of `<relfilenode>.N` (0 for the first segment). */
  readonly segment: number;
}

const IN_DATA = /^(?:\.\/)?(?:base\/\d+|global)\/\d+(?:_(?:fsm|vm|init))?(?:\.(\d+))?$/;
const IN_TABLESPACE = /^(?:\.\/)?PG_\d+(?:\.\d+)?_\d+\/\d+\/\d+(?:_(?:fsm|vm|init))?(?:\.(\d+))?$/;

export function relationFile(name: string, tablespace: boolean): RelationFile | undefined {
  const m = (tablespace ? IN_TABLESPACE : IN_DATA).exec(name);
  if (!m) return undefined;
  const segment = m[1] === undefined ? 0 : Number(m[1]);
  return Number.isSafeInteger(segment) ? { segment } : undefined;
}
