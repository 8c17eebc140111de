// Where requests go: the bucket and prefix from `s3://bucket/prefix`, and the host and path of each request
// (path-style or virtual-host style).

import { type Endpoint, normalizePrefix, parseEndpoint } from '../../common/endpoint.js';
import { PgdrError } from '../../errors.js';
import { encodePath } from './sigv4.js';

export interface S3Location {
  readonly bucket: string;
  /** Without leading or trailing '/'; '' for the bucket root. */
  readonly prefix: string;
}

export function parseS3Url(destinationPath: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/*(.*)$/.exec(destinationPath);
  if (!m?.[1]) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `objectStore.destinationPath ${destinationPath} is not an s3:// URL`,
      {
        hint: 'use s3://BUCKET/PREFIX or file:///PATH',
      },
    );
  }
  return { bucket: m[1], prefix: normalizePrefix(m[2] ?? '') };
}

export { type Endpoint, normalizePrefix, parseEndpoint } from '../../common/endpoint.js';

export function awsEndpoint(region: string): Endpoint {
  return parseEndpoint(`https://s3.${region}.amazonaws.com`);
}

export interface Target {
  /** The Host header. */
  readonly host: string;
  /** Name resolved by DNS (differs from the endpoint host with virtual-host style). */
  readonly hostname: string;
  /** Encoded path, for the wire and for signing. */
  readonly path: string;
}

/** Buckets whose names are not valid DNS labels (or hold dots, which break TLS wildcards) need path-style. */
function dnsCompatible(bucket: string, protocol: string): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) return false;
  return !(protocol === 'https:' && bucket.includes('.'));
}

export function requestTarget(ep: Endpoint, bucket: string, pathStyle: boolean, key?: string): Target {
  const defaultPort = ep.protocol === 'https:' ? 443 : 80;
  const portSuffix = ep.port === defaultPort ? '' : `:${ep.port}`;
  const keyPath = key === undefined ? '' : `/${encodePath(key)}`;
  if (pathStyle || !dnsCompatible(bucket, ep.protocol)) {
    // URL keeps IPv6 literals in brackets: right for the Host header, wrong for connecting.
    const hostname = ep.hostname.replace(/^\[(.*)\]$/, '$1');
    return {
      host: `${ep.hostname}${portSuffix}`,
      hostname,
      path: `${ep.basePath}/${encodePath(bucket)}${keyPath}`,
    };
  }
  const hostname = `${bucket}.${ep.hostname}`;
  return { host: `${hostname}${portSuffix}`, hostname, path: `${ep.basePath}${keyPath || '/'}` };
}
