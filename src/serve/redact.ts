// The secrets this process knows (the S3 secret key and session token, a Google service-account key, a password
// in postgres.connection), so that responses can be scrubbed of them whatever path a value took into a message.

import type { PgdrConfig } from '../config/types.js';
import { clientConfig } from '../postgres/connect.js';

/** Shorter values are not scrubbed: they would mangle ordinary text and are no secret worth the name. */
const MIN_SECRET_LENGTH = 6;

export function knownSecrets(config: PgdrConfig): string[] {
  const c = config.objectStore.s3Credentials;
  const g = config.objectStore.google?.credentials;
  const out = [
    c?.secretAccessKey,
    c?.sessionToken,
    g?.kind === 'service-account' ? g.key.privateKey : undefined,
    ...azureSecrets(config),
  ];
  const conn = config.postgres.connection;
  if (conn) {
    try {
      const pw = clientConfig(conn, { application: 'pgdr' }).password;
      out.push(typeof pw === 'string' ? pw : undefined);
      if (/^postgres(ql)?:\/\//.test(conn)) out.push(decodeURIComponent(new URL(conn).password));
    } catch {
      // An unparsable connection string has no password we could find either.
    }
  }
  return [...new Set(out.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))];
}

function azureSecrets(config: PgdrConfig): Array<string | undefined> {
  const a = config.objectStore.azureCredentials;
  if (a?.kind === 'sharedKey') return [a.key];
  if (a?.kind === 'sas') return [a.sasToken, new URLSearchParams(a.sasToken).get('sig') ?? undefined];
  return [a?.clientSecret];
}

export function redactor(secrets: readonly string[]): (body: string) => string {
  if (!secrets.length) return (body) => body;
  return (body) => {
    let out = body;
    for (const s of secrets) {
      for (const form of [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)])
        out = out.split(form).join('[redacted]');
    }
    return out;
  };
}
