// The error catalogue. Library code throws PgdrError with a code; only the CLI (and later the agent) turns a
// code into an exit code or a response. Exit codes are part of the public contract: never renumber one.

export interface ErrorSpec {
  readonly exitCode: number;
  readonly summary: string;
}

export const ERRORS = {
  NOT_FOUND: {
    exitCode: 1,
    summary: 'the requested WAL file, backup or object does not exist',
  },
  USAGE: {
    exitCode: 2,
    summary: 'the command line is wrong (unknown flag, missing argument)',
  },
  CONFIG_INVALID: { exitCode: 3, summary: 'the configuration is missing or invalid' },
  INTERNAL: { exitCode: 4, summary: 'an unexpected error (a bug: please report it)' },
  STORE_UNREACHABLE: {
    exitCode: 10,
    summary: 'the object store endpoint cannot be reached',
  },
  STORE_AUTH: { exitCode: 11, summary: 'the object store refused the credentials' },
  BUCKET_MISSING: {
    exitCode: 12,
    summary: 'the bucket (or local repository folder) does not exist',
  },
  NO_BACKUPS: {
    exitCode: 13,
    summary: 'the serverName has no backups or WAL under the destination path',
  },
  STORE_ERROR: { exitCode: 14, summary: 'the object store answered with an error' },
  CATALOG_INVALID: {
    exitCode: 15,
    summary: 'an object in the bucket is not in the barman-cloud format',
  },
  CODEC_MISSING: {
    exitCode: 16,
    summary: 'a compression tool (bzip2, xz, zstd or lz4) is not installed',
  },
  PERMISSION_DENIED: {
    exitCode: 17,
    summary: 'a local file or folder cannot be read or written: permission denied (the path is named)',
  },
  LOCAL_IO: {
    exitCode: 18,
    summary: 'a local file operation failed (disk full, I/O error, read-only file system)',
  },
  CONFLICT: { exitCode: 20, summary: 'an object already exists with different content' },
  DIR_NOT_EMPTY: { exitCode: 21, summary: 'the target directory is not empty' },
  ARCHIVE_NOT_EMPTY: {
    exitCode: 22,
    summary: 'the WAL archive already holds WAL of this server (or of a newer timeline)',
  },
  REFUSED: {
    exitCode: 23,
    summary: 'refused to break a safety rule (a kept backup, the last DONE backup, minimum redundancy)',
  },
  NOT_STANDBY: {
    exitCode: 24,
    summary: 'the server is not a standby (already promoted, or a primary): nothing to promote',
  },
  CONFIRMATION_REQUIRED: {
    exitCode: 25,
    summary: 'an irreversible step needs confirmation (--yes, or an answer on a terminal)',
  },
  POSTGRES_UNREACHABLE: { exitCode: 30, summary: 'PostgreSQL cannot be reached' },
  POSTGRES_ERROR: { exitCode: 31, summary: 'PostgreSQL refused an operation' },
  POSTGRES_BINARIES: {
    exitCode: 32,
    summary: 'PostgreSQL binaries of the needed version are missing',
  },
  WAL_NOT_ARCHIVED: {
    exitCode: 33,
    summary:
      "a backup's WAL was not archived: archive_command keeps failing, or archiving outlasted the wait",
  },
  TARGET_TOO_EARLY: {
    exitCode: 40,
    summary: 'the recovery target lies before the end of every usable backup',
  },
  TARGET_TOO_LATE: {
    exitCode: 41,
    summary: 'the recovery target lies after the last archived WAL',
  },
  WAL_MISSING: {
    exitCode: 42,
    summary: 'a WAL segment or history file the recovery needs is not in the archive',
  },
  RECOVERY_FAILED: {
    exitCode: 43,
    summary: 'PostgreSQL stopped before reaching the recovery target',
  },
  // Not thrown: the exit codes of `pgdr check` and `pgdr verify` (0 when every check passed), whose report
  // already says what is wrong. Monitoring can alert on 51 and merely notify on 50.
  CHECKS_WARN: {
    exitCode: 50,
    summary: 'check/verify: nothing failed, but at least one check warned',
  },
  CHECKS_FAILED: {
    exitCode: 51,
    summary: 'check/verify: at least one check failed (or nothing could be checked)',
  },
  // Not thrown: `pgdr drill` exits with it when the drill failed (its report names the failing stage).
  DRILL_FAILED: {
    exitCode: 52,
    summary: 'drill: the restore drill failed (a stage failed or could not run)',
  },
  ABORTED: { exitCode: 130, summary: 'the operation was interrupted' },
  K8S_FORBIDDEN: {
    exitCode: 60,
    summary: 'the Kubernetes API refused the request (RBAC forbids it, or the credentials are rejected)',
  },
  K8S_TIMEOUT: {
    exitCode: 61,
    summary: 'a Kubernetes resource did not reach the expected state in time (e.g. a Cluster never ready)',
  },
  K8S_API: {
    exitCode: 62,
    summary: 'the Kubernetes API cannot be reached or answered with an error',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface PgdrErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
  /** Plain data for --format json consumers; never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class PgdrError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: PgdrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PgdrError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return ERRORS[this.code].exitCode;
  }
}

export function isPgdrError(e: unknown, code?: ErrorCode): e is PgdrError {
  return e instanceof PgdrError && (code === undefined || e.code === code);
}

const LOCAL_IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'EFBIG']);

/**
 * A failed local file operation as a PgdrError naming the path: permission problems and I/O failures are the
 * operator's to fix, not bugs. Anything already a PgdrError passes through; other errors become LOCAL_IO.
 */
export function localFileError(e: unknown, path: string, action: string, hint?: string): PgdrError {
  if (isPgdrError(e)) return e;
  const errno = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  const why = (e as Error | undefined)?.message ?? String(e);
  if (isPermissionError(e)) {
    return new PgdrError('PERMISSION_DENIED', `cannot ${action} ${path}: permission denied`, {
      cause: e,
      hint:
        hint ??
        'check the owner and mode of the path (and of every folder above it) for the OS user pgdr runs as',
      details: { path, errno },
    });
  }
  return new PgdrError('LOCAL_IO', `cannot ${action} ${path}: ${why}`, {
    cause: e,
    hint:
      hint ??
      (LOCAL_IO_CODES.has(errno)
        ? 'free space or fix the file system, then run the command again'
        : 'check the path and the file system, then run the command again'),
    details: { path, errno },
  });
}

/** EACCES or EPERM: the OS user may not do this to the path. */
export function isPermissionError(e: unknown): boolean {
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  return errno === 'EACCES' || errno === 'EPERM';
}

/**
 * Any thrown value as a PgdrError, for the CLI's report: a file-system error that escaped its caller (it carries
 * a syscall and a path) is still the operator's to fix, so it becomes PERMISSION_DENIED or LOCAL_IO naming the
 * path; anything else unexpected is INTERNAL.
 */
export function asPgdrError(e: unknown): PgdrError {
  if (isPgdrError(e)) return e;
  const fsError = e as NodeJS.ErrnoException | undefined;
  if (e instanceof Error && typeof fsError?.syscall === 'string' && typeof fsError.path === 'string') {
    return localFileError(e, fsError.path, fsError.syscall);
  }
  return new PgdrError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
}
