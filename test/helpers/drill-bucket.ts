// A barman-cloud bucket (real barman-cloud-backup + barman-cloud-wal-archive, PostgreSQL 15) whose server holds
// Mastodon-shaped tables, created after the backup so a drill must replay them from the archived WAL.

import pg from 'pg';
import type { S3Endpoint } from './barman.js';
import { buildBarmanBucket, switchWalAndWait } from './barman-bucket.js';
import type { TestPostgres } from './postgres.js';

export const MASTODON_SQL = `
  CREATE TABLE accounts (id bigserial PRIMARY KEY, username varchar NOT NULL, domain varchar,
    created_at timestamp NOT NULL DEFAULT now());
  CREATE UNIQUE INDEX index_accounts_on_username_and_domain ON accounts (lower(username), domain);
  CREATE TABLE users (id bigserial PRIMARY KEY, email varchar NOT NULL UNIQUE,
    account_id bigint NOT NULL REFERENCES accounts(id), created_at timestamp NOT NULL DEFAULT now());
  CREATE TABLE statuses (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts(id),
    text text NOT NULL DEFAULT '', created_at timestamp NOT NULL DEFAULT now());
  CREATE INDEX index_statuses_on_account_id_id ON statuses (account_id, id DESC);
  INSERT INTO accounts (username, domain) VALUES ('instance.actor', NULL), ('alice', NULL), ('bob', 'remote.example');
  INSERT INTO users (email, account_id) VALUES ('alice@example.com', 2);
  INSERT INTO statuses (account_id, text) SELECT 1 + g % 3, md5(g::text) FROM generate_series(1, 500) g;
`;

export interface DrillBucket {
  readonly destination: string;
  readonly serverName: string;
  readonly backupId: string;
  /** statuses rows once the last WAL was archived. */
  readonly statuses: number;
}

export async function buildDrillBucket(o: {
  s3: S3Endpoint;
  bucket: string;
  prefix: string;
  serverName: string;
}): Promise<DrillBucket> {
  const b = await buildBarmanBucket({ major: 15, backups: 1, keepRunning: true, ...o });
  const src = b.server as TestPostgres;
  try {
    await src.query('CREATE DATABASE mastodon_production');
    const client = new pg.Client({
      connectionString: src.server.connectionString({ database: 'mastodon_production' }),
    });
    await client.connect();
    try {
      await client.query(MASTODON_SQL);
      await switchWalAndWait(src);
      // Commits in a segment archived after the previous one: a random target has commits after it.
      await client.query(
        "INSERT INTO statuses (account_id, text) SELECT 2, 'late' FROM generate_series(1, 20)",
      );
      await switchWalAndWait(src);
    } finally {
      await client.end();
    }
  } finally {
    await src.cleanup();
  }
  return { destination: b.destination, serverName: o.serverName, backupId: b.backupIds[0]!, statuses: 520 };
}
