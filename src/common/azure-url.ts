// Azure destination paths, parsed as barman-cloud parses them: https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH,
// and for an emulator (Azurite) or any other host http(s)://HOST:PORT/ACCOUNT/CONTAINER/PATH.
import { PgdrError } from '../errors.js';
import type { Endpoint } from './endpoint.js';

const AZURE_DOMAIN = 'blob.core.windows.net';

export interface AzureLocation {
  /** The account of an https://ACCOUNT.blob.core.windows.net URL; undefined for another host. */
  readonly account: string | undefined;
  readonly container: string;
  /** Without leading or trailing '/'; '' for the container root. */
  readonly prefix: string;
  /** The blob service: scheme://host[:port], plus /ACCOUNT on an emulator. */
  readonly service: string;
}

export function isAzureUrl(destinationPath: string): boolean {
  return /^https?:\/\//i.test(destinationPath);
}

const FORMS =
  'https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, or http(s)://HOST:PORT/ACCOUNT/CONTAINER/PATH for an emulator';

/** Why the destination is not an Azure URL barman-cloud accepts, or undefined. */
export function azureUrlProblem(destinationPath: string): string | undefined {
  try {
    parseAzureUrl(destinationPath);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^objectStore\.destinationPath /, '');
  }
}

export function parseAzureUrl(destinationPath: string): AzureLocation {
  let u: URL;
  try {
    u = new URL(destinationPath);
  } catch {
    throw bad(`is not a URL: use ${FORMS}`);
  }
  if (u.username || u.password || u.search || u.hash) {
    throw bad(
      `must not hold user info, a query or a fragment (credentials go in objectStore.azureCredentials): use ${FORMS}`,
    );
  }
  let segments: string[];
  try {
    segments = u.pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
  } catch {
    throw bad(`holds a malformed %-escape: use ${FORMS}`);
  }
  const onAzure = u.hostname.toLowerCase().endsWith(AZURE_DOMAIN);
  const account = onAzure ? u.hostname.split('.')[0] : segments[0];
  const rest = onAzure ? segments : segments.slice(1);
  const container = rest[0] ?? '';
  if (!account) throw bad(`names no storage account: use ${FORMS}`);
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw bad(
      `must name a container (3-63 lower-case letters, digits and single dashes) after the ${onAzure ? 'host' : 'account'}: use ${FORMS}`,
    );
  }
  const prefix = rest
    .slice(1)
    .filter((s) => s !== '')
    .join('/');
  if (prefix.split('/').some((s) => s === '.' || s === '..')) throw bad('must not hold . or .. segments');
  return {
    account: onAzure ? account : undefined,
    container,
    prefix,
    service: onAzure ? u.origin : `${u.origin}/${encodeURIComponent(account)}`,
  };
}

function bad(why: string): PgdrError {
  return new PgdrError('CONFIG_INVALID', `objectStore.destinationPath ${why}`, { hint: `use ${FORMS}` });
}

/** The blob service URL as an Endpoint; basePath holds the account on an emulator. */
export function serviceEndpoint(service: string): Endpoint {
  const u = new URL(service);
  const protocol = u.protocol === 'https:' ? 'https:' : 'http:';
  const port = u.port ? Number(u.port) : protocol === 'https:' ? 443 : 80;
  const basePath = u.pathname.replace(/\/+$/, '');
  return { protocol, hostname: u.hostname, port, basePath, display: `${u.origin}${basePath}` };
}
