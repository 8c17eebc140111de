// Hostile-bucket cases over one archived WAL segment (the one after the backup's end), per WAL compression:
// a healthy control, garbage, a truncated stream, a decompression bomb and a short segment, fetched with
// `pgdr wal restore`; and the gzip ones again under a full `pgdr restore`, where recovery needs the segment.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { compressBuffer } from '../../src/compression/codecs.js';
import { COMPRESSIONS, type Compression, walSuffix } from '../../src/compression/suffixes.js';
import { ERRORS } from '../../src/errors.js';
import { garbage, walBomb } from './hostile-bucket-bytes.js';
import type { CaseBucket } from './hostile-buckets.js';
import {
  all,
  type BuildContext,
  compressedOnce,
  type HostileCase,
  INVALID,
  SEGMENT,
  WAL_BOMB_BYTES,
  walKeyRe,
} from './hostile-case-kit.js';
import { q } from './poll.js';

function walCases(c: Compression): HostileCase[] {
  const fixedBy = '4 (WAL bounded to the segment size: wal-verify)';
  const failing = (
    kind: string,
    what: string,
    body: (seg: Buffer) => Promise<Buffer> | Buffer,
    fix = fixedBy,
  ) => ({
    name: `wal-${c}-${kind}`,
    what: `the segment after the backup's end, stored with suffix '${walSuffix(c)}': ${what}`,
    run: 'wal-restore' as const,
    expect: { code: INVALID, message: all(walKeyRe(c)) },
    fixedBy: fix,
    // The segment and pg_control, no more.
    limitBytes: SEGMENT + (1 << 20),
    build: async (b: CaseBucket, { base }: BuildContext) =>
      b.putWal(base.victimWal, c, await body(base.victimSegment)),
  });
  return [
    {
      ...failing('healthy', 'the real segment (control: must restore)', (seg) => compressedOnce(seg, c)),
      expect: { code: 0, message: /^/ },
      fixedBy: '(control)',
      async verify(target) {
        const size = (await fsp.stat(join(target, 'pg_wal', 'RECOVERYXLOG'))).size;
        if (size !== SEGMENT) throw new Error(`restored ${size} bytes`);
      },
    },
    failing(
      'garbage',
      '4 KiB of garbage',
      () => garbage(4096, `wal-${c}`),
      c === 'none' ? fixedBy : `4/11 (${c} errors)`,
    ),
    failing('truncated', 'the compressed segment cut to half', async (seg) => {
      const z = await compressedOnce(seg, c);
      return z.subarray(0, Math.floor(z.length / 2));
    }),
    failing('bomb', 'the segment then zeros, 64 MiB in all', (seg) => walBomb(c, seg, WAL_BOMB_BYTES)),
    failing('short', 'only the first 1 MiB of the segment', (seg) =>
      compressBuffer(c, seg.subarray(0, 1 << 20)),
    ),
  ];
}

/** Full restores (PostgreSQL started) with the damaged segment after the backup's end: recovery needs it. */
function fullRestoreCases(): HostileCase[] {
  const walOnly = walCases('gzip').filter((x) => x.name !== 'wal-gzip-healthy');
  return [
    {
      name: 'restore-start-healthy',
      what: 'the healthy bucket, restored to the end of its WAL (control: every row, the last segment replayed)',
      run: 'restore-start',
      expect: { code: 0, message: /"promoted"/ },
      fixedBy: '(control)',
      build: async () => undefined,
      async verify(_target, stdout, base) {
        const [row] = await q<{ n: string }>(
          JSON.parse(stdout).server.connectionString,
          'SELECT count(*) AS n FROM t',
        );
        if (Number(row?.n) !== base.rows) throw new Error(`restored ${row?.n} rows of t, not ${base.rows}`);
      },
    },
    ...walOnly.map((x) => ({
      ...x,
      name: x.name.replace(/^wal-gzip-/, 'restore-wal-'),
      run: 'restore-start' as const,
      // Not "promoted" without the segment's rows: recovery stops at the damaged object, named.
      expect: {
        code: ERRORS.RECOVERY_FAILED.exitCode,
        message: all(`recovery stopped at WAL file [0-9A-F]{24} \\(\\S*${walKeyRe('gzip')}\\)`, 'is damaged'),
      },
      fixedBy: 'replay-end (restore_command --damaged-exit 126: PostgreSQL aborts recovery on it)',
      limitBytes: 200 << 20,
    })),
  ];
}

export const WAL_CASES: readonly HostileCase[] = [...COMPRESSIONS.flatMap(walCases), ...fullRestoreCases()];
