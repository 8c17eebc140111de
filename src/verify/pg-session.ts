// The one session verify runs in (UTC; data checks open their own read-only transactions), and query values
// normalised to CheckValue so reports round-trip through JSON (bigint counts as numbers, times as ISO strings).
import pg from 'pg';
import { connect } from '../postgres/connect.js';
import type { CheckValue } from './check-result.js';

export { describe } from '../postgres/connect.js';

const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const INT8 = 20;
const NUMERIC = 1700;

export async function openSession(connection: string): Promise<pg.Client> {
  const client = await connect(connection, { application: 'pgdr_verify', setting: 'postgres.connection' });
  await client.query("SET TIME ZONE 'UTC'");
  return client;
}

export function toValue(v: unknown, typeOid: number): CheckValue {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (typeOid === INT8 || typeOid === NUMERIC) {
      const n = Number(v);
      // Beyond 2^53 a number would lie; keep the digits, the comparisons read them as numbers anyway.
      return Number.isSafeInteger(n) || (typeOid === NUMERIC && Number.isFinite(n)) ? n : v;
    }
    if (typeOid === TIMESTAMP) return utc(v);
    if (typeOid === TIMESTAMPTZ) return iso(v);
    return v;
  }
  return JSON.stringify(v);
}

/** node-postgres parses `timestamp` in the local zone; the session is UTC, so read it as UTC. */
function utc(text: string): string {
  const d = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

function iso(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

/** Raw text for the timestamp types, so toValue decides the zone rather than node-postgres. */
export const RAW_TIME_TYPES = {
  getTypeParser: (oid: number, format?: string) =>
    oid === TIMESTAMP || oid === TIMESTAMPTZ
      ? (s: string) => s
      : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
};
