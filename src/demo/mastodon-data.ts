// A Mastodon-shaped database (the runbook's application): accounts, users and statuses with the columns
// and indexes that matter for recovery checks, filled set-based in SQL (generate_series), never row by row.
// Volumes are chosen so that the demo stays within a few minutes on two cores: about 100 MB on disk.
import type pg from 'pg';

export const DATABASE = 'mastodon_production';

export interface Volumes {
  readonly accounts: number;
  /** Accounts 1..localAccounts are this instance's users; the others are remote (federated). */
  readonly localAccounts: number;
  readonly statuses: number;
}

export const DEFAULT_VOLUMES: Volumes = { accounts: 20_000, localAccounts: 4_000, statuses: 300_000 };

const SCHEMA = `
CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  username varchar NOT NULL,
  domain varchar,
  display_name varchar NOT NULL DEFAULT '',
  note text NOT NULL DEFAULT '',
  url varchar,
  created_at timestamp NOT NULL,
  updated_at timestamp NOT NULL
);
CREATE TABLE users (
  id bigint PRIMARY KEY,
  email varchar NOT NULL DEFAULT '',
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  encrypted_password varchar NOT NULL DEFAULT '',
  locale varchar,
  created_at timestamp NOT NULL,
  updated_at timestamp NOT NULL
);
CREATE SEQUENCE statuses_id_seq;
CREATE TABLE statuses (
  id bigint PRIMARY KEY DEFAULT nextval('statuses_id_seq'),
  uri varchar,
  text text NOT NULL DEFAULT '',
  created_at timestamp NOT NULL,
  updated_at timestamp NOT NULL,
  in_reply_to_id bigint,
  reblog_of_id bigint,
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  visibility integer NOT NULL DEFAULT 0,
  language varchar,
  local boolean
);`;

const INDEXES = `
CREATE UNIQUE INDEX index_accounts_on_username_and_domain_lower ON accounts (lower(username), COALESCE(lower(domain), ''));
CREATE UNIQUE INDEX index_users_on_email ON users (email);
CREATE INDEX index_users_on_account_id ON users (account_id);
CREATE INDEX index_statuses_20190820 ON statuses (account_id, id DESC, visibility, updated_at);
CREATE INDEX index_statuses_on_in_reply_to_id ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;`;

// Words for the statuses' text: picked by arithmetic on the row number, which is fast and reproducible.
const WORDS = [
  'postgres',
  'backup',
  'fediverse',
  'toot',
  'coffee',
  'morning',
  'release',
  'bug',
  'cat',
  'photo',
  'garden',
  'train',
  'music',
  'rain',
  'weekend',
  'open',
  'source',
  'server',
  'moderation',
  'instance',
  'boost',
  'thread',
  'hello',
  'world',
  'recovery',
  'archive',
  'timeline',
  'federation',
  'privacy',
  'linux',
  'bike',
  'book',
];

/** Creates the database and fills it; `step` reports each statement's purpose. */
export async function createMastodonData(
  admin: pg.Client,
  connect: (database: string) => Promise<pg.Client>,
  v: Volumes,
  step: (what: string) => void,
): Promise<void> {
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  const db = await connect(DATABASE);
  try {
    await db.query(SCHEMA);
    const words = `ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`;
    const w = (expr: string) => `(${words})[1 + (${expr}) % ${WORDS.length}]`;
    step(`${v.accounts} accounts`);
    await db.query(
      `INSERT INTO accounts (id, username, domain, display_name, note, url, created_at, updated_at)
       SELECT g, 'user' || g,
              CASE WHEN g <= $1 THEN NULL ELSE 'social' || (g % 97) || '.example' END,
              initcap(${w('g')}) || ' ' || initcap(${w('g / 7')}),
              'I toot about ' || ${w('g / 3')} || ' and ' || ${w('g / 11')},
              'https://' || CASE WHEN g <= $1 THEN 'demo.example' ELSE 'social' || (g % 97) || '.example' END || '/@user' || g,
              ts, ts
         FROM generate_series(1, $2::int) g,
              LATERAL (SELECT (now() AT TIME ZONE 'utc') - make_interval(days => 730 - g % 700)) t(ts)`,
      [v.localAccounts, v.accounts],
    );
    step(`${v.localAccounts} users`);
    await db.query(
      `INSERT INTO users (id, email, account_id, encrypted_password, locale, created_at, updated_at)
       SELECT g, 'user' || g || '@demo.example', g, md5('pw' || g), 'en', a.created_at, a.created_at
         FROM generate_series(1, $1::int) g JOIN accounts a ON a.id = g`,
      [v.localAccounts],
    );
    step(`${v.statuses} statuses`);
    const text = Array.from({ length: 14 }, (_, i) => w(`g / ${i * 3 + 1}`)).join(` || ' ' || `);
    await db.query(
      `INSERT INTO statuses (id, uri, text, created_at, updated_at, in_reply_to_id, account_id, visibility, language, local)
       SELECT g, 'https://demo.example/statuses/' || md5(g::text), ${text} || ' #' || ${w('g / 5')},
              ts, ts, CASE WHEN g % 5 = 0 AND g > 10 THEN g - 7 END, acct, g % 4, 'en', acct <= $1
         FROM generate_series(1, $2::int) g,
              LATERAL (SELECT 1 + (g::bigint * 7919) % $3::int) a(acct),
              LATERAL (SELECT (now() AT TIME ZONE 'utc') - make_interval(secs => ($2::int - g) * 100)) t(ts)`,
      [v.localAccounts, v.statuses, v.accounts],
    );
    await db.query(`SELECT setval('statuses_id_seq', $1::bigint)`, [v.statuses]);
    step('indexes');
    await db.query(INDEXES);
    await db.query('ANALYZE');
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** Statuses of remote (federated) accounts: what the "accidental deletion" removes. */
export const REMOTE_STATUSES_SQL =
  'SELECT count(*)::bigint AS n FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE a.domain IS NOT NULL';
