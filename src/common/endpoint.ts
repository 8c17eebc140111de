// Object-store endpoints and key prefixes as the configuration gives them: pure parsing, shared by the
// configuration's checks and the drivers.
import { PgdrError } from '../errors.js';

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
