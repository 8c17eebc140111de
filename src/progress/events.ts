// What long-running engine calls report while they work. The engine only emits these typed events to the sink
// it is given; what a user sees of them (a bar, timestamped lines, JSON lines, nothing) is chosen at the CLI
// edge (src/cli/progress-flags.ts) by one of the renderers in this folder.

/** A step begins (or a note worth a line of its own); `verbose` notes are shown only with -v. */
export interface StageEvent {
  readonly type: 'stage';
  readonly message: string;
  readonly verbose?: boolean;
}

/** Bytes of one task (a backup's tars, one tablespace's download) done so far, of a total when known. */
export interface BytesEvent {
  readonly type: 'bytes';
  readonly task: string;
  readonly done: number;
  readonly total: number | null;
}

/** Items of one task (objects verified, backups deleted) done so far, of a total when known. */
export interface ItemsEvent {
  readonly type: 'items';
  readonly task: string;
  /** What is counted, plural: 'WAL objects', 'backups'. */
  readonly unit: string;
  readonly done: number;
  readonly total: number | null;
  /** Problems found so far, for the commands that look for them. */
  readonly failures?: number;
}

/** WAL replay: the LSN replayed so far against the LSN recovery is heading for. */
export interface LsnEvent {
  readonly type: 'lsn';
  readonly task: string;
  /** '0/3000060', as PostgreSQL prints it. */
  readonly lsn: string;
  /** The recovery target LSN, or the end of the newest archived segment recovery reads. */
  readonly target: string | null;
  /** WAL segments between lsn and target. */
  readonly segmentsLeft: number | null;
}

export type ProgressEvent = StageEvent | BytesEvent | ItemsEvent | LsnEvent;

export interface ProgressSink {
  emit(event: ProgressEvent): void;
}

/** '0/3000060' -> 50331744; NaN when the text is not an LSN. */
export function lsnBytes(lsn: string): number {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m) return Number.NaN;
  return Number.parseInt(m[1]!, 16) * 2 ** 32 + Number.parseInt(m[2]!, 16);
}
