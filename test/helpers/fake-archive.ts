// A big barman-cloud archive of tiny fake objects with the right names, for catalog cost tests and
// bench/catalog-scale.ts: `wal` segments on timeline 1 (segment i is 00000001 + i/256 + i%256) minus
// missingSegments(wal), and `backups` DONE backups, one a day at 06:00 before `now`, each with a backup.info that
// parses, a small data.tar and a .backup label in wals/. Backup k begins and ends in segment step*(k+1).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hashDir } from '../../src/catalog/wal-name.js';
import { mapLimit } from '../../src/common/map-limit.js';

const DAY = 86_400_000;

export interface FakeObject {
  readonly key: string;
  readonly body: Buffer;
}

export interface FakeArchiveOptions {
  readonly serverName: string;
  readonly wal: number;
  readonly backups: number;
  readonly now: Date;
}

export function segmentName(index: number, tli = 1): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(tli)}${hex(Math.floor(index / 256))}${hex(index % 256)}`;
}

/** The segment indexes left out (sorted): one gap of two segments and one of one. */
export function missingSegments(wal: number): number[] {
  return [Math.floor(wal / 2), Math.floor(wal / 2) + 1, Math.floor((wal * 7) / 9)];
}

/** The segment index backup k begins and ends in. */
export function backupSegment(o: { wal: number; backups: number }, k: number): number {
  return Math.max(1, Math.floor(o.wal / (o.backups + 1))) * (k + 1);
}

export function backupId(o: { backups: number; now: Date }, k: number): string {
  const end = new Date(o.now.getTime() - (o.backups - k) * DAY);
  end.setUTCHours(6, 0, 0, 0);
  return end.toISOString().slice(0, 19).replace(/[-:]/g, '');
}

export function fakeSegment(serverName: string, index: number): FakeObject {
  const name = segmentName(index);
  return { key: `${serverName}/wals/${hashDir(name)}/${name}`, body: Buffer.from('fake wal segment\n') };
}

/** Every object of the archive, keys relative to the destination. */
export function* fakeArchive(o: FakeArchiveOptions): Generator<FakeObject> {
  const missing = new Set(missingSegments(o.wal));
  for (let i = 0; i < o.wal; i++) if (!missing.has(i)) yield fakeSegment(o.serverName, i);
  for (let k = 0; k < o.backups; k++) {
    const seg = segmentName(backupSegment(o, k));
    const id = backupId(o, k);
    const day = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)} 06:00:0`;
    const info = [
      "backup_label='START WAL LOCATION: 0/0 (file x)\\n'",
      'backup_name=None',
      'begin_offset=40',
      `begin_time=${day}0.000000+00:00`,
      `begin_wal=${seg}`,
      'compression=None',
      'end_offset=312',
      `end_time=${day}3.000000+00:00`,
      `end_wal=${seg}`,
      'error=None',
      `server_name=${o.serverName}`,
      'status=DONE',
      'systemid=7448395717409431569',
      'tablespaces=None',
      'timeline=1',
      'version=170002',
      'xlog_segment_size=16777216',
      '',
    ].join('\n');
    const base = `${o.serverName}/base/${id}`;
    yield { key: `${base}/backup.info`, body: Buffer.from(info) };
    yield { key: `${base}/data.tar`, body: Buffer.alloc(1024) };
    yield {
      key: `${o.serverName}/wals/${hashDir(seg)}/${seg}.00000028.backup`,
      body: Buffer.from('label\n'),
    };
  }
}

/** Writes the objects as files under root (the file:// layout). */
export async function writeFakeFs(root: string, objects: Iterable<FakeObject>): Promise<void> {
  const all = [...objects];
  const made = new Set<string>();
  for (const o of all) {
    const d = dirname(join(root, o.key));
    if (!made.has(d)) await mkdir(d, { recursive: true });
    made.add(d);
  }
  await mapLimit(all, 64, (o) => writeFile(join(root, o.key), o.body));
}

/**
 * Writes the objects into s3rver's on-disk layout under a bucket folder: KEY._S3rver_object with its .md5
 * (else s3rver computes and writes it on first listing) and KEY._S3rver_metadata.json.
 */
export async function writeFakeS3rver(bucketDir: string, objects: Iterable<FakeObject>): Promise<void> {
  const files: FakeObject[] = [];
  const meta = Buffer.from('{"content-type":"binary/octet-stream"}');
  for (const o of objects) {
    const md5 = createHash('md5').update(o.body).digest('hex');
    files.push({ key: `${o.key}._S3rver_object`, body: o.body });
    files.push({ key: `${o.key}._S3rver_object.md5`, body: Buffer.from(md5) });
    files.push({ key: `${o.key}._S3rver_metadata.json`, body: meta });
  }
  await writeFakeFs(bucketDir, files);
}
