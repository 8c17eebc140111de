import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DrillReport } from '../../drill/drill-types.js';
import { localFileError, PgdrError } from '../../errors.js';
import { manifestSource } from '../../k8s/manifests.js';
import { describeTarget } from '../../k8s/recovery-target.js';
import { k8sDrillReport, publishK8sDrill } from '../../k8s/runbook/drill-report.js';
import { type DrillContext, drillPlan } from '../../k8s/runbook/drill-runbook.js';
import { type FlagSpec, flag, oneOf, parseFlagsOnly, str, TARGET_FLAGS } from '../args.js';
import { configFrom } from '../context.js';
import type { Command } from '../main.js';
import {
  RUNBOOK_FLAGS,
  RUNBOOK_USAGE_END,
  TARGET_USAGE,
  targetFromFlags,
  waitsFromFlags,
} from './k8s-common.js';
import { runRunbookCommand } from './k8s-runbook-command.js';
import { instancesFlag, SOURCE_FLAGS, SOURCE_USAGE, sourceFor, sourceReads } from './k8s-source.js';
import { VERIFY_FLAGS, VERIFY_USAGE, verifyFromFlags } from './k8s-verify-flags.js';

const NAME = 'k8s drill';

const FLAGS: FlagSpec = {
  ...RUNBOOK_FLAGS,
  ...TARGET_FLAGS,
  ...VERIFY_FLAGS,
  namespace: { type: 'string', short: 'n' },
  name: { type: 'string' },
  keep: { type: 'boolean' },
  report: { type: 'string' },
  notify: { type: 'string' },
  ...SOURCE_FLAGS,
};

export const k8sDrill: Command = {
  name: NAME,
  summary:
    'Kubernetes: restore drill — a throw-away recovery Cluster in a scratch namespace, verified, deleted',
  usage: `Usage: pgdr k8s drill [--namespace NS] [--target-time T|...] [--keep] [--dry-run] [options]

The runbook's monthly DR test: pre-checks, then in a scratch namespace (created if missing, with copies of the
ObjectStore and its Secret) a recovery Cluster that archives nothing, waited for and verified, then deleted
with everything the drill created. The source Cluster and the applications are never touched. Prints the
per-step timings: apply + wait + verify is the RTO the drill measured. Fail-closed: database checks that fail
or cannot run (no port-forward allowed, no credentials Secret) fail the drill, exit 52.

  -n, --namespace NS         scratch namespace (default <kubernetes.namespace>-pgdr-drill)
  --name NAME                the drill Cluster (default <cluster>-drill)
${TARGET_USAGE}
                             (default: the end of the archive)
  --keep                     do not delete the drill's resources (inspection)
  --report FILE              also write the drill report (JSON, as pgdr drill --format json) to FILE
  --notify URL               POST the report to a webhook (Slack-compatible: a "text" field)
The report is appended to the bucket's drill history (<serverName>/pgdr/drills/, ignored by barman-cloud),
which pgdr drill history, pgdr serve and its metrics read.
  --dry-run                  print every step and the exact manifests; change nothing
  --timeout DURATION         default 30m;  --poll-interval DURATION  default 5s
${VERIFY_USAGE}
${SOURCE_USAGE.replace("(default: the source's)", '(default 1)')}
${RUNBOOK_USAGE_END}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const config = configFrom(p, ctx);
    const target = targetFromFlags(p);
    const instances = instancesFlag(p, NAME);
    const src = await sourceFor(p, ctx, manifestSource(config));
    const plan = drillPlan({
      config,
      src,
      instances: instances ?? 1,
      target,
      namespace: str(p, 'namespace'),
      name: str(p, 'name'),
      keep: flag(p, 'keep'),
      ...waitsFromFlags(p, NAME, 30 * 60_000),
      ...verifyFromFlags(p, ctx.cwd, NAME),
    });
    const notifyUrl = str(p, 'notify');
    if (notifyUrl !== undefined && !/^https?:\/\/[^/]+/.test(notifyUrl))
      throw new PgdrError('USAGE', `${NAME}: --notify must be an http(s) URL`, {
        hint: `see: pgdr ${NAME} --help`,
      });
    const reportFile = str(p, 'report');
    const startedAt = new Date();
    const title = `pgdr ${NAME}: recover serverName ${config.serverName} to ${describeTarget(target)} as Cluster ${plan.namespace}/${plan.name}, verify, delete`;
    return runRunbookCommand<DrillContext>(ctx, p, {
      name: NAME,
      title,
      steps: plan.steps,
      format,
      reads: sourceReads(p, src),
      context: (base) => ({ ...base, created: [] }),
      describeState: async (c) => [
        `Cluster ${src.k8s.cluster} and the applications were not touched.`,
        c.created.length
          ? `left in place: ${c.created.map((r) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join(', ')}`
          : 'nothing the drill created is left.',
      ],
      outcome: async (report, _c, api) => {
        const drill = await publishK8sDrill({
          api,
          config,
          src,
          notifyUrl,
          signal: ctx.signal,
          report: k8sDrillReport({
            report,
            serverName: config.serverName,
            destination: config.objectStore.destinationPath,
            target: describeTarget(target),
            startedAt,
          }),
        });
        if (reportFile !== undefined) await writeReportFile(resolve(ctx.cwd, reportFile), drill);
        return { json: { result: drill.result, rtoMs: drill.rtoMs, drill }, text: drillText(drill) };
      },
    });
  },
};

function drillText(drill: DrillReport): string[] {
  const rtoMs = drill.rtoMs ?? 0;
  return [
    `\nDrill ${drill.result === 'pass' ? `PASSED: RTO ${(rtoMs / 1000).toFixed(1)} s (create, recover, verify)` : 'FAILED'}`,
    drill.historyKey
      ? `report kept in the bucket: ${drill.historyKey}`
      : `report NOT kept in the bucket: ${drill.historyProblem ?? ''}`,
    ...(drill.notification
      ? [
          `webhook ${drill.notification.url}: ${drill.notification.ok ? 'sent' : `failed (${drill.notification.detail})`}`,
        ]
      : []),
  ];
}

async function writeReportFile(path: string, report: DrillReport): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  } catch (e) {
    throw localFileError(e, path, 'write the drill report');
  }
}
