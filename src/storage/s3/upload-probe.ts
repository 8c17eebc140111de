// `pgdr check`'s proof that the store takes the configured encryption and tags: one small PutObject per distinct
// set of headers WAL, history and base backup uploads will carry, each deleted again. S3-compatibles differ here
// (SSE-KMS without a KMS, tagging turned off), and an archive_command that fails on every segment is found late.
import { randomBytes } from 'node:crypto';
import type { StoreUploads } from '../../config/s3-options-types.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import { joinKey } from '../object-store.js';
import { uploadHeaders } from './upload-headers.js';

/** Keys that stand for each class of upload, to take their headers from. */
const SAMPLE_KEYS = {
  'WAL uploads': 's/wals/0000000100000000/000000010000000000000001',
  'history files': 's/wals/00000002.history',
  'base backups': 's/base/20240101T000000/backup.info',
} as const;

export interface ProbeTarget {
  put(key: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<void>;
  delete(key: string, signal: AbortSignal | undefined): Promise<void>;
}

export async function probeUploads(
  target: ProbeTarget,
  uploads: StoreUploads | undefined,
  serverName: string,
  signal: AbortSignal | undefined,
): Promise<string[] | undefined> {
  if (uploads === undefined) return undefined;
  const sets = new Map<string, { headers: Record<string, string>; uses: string[] }>();
  for (const [use, key] of Object.entries(SAMPLE_KEYS)) {
    const headers = uploadHeaders(key, uploads);
    const id = JSON.stringify(headers);
    if (Object.keys(headers).length === 0) continue;
    const set = sets.get(id) ?? { headers, uses: [] };
    set.uses.push(use);
    sets.set(id, set);
  }
  const proven: string[] = [];
  for (const { headers, uses } of sets.values()) {
    const feature = describe(headers);
    const key = joinKey(serverName, 'pgdr', `upload-probe-${randomBytes(6).toString('hex')}`);
    try {
      await target.put(key, headers, signal);
    } catch (e) {
      if (!isPgdrError(e) || signal?.aborted) throw e;
      throw new PgdrError(
        e.code,
        `the store refused an upload with ${feature} (${uses.join(', ')}): ${e.message}`,
        {
          hint: 'the store does not take this setting: remove it from objectStore, or enable it on the store (tagging, a KMS key)',
          details: { ...e.details, feature },
        },
      );
    }
    await target.delete(key, signal);
    proven.push(`${feature} (${uses.join(', ')})`);
  }
  return proven;
}

function describe(h: Record<string, string>): string {
  const parts: string[] = [];
  const sse = h['x-amz-server-side-encryption'];
  if (sse !== undefined) {
    const key = h['x-amz-server-side-encryption-aws-kms-key-id'];
    parts.push(`encryption ${sse}${key === undefined ? '' : ` with key ${key}`}`);
  }
  if (h['x-amz-tagging'] !== undefined) parts.push(`tags ${h['x-amz-tagging']}`);
  return parts.join(' and ');
}
