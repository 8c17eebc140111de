import { POLICY_FORMS, parseRetentionPolicy, type RetentionPolicy } from '../../config/retention-policy.js';
import type { PgdrConfig } from '../../config/types.js';
import { applyRetention } from '../../engine/retention.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, type Parsed, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withServerStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE, progressReporter } from '../progress-flags.js';
import { DELETE_FLAGS, DELETE_USAGE, minimumRedundancy } from './retention-flags.js';
import { retentionJson, retentionText } from './retention-format.js';

const NAME = 'retention apply';

export const retentionApply: Command = {
  name: NAME,
  summary: 'delete the backups and WAL a retention policy no longer needs (as barman-cloud-backup-delete -r)',
  usage: `Usage: pgdr retention apply [--policy P] [-m N] [--dry-run] [--format table|json] [store options]

Classifies every backup as barman does (VALID, OBSOLETE, KEEP:FULL, KEEP:STANDALONE; '-' for backups that are
not DONE, which a policy never deletes), then deletes the OBSOLETE ones oldest first, each with the WAL that no
remaining backup needs. Kept backups (pgdr backup keep) are never deleted.

  --policy P                 ${POLICY_FORMS}
                             (default: retentionPolicy from the configuration)
${DELETE_USAGE}

${PROGRESS_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(
      argv,
      { ...STORE_FLAGS, ...FORMAT_FLAG, ...DELETE_FLAGS, ...PROGRESS_FLAGS, policy: { type: 'string' } },
      NAME,
    );
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const min = minimumRedundancy(p, NAME);
    const config = configFrom(p, ctx);
    const policy = policyOf(p, config);
    const progress = progressReporter(p, ctx, NAME);
    return withServerStore(config, ctx.signal, async (store, server) => {
      const r = await applyRetention({
        ...server,
        policy,
        minimumRedundancy: min,
        now: new Date(),
        dryRun: flag(p, 'dry-run'),
        progress,
      }).finally(() => progress.close());
      if (format === 'json') json(ctx, retentionJson(r));
      else line(ctx, retentionText(r, store.displayUrl));
      return 0;
    });
  },
};

function policyOf(p: Parsed, config: PgdrConfig): RetentionPolicy {
  const fromFlag = str(p, 'policy');
  if (fromFlag !== undefined) return parseRetentionPolicy(fromFlag, { source: 'flag' });
  if (config.retentionPolicy !== undefined) {
    return parseRetentionPolicy(config.retentionPolicy, {
      source: 'config',
      field: `retentionPolicy (${config.source})`,
    });
  }
  throw new PgdrError('USAGE', `${NAME}: no retention policy`, {
    hint: `pass --policy or set retentionPolicy in the configuration: ${POLICY_FORMS}`,
  });
}
