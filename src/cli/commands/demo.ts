import { runDemo, SCENARIOS } from '../../demo/run-demo.js';
import { ERRORS, PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, parseFlagsOnly, str } from '../args.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { noColor } from '../progress-flags.js';
import { summaryText } from './demo-summary.js';

const NAME = 'demo';

export const demoCommand: Command = {
  name: NAME,
  summary: "the runbook's scenarios played end to end on embedded PostgreSQL 17, verified and timed",
  usage: `Usage: pgdr demo [--dir DIR] [--keep] [--format text|json]

No configuration needed. Starts PostgreSQL 17 (binaries from npm) archiving its WAL through pgdr into a
file:// object store, creates a Mastodon-shaped database (accounts, users, statuses; about 100 MB), takes a
base backup and keeps writing. Then plays, each with its verification:
  status     the recovery window and the RPO right now (pgdr status)
  pitr       Scenario 2: an accidental DELETE, undone by pgdr restore --target-time to just before it
  failover   Scenario 1: a hot standby following the bucket (pgdr replica create), the primary lost
             mid-write, pgdr replica promote; the new primary archives under a new serverName
  latest     Scenario 3: the latest state recovered from the bucket alone (pgdr restore)
  drill      pgdr drill with the Mastodon data checks, its report kept in the bucket
and ends with a summary: scenario, result, RTO measured, data lost. Runs in a few minutes on two cores.

  --dir DIR   put everything under DIR (missing or empty; default: a new folder under the temp folder)
  --keep      keep the files at the end (servers are always stopped)
  -o, --format text|json
              json: the narration goes to stderr and stdout gets {"results": [...], "steps": [...],
              "wallMs", "wallSeconds", "root", "kept", "stillRunning"}

Exit code: 0 when every scenario passed, 52 (DRILL_FAILED) when one failed.`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(
      argv,
      { dir: { type: 'string' }, keep: { type: 'boolean' }, ...FORMAT_FLAG },
      NAME,
    );
    const asJson = oneOf(p, 'format', ['text', 'json'] as const, 'text', NAME) === 'json';
    // Test hooks, not options: which scenarios to play, and a verification made to fail on purpose.
    const only = ctx.env.PGDR_DEMO_SCENARIOS?.split(',').map((s) => s.trim());
    const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
    if (unknown.length > 0) {
      throw new PgdrError(
        'USAGE',
        `${NAME}: unknown scenario in PGDR_DEMO_SCENARIOS: ${unknown.join(', ')}`,
        {
          hint: `scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}`,
        },
      );
    }
    const r = await runDemo({
      dir: str(p, 'dir'),
      keep: flag(p, 'keep'),
      out: asJson ? ctx.stderr : ctx.stdout,
      tty: ctx.isTTY && !asJson,
      ansi: !noColor(ctx),
      env: ctx.env,
      signal: ctx.signal,
      only,
      fault: ctx.env.PGDR_DEMO_FAULT,
    });
    if (r.stillRunning.length > 0) {
      ctx.stderr.write(`pgdr: warning: PostgreSQL still runs in ${r.stillRunning.join(', ')}\n`);
    }
    if (asJson) {
      const { root, kept, results, steps, wallMs, wallSeconds, stillRunning } = r;
      json(ctx, { results, steps, wallMs, wallSeconds, root, kept, stillRunning });
    } else {
      line(ctx);
      line(ctx, summaryText(r));
      line(ctx, r.kept ? `Files kept in ${r.root}` : `Removed ${r.root}`);
    }
    const failed = r.results.length === 0 || r.results.some((s) => !s.passed) || r.stillRunning.length > 0;
    return failed ? ERRORS.DRILL_FAILED.exitCode : 0;
  },
};
