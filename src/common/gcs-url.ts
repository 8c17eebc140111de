// gs:// destinations as barman-cloud parses them: `gs://BUCKET/PATH`, or the console's address of the same
// folder, `https://console.cloud.google.com/storage/browser/BUCKET/PATH`. The bucket is the host part, the
// prefix the path without its leading and trailing '/'.
import { PgdrError } from '../errors.js';
import { normalizePrefix } from './endpoint.js';

const CONSOLE = 'https://console.cloud.google.com/storage/browser/';
export const GCS_API = 'https://storage.googleapis.com';

export interface GcsLocation {
  readonly bucket: string;
  readonly prefix: string;
}

export function isGcsDestination(v: string): boolean {
  return v.startsWith('gs://') || v.startsWith(CONSOLE);
}

/** The location, or a sentence saying what is wrong. */
export function parseGcsDestination(v: string): GcsLocation | string {
  const gs = v.startsWith(CONSOLE) ? `gs://${v.slice(CONSOLE.length)}` : v;
  const m = /^gs:\/\/([^/?#]*)(.*)$/.exec(gs);
  const bucket = m?.[1] ?? '';
  // Google's rules: 3-63 characters (222 with dots), lower-case letters, digits, '-', '_' and '.'.
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    return 'must name a bucket: gs://BUCKET/optional/path (bucket names are 3-63 lower-case letters, digits, dashes, underscores, dots)';
  }
  const rest = m?.[2] ?? '';
  if (/[?#]/.test(rest)) return 'must not have a query or fragment: gs://BUCKET/optional/path';
  return { bucket, prefix: normalizePrefix(rest) };
}

export function gcsDestinationProblem(v: string): string | undefined {
  const r = parseGcsDestination(v);
  return typeof r === 'string' ? r : undefined;
}

export function gcsLocation(v: string): GcsLocation {
  const r = parseGcsDestination(v);
  if (typeof r === 'string') throw new PgdrError('CONFIG_INVALID', `objectStore.destinationPath ${r}`);
  return r;
}
