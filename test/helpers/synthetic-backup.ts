// A backup written byte by byte into a file:// bucket: backup.info, tars built with hostile-tar.ts (so any
// member can be dropped, cut or altered), optionally a pgdr manifest, and the archived WAL the plan asks for.
// `pgdr restore --no-start` restores it without any PostgreSQL: for the checks of what a restore must hold.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createGzip } from 'node:zlib';
import { crc32c } from '../../src/compression/crc32c.js';
import { type RawMember, tarOf } from './hostile-tar.js';

export const SERVER = 'synth';
export const BACKUP_ID = '20241215T060000';
export const BEGIN_WAL = '000000010000000000000006';

/** A pg_control PostgreSQL 15 accepts as sound: format 1300 at byte 8, its CRC-32C at byte 288. */
export function pgControl15(): Buffer {
  const b = Buffer.alloc(8192);
  b.writeBigUInt64LE(7448395717409431569n, 0);
  b.writeUInt32LE(1300, 8);
  b.writeUInt32LE(202209061, 12);
  b.writeDoubleLE(1234567.0, 208);
  b.writeUInt32LE(crc32c(b, 0, 288), 288);
  return b;
}

export const LABEL = [
  `START WAL LOCATION: 0/6000028 (file ${BEGIN_WAL})`,
  'CHECKPOINT LOCATION: 0/6000080',
  'BACKUP METHOD: streamed',
  'BACKUP FROM: primary',
  'START TIME: 2024-12-15 06:00:00 UTC',
  'LABEL: pgdr test',
  'START TIMELINE: 1',
  '',
].join('\n');

/** The members of a small, complete PostgreSQL 15 data tar, in the order barman writes them. */
export function dataMembers(): RawMember[] {
  return [
    { name: '.', type: '5', mode: 0o700 },
    { name: './PG_VERSION', data: '15\n' },
    { name: 'base', type: '5', mode: 0o700 },
    { name: 'base/1', type: '5', mode: 0o700 },
    { name: 'base/1/1259', data: Buffer.alloc(16384, 7) },
    { name: 'base/1/1249', data: Buffer.from('pg_attribute pages') },
    { name: 'global', type: '5', mode: 0o700 },
    { name: 'global/pg_control', data: pgControl15() },
    { name: 'backup_label', data: LABEL },
  ];
}

export interface SyntheticTablespace {
  readonly name: string;
  readonly oid: number;
  /** As backup.info records it (may be relative, for the tests that must refuse it). */
  readonly location: string;
  readonly members: readonly RawMember[];
}

export interface SyntheticBackupOptions {
  /** The bucket folder (file://ROOT). */
  readonly root: string;
  /** The data tar: members, or raw bytes as stored (uncompressed unless gzip). */
  readonly data: readonly RawMember[] | Buffer;
  readonly gzip?: boolean;
  readonly tablespaces?: readonly SyntheticTablespace[];
  /** Write base/<id>/pgdr.json listing the members' files as pgdr's backup does. */
  readonly manifest?: boolean;
}

export async function writeSyntheticBackup(o: SyntheticBackupOptions): Promise<void> {
  const base = join(o.root, SERVER, 'base', BACKUP_ID);
  await fsp.mkdir(base, { recursive: true });
  const suffix = o.gzip ? '.tar.gz' : '.tar';
  const tars: Array<{ key: string; members: readonly RawMember[] | Buffer }> = [
    { key: `data${suffix}`, members: o.data },
    ...(o.tablespaces ?? []).map((t) => ({ key: `${t.oid}${suffix}`, members: t.members })),
  ];
  const stored = new Map<string, number>();
  for (const t of tars) {
    const raw = Buffer.isBuffer(t.members) ? t.members : tarOf(t.members);
    await writeObject(join(base, t.key), raw, o.gzip ?? false);
    stored.set(t.key, (await fsp.stat(join(base, t.key))).size);
  }
  const ts = (o.tablespaces ?? []).map((t) => `('${t.name}', ${t.oid}, '${t.location}')`);
  await fsp.writeFile(join(base, 'backup.info'), backupInfo(ts.length ? `[${ts.join(', ')}]` : 'None'));
  if (o.manifest) {
    const body = {
      format: 'pgdr-backup-manifest',
      version: 1,
      backupId: BACKUP_ID,
      compression: o.gzip ? 'gzip' : 'none',
      compressionLevel: null,
      tars: tars.map((t, i) => ({
        key: t.key,
        group: i === 0 ? 'data' : t.key.split('.')[0],
        part: 0,
        dataBytes: 0,
        storedBytes: stored.get(t.key),
        files: Buffer.isBuffer(t.members) ? [] : manifestFiles(t.members),
      })),
    };
    await fsp.writeFile(join(base, 'pgdr.json'), `${JSON.stringify(body)}\n`);
  }
  const wals = join(o.root, SERVER, 'wals', BEGIN_WAL.slice(0, 16));
  await fsp.mkdir(wals, { recursive: true });
  for (const seg of [BEGIN_WAL, '000000010000000000000007']) {
    await fsp.writeFile(join(wals, seg), Buffer.alloc(16 << 20));
  }
}

/** [name, size, crc32] of every file member, as src/engine/backup/manifest.ts records them. */
export function manifestFiles(members: readonly RawMember[]): Array<[string, number, string]> {
  return members
    .filter((m) => (m.type ?? '0') === '0')
    .map((m) => {
      const data = typeof m.data === 'string' ? Buffer.from(m.data) : (m.data ?? Buffer.alloc(0));
      return [m.name, data.length, (crc32(data) >>> 0).toString(16).padStart(8, '0')];
    });
}

async function writeObject(path: string, raw: Buffer, gzip: boolean): Promise<void> {
  if (!gzip) {
    await fsp.writeFile(path, raw);
    return;
  }
  const fh = await fsp.open(path, 'w');
  try {
    await pipeline(Readable.from([raw]), createGzip({ level: 1 }), fh.createWriteStream());
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function backupInfo(tablespaces: string): string {
  const label = LABEL.replace(/\n/g, '\\n');
  return [
    `backup_label='${label}'`,
    'backup_name=None',
    'begin_offset=40',
    'begin_time=2024-12-15 06:00:00.812345+00:00',
    `begin_wal=${BEGIN_WAL}`,
    'begin_xlog=0/6000028',
    'cluster_size=30454319',
    'compression=None',
    'end_offset=312',
    'end_time=2024-12-15 06:00:03.123456+00:00',
    `end_wal=${BEGIN_WAL}`,
    'end_xlog=0/6000138',
    'error=None',
    'mode=None',
    'pgdata=/var/lib/postgresql/data/pgdata',
    'server_name=cloud',
    'status=DONE',
    'systemid=7448395717409431569',
    `tablespaces=${tablespaces}`,
    'timeline=1',
    'version=150004',
    'xlog_segment_size=16777216',
    '',
  ].join('\n');
}
