import { manifestSource } from '../../k8s/manifests.js';
import { describeTarget } from '../../k8s/recovery-target.js';
import { type DrillContext, drillPlan } from '../../k8s/runbook/drill-runbook.js';
import { runRunbook } from '../../k8s/runbook/runbook.js';
import { type FlagSpec, flag, oneOf, parse, positionals, str, TARGET_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import { dataChecksFromFlags } from '../data-check-flags.js';
import { durationFlag } from '../duration-flag.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import {
  KUBE_USAGE,
  openRunbook,
  printReport,
  RUNBOOK_FLAGS,
  reportJson,
  TARGET_USAGE,
  targetFromFlags,
  VERIFY_FLAGS,
  VERIFY_USAGE,
} from './k8s-common.js';

const NAME = 'k8s drill';

const FLAGS: FlagSpec = {
  ...RUNBOOK_FLAGS,
  ...TARGET_FLAGS,
  ...VERIFY_FLAGS,
  namespace: { type: 'string', short: 'n' },
  name: { type: 'string' },
  keep: { type: 'boolean' },
};

export const k8sDrill: Command = {
  name: NAME,
  summary:
    'Kubernetes: restore drill — a throw-away recovery Cluster in a scratch namespace, verified, deleted',
  usage: `Usage: pgdr k8s drill [--namespace NS] [--target-time T|...] [--keep] [--dry-run] [options]

The seed's monthly DR test: pre-checks, then in a scratch namespace (created if missing, with copies of the
ObjectStore and its Secret) a recovery Cluster that archives nothing, waited for and verified, then deleted
with everything the drill created. The source Cluster and the applications are never touched. Prints the
per-step timings: apply + wait + verify is the RTO the drill measured. Fail-closed: database checks that fail
or cannot run (no port-forward allowed, no credentials Secret) fail the drill, exit 52.

  -n, --namespace NS         scratch namespace (default <kubernetes.namespace>-pgdr-drill)
  --name NAME                the drill Cluster (default <cluster>-drill)
${TARGET_USAGE}
                             (default: the end of the archive)
  --keep                     do not delete the drill's resources (inspection)
  --dry-run                  print every step and the exact manifests; change nothing
  --timeout DURATION         default 30m;  --poll-interval DURATION  default 5s
${VERIFY_USAGE}
  --format table|json

${KUBE_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    positionals(p, NAME, 0, 0, '');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const config = configFrom(p, ctx);
    const src = manifestSource(config);
    const target = targetFromFlags(p);
    const plan = drillPlan({
      config,
      src,
      target,
      namespace: str(p, 'namespace'),
      name: str(p, 'name'),
      keep: flag(p, 'keep'),
      timeoutMs: durationFlag(p, 'timeout', NAME) ?? 30 * 60_000,
      pollMs: durationFlag(p, 'poll-interval', NAME) ?? 5_000,
      connection: str(p, 'connection'),
      database: str(p, 'database'),
      dataChecks: dataChecksFromFlags(p, ctx.cwd, NAME),
      amcheck: !flag(p, 'no-amcheck'),
    });
    const title = `pgdr ${NAME}: recover serverName ${config.serverName} to ${describeTarget(target)} as Cluster ${plan.namespace}/${plan.name}, verify, delete`;
    const opened = await openRunbook(ctx, p, title, plan.steps, format);
    if (opened === undefined) return 0;
    const { api, quiet, printer } = opened;
    const dctx: DrillContext = {
      api,
      signal: ctx.signal,
      progress: quiet ? () => undefined : printer.progress,
      created: [],
    };
    const report = await runRunbook(NAME, plan.steps, dctx, {
      onStep: quiet ? undefined : printer.onStep,
      describeState: async (c) => [
        `Cluster ${src.k8s.cluster} and the applications were not touched.`,
        c.created.length
          ? `left in place: ${c.created.map((r) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join(', ')}`
          : 'nothing the drill created is left.',
      ],
    });
    const rtoMs = report.steps
      .filter((s) => ['apply', 'wait', 'verify'].includes(s.id))
      .reduce((a, s) => a + s.durationMs, 0);
    if (quiet)
      json(ctx, {
        ...reportJson(report),
        result: report.ok ? 'pass' : 'fail',
        rtoMs: report.ok ? rtoMs : null,
      });
    else {
      printReport(ctx, report);
      line(
        ctx,
        `\nDrill ${report.ok ? `PASSED: RTO ${(rtoMs / 1000).toFixed(1)} s (create, recover, verify)` : 'FAILED'}`,
      );
    }
    if (report.failure) throw report.failure.error;
    return 0;
  },
};
