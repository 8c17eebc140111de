// Where requests go: the bucket and prefix from `s3://bucket/prefix`, and the host and path of each request
// (path-style or virtual-host style).
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

export function normalizePrefix(prefix: string): string {
  return prefix.replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
}

export interface Endpoint {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** Path of the endpoint itself (a proxy may serve S3 below a path); '' or '/something' without a trailing '/'. */
  readonly basePath: string;
  /** For messages: scheme, host and port, never user info. */
  readonly display: string;
}

export function parseEndpoint(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PgdrError('CONFIG_INVALID', 'objectStore.endpointURL is not a valid URL', {
      hint: 'use an http:// or https:// URL, e.g. https://ACCOUNT.r2.cloudflarestorage.com',
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new PgdrError(
      'CONFIG_INVALID',
      `objectStore.endpointURL must be http:// or https://, not ${u.protocol}`,
      {
        hint: 'use an http:// or https:// URL',
      },
    );
  }
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const basePath = u.pathname.replace(/\/+$/, '');
  return { protocol: u.protocol, hostname: u.hostname, port, basePath, display: `${u.origin}${basePath}` };
}

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
