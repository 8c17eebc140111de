// Compression names and the object-name suffixes barman-cloud uses for them. Readers detect the codec by suffix
// only (never by magic bytes), so these tables are the whole contract between writers and readers.

export const COMPRESSIONS = ['none', 'gzip', 'bzip2', 'xz', 'snappy', 'zstd', 'lz4'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** xz and zstd exist for WAL only: barman-cloud-restore cannot read them in a base-backup tar. */
export const TAR_COMPRESSIONS = ['none', 'gzip', 'bzip2', 'snappy', 'lz4'] as const;
export type TarCompression = (typeof TAR_COMPRESSIONS)[number];

// zstd is '.zst', not '.zstd': barman-cloud-wal-archive writes '.zst' and restore only strips known suffixes.
const WAL_SUFFIXES: Readonly<Record<Compression, string>> = {
  none: '',
  gzip: '.gz',
  bzip2: '.bz2',
  xz: '.xz',
  snappy: '.snappy',
  zstd: '.zst',
  lz4: '.lz4',
};

const BY_SUFFIX: ReadonlyMap<string, Compression> = new Map(
  COMPRESSIONS.filter((c) => c !== 'none').map((c) => [WAL_SUFFIXES[c], c]),
);

export function isCompression(value: string): value is Compression {
  return (COMPRESSIONS as readonly string[]).includes(value);
}

export function isTarCompression(value: string): value is TarCompression {
  return (TAR_COMPRESSIONS as readonly string[]).includes(value);
}

/** '' for none, otherwise the suffix barman-cloud-wal-archive appends (also to .history and .backup files). */
export function walSuffix(compression: Compression): string {
  return WAL_SUFFIXES[compression];
}

/** The extension of a base-backup tar: '.tar', '.tar.gz', '.tar.bz2', '.tar.snappy', '.tar.lz4'. */
export function tarSuffix(compression: TarCompression): string {
  return `.tar${WAL_SUFFIXES[compression]}`;
}

/** The compression a suffix (with its dot) stands for, or undefined when it is not a compression suffix. */
export function compressionOfSuffix(suffix: string): Compression | undefined {
  return BY_SUFFIX.get(suffix);
}

/**
 * Strips one compression suffix, the way barman does: only the last extension (os.path.splitext) is looked at,
 * so `X.partial` stays `X.partial` with compression none and `data.tar.gz` becomes `data.tar`.
 */
export function stripCompressionSuffix(name: string): { base: string; compression: Compression } {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  // splitext ignores leading dots of the basename ('.gz' has no extension).
  if (dot <= slash + 1) return { base: name, compression: 'none' };
  const compression = BY_SUFFIX.get(name.slice(dot));
  if (compression === undefined) return { base: name, compression: 'none' };
  return { base: name.slice(0, dot), compression };
}

/**
 * Splits a base-backup object name such as `data.tar.gz`, `data_0001.tar` or `16385.tar.lz4` into its stem
 * (`data`, `data_0001`, `16385`) and compression; undefined when the extension is not one restore accepts.
 */
export function stripTarSuffix(name: string): { base: string; compression: TarCompression } | undefined {
  for (const c of TAR_COMPRESSIONS) {
    const suffix = tarSuffix(c);
    if (name.length > suffix.length && name.endsWith(suffix)) {
      return { base: name.slice(0, -suffix.length), compression: c };
    }
  }
  return undefined;
}
