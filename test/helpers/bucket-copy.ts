// Identical copies of a server's objects under other prefixes of the same bucket, so two tools can each run a
// destructive operation on their own copy of one bucket and the results can be compared key by key.
import { gzipSync } from 'node:zlib';
import { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import type { S3Endpoint } from './barman.js';
import { listBucketKeys } from './barman-bucket.js';

export function bucketStore(s3: S3Endpoint, bucket: string, prefix?: string): S3ObjectStore {
  return new S3ObjectStore({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket,
    ...(prefix === undefined ? {} : { prefix }),
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** Copies every key under `${from}/` to `${to}/` (same relative keys). */
export async function copyPrefix(s3: S3Endpoint, bucket: string, from: string, to: string): Promise<void> {
  const store = bucketStore(s3, bucket);
  try {
    const { objects } = await store.list(`${from}/`);
    for (const o of objects)
      await store.put(`${to}/${o.key.slice(from.length + 1)}`, await store.getBuffer(o.key));
  } finally {
    await store.close();
  }
}

/** Flips 64 bytes in the middle of an object: a damaged tar (or any object) for a restore to fail on. */
export async function corruptObject(s3: S3Endpoint, bucket: string, key: string): Promise<void> {
  const store = bucketStore(s3, bucket);
  try {
    const buf = await store.getBuffer(key);
    for (let i = 0; i < 64; i++) buf[Math.floor(buf.length / 2) + i]! ^= 0xff;
    await store.put(key, buf);
  } finally {
    await store.close();
  }
}

/** The keys under `${prefix}/`, relative to it, sorted. */
export async function keysUnder(s3: S3Endpoint, bucket: string, prefix: string): Promise<string[]> {
  const keys = await listBucketKeys({ endpoint: s3.endpoint, bucket, prefix: `${prefix}/` });
  return keys.map((k) => k.slice(prefix.length + 1)).sort();
}

/** Replaces one `key=value` line of a backup.info in place. */
export async function rewriteBackupInfo(
  s3: S3Endpoint,
  bucket: string,
  key: string,
  field: string,
  value: string,
): Promise<void> {
  const store = bucketStore(s3, bucket);
  try {
    const text = (await store.getBuffer(key)).toString('utf8');
    const re = new RegExp(`^${field}=.*$`, 'm');
    if (!re.test(text)) throw new Error(`${key} has no ${field}`);
    await store.put(key, Buffer.from(text.replace(re, `${field}=${value}`)));
  } finally {
    await store.close();
  }
}

export async function putGzip(s3: S3Endpoint, bucket: string, key: string, body: string): Promise<void> {
  const store = bucketStore(s3, bucket);
  try {
    await store.put(key, gzipSync(Buffer.from(body)));
  } finally {
    await store.close();
  }
}
