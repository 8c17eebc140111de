// The JSON answers of the storage API and the token endpoints, read as hostile input: bounded in size, every
// field checked for its type. A malformed answer fails with STORE_ERROR naming the call, never INTERNAL.
import { PgdrError } from '../../errors.js';
import type { ListPage } from '../list-pages.js';

/** Listing pages hold at most 1000 items; a page beyond this is no storage answer. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

export interface GcsObject {
  readonly name: string;
  readonly size: number;
  readonly updated: Date;
  readonly generation: string | undefined;
}

export interface GcsErrorBody {
  readonly code: string;
  readonly message: string;
}

export interface AccessToken {
  readonly token: string;
  /** Seconds the token lives, as the endpoint said. */
  readonly expiresIn: number;
}

function bad(what: string, why: string): PgdrError {
  return new PgdrError('STORE_ERROR', `${what}: the answer is not valid (${why})`, {
    hint: 'the endpoint answered with something other than the Cloud Storage JSON API: check objectStore.endpointURL and any proxy in front of it',
  });
}

export function parseJson(body: Buffer, what: string): Record<string, unknown> {
  if (body.length > MAX_JSON_BYTES) throw bad(what, `larger than ${MAX_JSON_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw bad(what, 'not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad(what, 'not a JSON object');
  return doc as Record<string, unknown>;
}

export function parseObject(v: unknown, what: string): GcsObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(what, 'an item is not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') throw bad(what, 'an object without a name');
  // The API writes 64-bit integers as decimal strings.
  const size = typeof o.size === 'string' && /^\d{1,16}$/.test(o.size) ? Number(o.size) : Number.NaN;
  if (!Number.isSafeInteger(size))
    throw bad(what, `object ${JSON.stringify(o.name.slice(0, 200))} has no valid size`);
  const updated = typeof o.updated === 'string' ? new Date(o.updated) : new Date(Number.NaN);
  if (Number.isNaN(updated.getTime()))
    throw bad(what, `object ${JSON.stringify(o.name.slice(0, 200))} has no valid time`);
  const generation =
    typeof o.generation === 'string' && /^\d{1,20}$/.test(o.generation) ? o.generation : undefined;
  return { name: o.name, size, updated, generation };
}

/** One objects.list page, its names full (store prefix included). */
export function parseListPage(body: Buffer, what: string): ListPage {
  const doc = parseJson(body, what);
  const items = doc.items ?? [];
  const prefixes = doc.prefixes ?? [];
  if (!Array.isArray(items)) throw bad(what, 'items is not a list');
  if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== 'string'))
    throw bad(what, 'prefixes is not a list of names');
  const token = doc.nextPageToken;
  if (token !== undefined && (typeof token !== 'string' || token === '' || token.length > 4096))
    throw bad(what, 'nextPageToken is not a token');
  const objects = items.map((i) => {
    const o = parseObject(i, what);
    return { key: o.name, size: o.size, lastModified: o.updated };
  });
  return { objects, prefixes: prefixes as string[], next: token };
}

/** {"error": {"code": 404, "message": "...", "errors": [{"reason": "notFound"}]}}, as far as it is there. */
export function parseErrorBody(body: Buffer): GcsErrorBody | undefined {
  try {
    const doc = body.length <= 64 * 1024 ? JSON.parse(body.toString('utf8')) : undefined;
    const e = doc?.error;
    if (typeof e === 'string')
      return { code: e, message: typeof doc.error_description === 'string' ? doc.error_description : '' };
    if (e === null || typeof e !== 'object') return undefined;
    const reason =
      Array.isArray(e.errors) && typeof e.errors[0]?.reason === 'string' ? e.errors[0].reason : '';
    return { code: reason || String(e.code ?? ''), message: typeof e.message === 'string' ? e.message : '' };
  } catch {
    return undefined;
  }
}

export function parseAccessToken(body: Buffer, what: string): AccessToken {
  const doc = parseJson(body, what);
  const token = doc.access_token;
  if (typeof token !== 'string' || token.length < 8 || token.length > 8192 || /\s/.test(token))
    throw bad(what, 'no access_token');
  const expiresIn = Number(doc.expires_in);
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) throw bad(what, 'no valid expires_in');
  if (doc.token_type !== undefined && String(doc.token_type).toLowerCase() !== 'bearer')
    throw bad(what, 'token_type is not Bearer');
  return { token, expiresIn };
}
