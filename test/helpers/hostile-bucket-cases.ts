// The cases of the hostile-bucket corpus: each rewrites one object of a copy of the healthy base bucket
// (hostile-buckets.ts), names the command to run and what pgdr must answer (hostile-case-kit.ts). Messages
// must name the object key (and the tar member where there is one). `fixedBy` says which item of issue 16
// covers the case. The data-tar and WAL cases have their own files; the catalog cases are here.
import { gzipSync } from 'node:zlib';
import { ERRORS } from '../../src/errors.js';
import { garbage } from './hostile-bucket-bytes.js';
import type { CaseBucket } from './hostile-buckets.js';
import { all, type HostileCase, INVALID, WAL_BOMB_BYTES } from './hostile-case-kit.js';
import { DATA_TAR_CASES } from './hostile-cases-tar.js';
import { WAL_CASES } from './hostile-cases-wal.js';
import { tarOf } from './hostile-tar.js';

export type { HostileCase } from './hostile-case-kit.js';

const HISTORY = '00000002.history';

const CATALOG_CASES: HostileCase[] = [
  {
    name: 'info-garbage',
    what: 'backup.info replaced by 2 KiB of garbage',
    run: 'restore',
    expect: { code: INVALID, message: all(String.raw`base/\d{8}T\d{6}/backup\.info`) },
    fixedBy: '11 (unreadable backup.info is CATALOG_INVALID, not NO_BACKUPS)',
    build: (b) => b.put(`${b.backupPrefix}backup.info`, garbage(2048, 'info')),
  },
  {
    name: 'info-truncated',
    what: 'backup.info cut to its first 40%',
    run: 'restore',
    expect: { code: INVALID, message: all(String.raw`base/\d{8}T\d{6}/backup\.info`) },
    fixedBy: '11 (unreadable backup.info is CATALOG_INVALID, not NO_BACKUPS)',
    build: async (b) => {
      const info = await b.read(`${b.backupPrefix}backup.info`);
      await b.put(`${b.backupPrefix}backup.info`, info.subarray(0, Math.floor(info.length * 0.4)));
    },
  },
  {
    name: 'info-relative-tablespace',
    what: "backup.info lists tablespace 'evil' (oid 16385) at the relative location 'rel/ts', with its 16385.tar",
    run: 'restore',
    expect: { code: INVALID, message: all('backup\\.info', 'rel/ts') },
    fixedBy: '8 (absolute tablespace locations: restore-trust)',
    build: (b) => addTablespace(b, 'rel/ts'),
  },
  {
    name: 'info-tablespace-at-sentinel',
    what: "backup.info lists tablespace 'evil' (oid 16385) at SENTINEL, a folder that is not empty",
    run: 'restore',
    expect: { code: ERRORS.DIR_NOT_EMPTY.exitCode, message: all('sentinel') },
    fixedBy: '8/14 (every target folder checked empty: restore-trust)',
    build: (b, { layout }) => addTablespace(b, layout.sentinel),
  },
  {
    name: 'history-garbage-restore',
    what: `${HISTORY}.gz (a later timeline) holding 512 bytes of garbage; restore goes on, naming it`,
    run: 'restore',
    expect: { code: 0, message: all(`wals/${HISTORY}\\.gz`) },
    fixedBy: '(plan note; history parser fuzzing: fuzz-parsers)',
    build: (b) => b.put(b.walKey(HISTORY, 'gzip'), garbage(512, 'history')),
  },
  {
    name: 'history-garbage-wal-restore',
    what: `${HISTORY}.gz holding 512 bytes of garbage, fetched by wal restore`,
    run: 'wal-restore',
    wal: () => HISTORY,
    expect: { code: INVALID, message: all(`wals/${HISTORY}\\.gz`) },
    fixedBy: '11 (gzip errors named by key)',
    build: (b) => b.put(b.walKey(HISTORY, 'gzip'), garbage(512, 'history')),
  },
  {
    name: 'history-bomb-wal-restore',
    what: `${HISTORY}.gz inflating to 64 MiB, fetched by wal restore`,
    run: 'wal-restore',
    wal: () => HISTORY,
    expect: { code: INVALID, message: all(`wals/${HISTORY}\\.gz`) },
    fixedBy: '4 (history files capped at 1 MiB: wal-verify)',
    limitBytes: 2 << 20,
    build: async (b) =>
      b.put(
        b.walKey(HISTORY, 'gzip'),
        gzipSync(Buffer.alloc(WAL_BOMB_BYTES, '1\t0/3000000\tno recovery target specified\n')),
      ),
  },
];

/** A tablespace in backup.info at `location`, with a small 16385.tar and its entry in the pgdr manifest. */
async function addTablespace(b: CaseBucket, location: string): Promise<void> {
  const key = `${b.backupPrefix}backup.info`;
  const info = (await b.read(key)).toString('utf8');
  if (!/^tablespaces=None$/m.test(info)) throw new Error('the base backup already has tablespaces');
  await b.put(
    key,
    Buffer.from(info.replace(/^tablespaces=None$/m, `tablespaces=[('evil', 16385, '${location}')]`)),
  );
  await b.put(`${b.backupPrefix}16385.tar`, tarOf([{ name: 'PG_17_202406281/', type: '5', mode: 0o700 }]));
  await b.editManifest((m) => {
    m.tars.push({ key: '16385.tar', group: '16385', part: 0, dataBytes: 0, storedBytes: 2048, files: [] });
  });
}

export const HOSTILE_CASES: readonly HostileCase[] = [...DATA_TAR_CASES, ...WAL_CASES, ...CATALOG_CASES];
