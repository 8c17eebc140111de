// One authorized Blob service request with bounded retries, each attempt and the whole bounded in time by the
// deadlines the S3 driver uses (objectStore.timeouts). Bodies are Buffers, so every attempt can replay them.
// Responses are buffered, except `open`, which hands over the body stream once the status is known.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AzureCredentials, StoreTimeouts } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { answered, DriverHttp, readAll } from '../driver-http.js';
import { exchange } from '../exchange.js';
import { RetryableStatus, retrying } from '../retry.js';
import type { AttemptWatch } from '../s3/s3-deadline.js';
import type { ErrorContext } from '../s3/s3-errors.js';
import type { S3Request } from '../s3/s3-http.js';
import type { Endpoint } from '../s3/s3-url.js';
import { parseError } from '../s3/s3-xml.js';
import { canonicalQuery, encodePath } from '../s3/sigv4.js';
import { mapAzureError, transientStatus } from './azure-errors.js';
import { AzureTokenSource } from './azure-token.js';
import { sharedKeyAuthorization } from './shared-key.js';

/** The REST version pgdr speaks: If-None-Match on Put Block List, bearer tokens, Range on Get Blob. */
const AZURE_API_VERSION = '2021-12-02';

export interface AzureHttpOptions {
  readonly endpoint: Endpoint;
  readonly container: string;
  readonly credentials: AzureCredentials | undefined;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeouts: Pick<StoreTimeouts, 'connectMs' | 'requestMs' | 'operationMs'>;
}

/** Same shape as the S3 driver's, so the resuming download serves both; key is relative to the container. */
export type AzureRequest = S3Request;

export class AzureHttp extends DriverHttp<AzureRequest> {
  private readonly tokens: AzureTokenSource | undefined;

  constructor(private readonly opts: AzureHttpOptions) {
    super({ bucket: opts.container, endpoint: opts.endpoint, customEndpoint: true });
    const c = opts.credentials;
    this.tokens = c?.kind === 'azureAD' ? new AzureTokenSource(c, opts.timeouts.requestMs) : undefined;
  }

  context(req: Pick<AzureRequest, 'operation' | 'what'>): ErrorContext {
    const c = this.opts.credentials;
    const secrets =
      c?.kind === 'sharedKey'
        ? [c.key]
        : c?.kind === 'sas'
          ? sasSecrets(c.sasToken)
          : [c?.clientSecret ?? ''];
    return {
      ...this.placeContext(
        req,
        secrets.filter((s) => s !== ''),
      ),
      networkHint: `check objectStore.destinationPath (or the connection string's BlobEndpoint: ${this.opts.endpoint.display}) and that the storage account is reachable from this host`,
    };
  }

  protected async withRetries<T>(
    req: AzureRequest,
    finish: (res: IncomingMessage, watch: AttemptWatch) => Promise<T>,
  ): Promise<T> {
    const ctx = this.context(req);
    if (!this.opts.credentials) {
      throw new PgdrError(
        'CONFIG_INVALID',
        `no Azure credentials for ${this.opts.endpoint.display}/${this.opts.container}`,
        {
          hint: 'set objectStore.azureCredentials (connectionString, storageAccount + storageKey or storageSasToken, or inheritFromAzureAD: true) or AZURE_STORAGE_CONNECTION_STRING',
        },
      );
    }
    const contentMd5 = req.body ? createHash('md5').update(req.body).digest('base64') : undefined;
    const { maxAttempts, retryBaseMs, timeouts } = this.opts;
    return retrying({ ctx, maxAttempts, retryBaseMs, timeouts, signal: req.signal }, async (watch) => {
      const res = await this.attempt(req, contentMd5, watch);
      const status = res.statusCode ?? 0;
      if (answered(req, status)) return await finish(res, watch);
      const body = parseError((await readAll(res)).toString('utf8'));
      const headerCode = res.headers['x-ms-error-code'];
      const code = body?.code ?? (typeof headerCode === 'string' ? headerCode : undefined);
      const error = mapAzureError(status, body, code, ctx);
      if (transientStatus(status, code)) throw new RetryableStatus(error);
      throw error;
    });
  }

  private async attempt(
    req: AzureRequest,
    contentMd5: string | undefined,
    watch: AttemptWatch,
  ): Promise<IncomingMessage> {
    const ep = this.opts.endpoint;
    const path = `${ep.basePath}/${encodePath(this.opts.container)}${req.key === undefined ? '' : `/${encodePath(req.key)}`}`;
    const query = req.query ?? [];
    const headers: Record<string, string> = {
      ...req.headers,
      'x-ms-version': AZURE_API_VERSION,
      'x-ms-date': new Date().toUTCString(),
    };
    if (req.body) {
      headers['content-length'] = String(req.body.length);
      if (contentMd5) headers['content-md5'] = contentMd5;
    } else if (req.method === 'PUT') headers['content-length'] = '0';
    let qs = canonicalQuery(query);
    const c = this.opts.credentials as AzureCredentials;
    if (c.kind === 'sharedKey') {
      headers.authorization = sharedKeyAuthorization(c.account, c.key, {
        method: req.method,
        path,
        query,
        headers,
      });
    } else if (c.kind === 'sas') {
      // Appended as given: re-encoding it could change what the signature covers.
      qs = qs ? `${qs}&${c.sasToken}` : c.sasToken;
    } else {
      headers.authorization = `Bearer ${await (this.tokens as AzureTokenSource).token(req.signal)}`;
    }
    const wire = {
      method: req.method,
      tls: ep.protocol === 'https:',
      hostname: ep.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: ep.port,
      path: qs ? `${path}?${qs}` : path,
      headers,
      body: req.body,
      signal: req.signal,
      agent: this.agent,
    };
    return exchange(wire, watch);
  }
}

/** The whole token and its signature: either could be replayed. */
function sasSecrets(token: string): string[] {
  const sig = new URLSearchParams(token).get('sig');
  return [token, sig ?? '', sig ? encodeURIComponent(sig) : ''];
}
