// Flags shared by `wal archive` and `wal restore` that override objectStore.wal for one run.
import { COMPRESSIONS, type Compression } from '../../compression/suffixes.js';
import type { PgdrConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { type FlagSpec, oneOf, type Parsed, str } from '../args.js';

export const WAL_FLAGS: FlagSpec = {
  compression: { type: 'string' },
  'compression-level': { type: 'string' },
  'max-parallel': { type: 'string' },
};

export const WAL_USAGE = `WAL options (override objectStore.wal for this run):
  --compression C            ${COMPRESSIONS.join(', ')} (archive only; restore detects it by suffix)
  --compression-level N      codec level (default: gzip 1, the others their codec's default)
  --max-parallel N           files per call (archive: next .ready files; restore: prefetch)`;

function intFlag(p: Parsed, name: string, command: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PgdrError('USAGE', `${command}: --${name} must be an integer ${min}..${max} (got '${v}')`, {
      hint: `see: pgdr ${command} --help`,
    });
  }
  return n;
}

export function walSettings(p: Parsed, config: PgdrConfig, command: string) {
  const wal = config.objectStore.wal;
  return {
    compression: oneOf<Compression>(p, 'compression', COMPRESSIONS, wal.compression, command),
    level: intFlag(p, 'compression-level', command, 0, 22),
    maxParallel: intFlag(p, 'max-parallel', command, 1, 256) ?? wal.maxParallel,
  };
}
