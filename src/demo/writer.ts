// The application: local users keep posting statuses while the scenarios run. Each batch is one transaction;
// once it has committed, the writer notes its rows and the WAL position, so that after the primary is lost the
// demo knows exactly which committed rows were in archived WAL (they must come back) and which were not (the
// data an archive-based recovery loses: the RPO).
import type pg from 'pg';
import { parseLsn } from '../catalog/wal-name.js';

export interface Batch {
  readonly firstId: bigint;
  readonly lastId: bigint;
  readonly rows: number;
  /** pg_current_wal_lsn() after the commit: the commit record lies before it. */
  readonly lsnAfter: bigint;
  readonly at: number;
}

const BATCH_ROWS = 5;
const INTERVAL_MS = 200;

export class Writer {
  readonly batches: Batch[] = [];
  private running = false;
  private lossExpected = false;
  private loop: Promise<void> | undefined;
  /** Set when the writer stopped on an error it did not expect (not after the primary was stopped). */
  error: Error | undefined;

  constructor(
    private readonly client: pg.Client,
    private readonly localAccounts: number,
  ) {
    // A server that goes away mid-query must not crash the demo: the loop sees the failed query.
    client.on('error', () => undefined);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** The primary is about to be taken away: a failing batch from now on is part of the scenario. */
  expectLoss(): void {
    this.lossExpected = true;
  }

  /** Stops after the current batch. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.client.end().catch(() => undefined);
  }

  get committedRows(): number {
    return this.batches.reduce((n, b) => n + b.rows, 0);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const r = await this.client.query<{ first: string; last: string; n: number }>(
          `WITH ins AS (
             INSERT INTO statuses (uri, text, created_at, updated_at, account_id, visibility, language, local)
             SELECT 'https://demo.example/statuses/w' || md5(random()::text), 'live toot ' || g || ' at ' || now(),
                    now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', 1 + floor(random() * $1)::int, 0, 'en', true
               FROM generate_series(1, $2::int) g
             RETURNING id)
           SELECT min(id)::text AS first, max(id)::text AS last, count(*)::int AS n FROM ins`,
          [this.localAccounts, BATCH_ROWS],
        );
        const [lsn] = (await this.client.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows;
        const row = r.rows[0]!;
        this.batches.push({
          firstId: BigInt(row.first),
          lastId: BigInt(row.last),
          rows: row.n,
          lsnAfter: parseLsn(lsn!.l),
          at: Date.now(),
        });
      } catch (e) {
        // A batch whose LSN could not be read is not counted: it may or may not have committed.
        if (!this.lossExpected) this.error = e as Error;
        this.running = false;
        return;
      }
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
  }
}
