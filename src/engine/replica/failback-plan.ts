// The runbook's two failback options as concrete steps for this configuration, each a command line to run in
// order. Pure: the CLI gathers the configuration and the promoted standby's state, so every case is
// unit-testable and the plan never depends on what happens to be running.
import { shQuote } from '../../shell-quote.js';
import { stopCommandText } from '../restore/stop-server.js';
import type { ReplicaState } from './replica-state.js';

type FailbackOption = 'keep' | 'original';

interface FailbackStep {
  readonly title: string;
  /** A pgdr command line, or a PostgreSQL/shell one where pgdr has none (kind says which). */
  readonly command: string;
  readonly kind: 'pgdr' | 'shell' | 'file';
  readonly why: string;
}

interface FailbackOptionPlan {
  readonly option: FailbackOption;
  readonly summary: string;
  readonly steps: readonly FailbackStep[];
}

export interface FailbackPlanInput {
  /** The original primary's serverName (the configuration's). */
  readonly serverName: string;
  readonly destinationPath: string;
  /** --config FILE as the operator passes it (or the default pgdr.yaml). */
  readonly configArg: string;
  /** The original primary's data folder, when configured. */
  readonly originalPgdata: string | undefined;
  /** The promoted standby (the recovered cluster); undefined before any promotion. */
  readonly recovered: ReplicaState | undefined;
  readonly schedule: string | undefined;
}

export interface FailbackPlan {
  readonly serverName: string;
  readonly recoveredServerName: string;
  readonly recovered: { pgdata: string; connectionString: string; timeline: number } | null;
  readonly notes: readonly string[];
  readonly options: readonly FailbackOptionPlan[];
}

export function failbackPlan(i: FailbackPlanInput): FailbackPlan {
  const p = i.recovered?.promoted;
  const newName = p?.serverName ?? `${i.serverName}-tl2`;
  const dir = i.recovered?.pgdata ?? '<recovered data folder>';
  const conn = i.recovered?.connectionString ?? '<recovered connection>';
  const tl = p?.timeline ?? 2;
  const newCfg = `pgdr-${newName}.yaml`;
  const c = `--config ${shQuote(i.configArg)}`;
  const orig = i.originalPgdata ?? '<original data folder>';
  // Placeholders stay as they are; real paths are quoted so that the commands can be pasted as printed.
  const origArg = i.originalPgdata === undefined ? orig : shQuote(orig);
  const notes =
    i.recovered === undefined || p === undefined
      ? [
          'no promoted standby is known on this host: the steps use placeholders (run pgdr replica promote first)',
        ]
      : [];
  const newConfig: FailbackStep = {
    title: `configuration for the recovered cluster (serverName ${newName})`,
    kind: 'file',
    command: `${newCfg}: the objectStore section of ${i.configArg}, with serverName: ${newName} and postgres: {connection: '${conn}', pgdata: '${dir}'}${i.schedule ? `, schedule: '${i.schedule}'` : ''}`,
    why: 'backups and the agent of the recovered cluster must never use the old primary serverName',
  };
  const keep: FailbackOptionPlan = {
    option: 'keep',
    summary: `keep the recovered cluster (${dir}) as the primary, archiving and backing up under ${newName}`,
    steps: [
      newConfig,
      {
        title: 'check that the new WAL archive receives WAL',
        kind: 'pgdr',
        command: `pgdr status --config ${newCfg}`,
        why: `archive_command already points at ${i.destinationPath} ${newName} since the promotion`,
      },
      {
        title: 'take the first base backup of the recovered cluster',
        kind: 'pgdr',
        command: `pgdr backup create --config ${newCfg}`,
        why: `until then the newest restorable backup is the old primary's (timeline ${tl - 1})`,
      },
      {
        title: 'schedule backups and retention',
        kind: 'pgdr',
        command: `pgdr agent --config ${newCfg}`,
        why: `runs pgdr backup create on the schedule${i.schedule ? ` (${i.schedule})` : ' (set schedule: in the file)'} and applies retention`,
      },
      {
        title: 'point applications and monitoring at the recovered cluster',
        kind: 'pgdr',
        command: `pgdr connections ${c}`,
        why: 'lists the read-write connection string to use now',
      },
    ],
  };
  const replicaArg = i.recovered ? ` --replica ${shQuote(i.recovered.pgdata)}` : '';
  const original: FailbackOptionPlan = {
    option: 'original',
    summary: `move back to the original name: back up the recovered cluster, restore it into ${orig} and archive under ${i.serverName} again`,
    steps: [
      {
        title: 'stop applications writing to the recovered cluster',
        kind: 'shell',
        command: '<scale down or stop the applications>',
        why: 'writes after the backup of the next step are not carried over',
      },
      {
        title: 'back up the recovered cluster, restore it under the original name, archive there again',
        kind: 'pgdr',
        command: `pgdr failback run --option original ${c}${replicaArg} --target-dir ${origArg}`,
        why: `the runbook's steps 1-3 with their checks: ${orig} missing or empty (move the old folder aside), the old primary stopped, the archive of ${i.serverName} holding only timelines before ${tl + 1}; then a first base backup under ${i.serverName}`,
      },
      {
        title: 'point the configuration and applications at the new primary',
        kind: 'file',
        command: `${i.configArg}: postgres.connection and postgres.pgdata as printed by the previous step`,
        why: `backups of ${i.serverName} must be taken from the new primary`,
      },
      {
        title: 'schedule backups and retention again',
        kind: 'pgdr',
        command: `pgdr agent ${c}`,
        why: `backups under ${i.serverName} on the new timeline`,
      },
      {
        title: 'stop the recovered cluster',
        kind: 'shell',
        command: i.recovered ? stopCommandText(i.recovered) : '<stop command of the recovered cluster>',
        why: 'once no application writes to it (or pass --stop-recovered to the failback run)',
      },
    ],
  };
  return {
    serverName: i.serverName,
    recoveredServerName: newName,
    recovered: i.recovered && p ? { pgdata: dir, connectionString: conn, timeline: tl } : null,
    notes,
    options: [keep, original],
  };
}

export function failbackMarkdown(plan: FailbackPlan): string {
  const out = [`# Failback plan for ${plan.serverName}`, ''];
  if (plan.recovered)
    out.push(
      `Recovered cluster: \`${plan.recovered.pgdata}\` (timeline ${plan.recovered.timeline}), archiving as **${plan.recoveredServerName}**.`,
      '',
    );
  for (const n of plan.notes) out.push(`> ${n}`, '');
  plan.options.forEach((o, k) => {
    out.push(`## Option ${k + 1} (${o.option}): ${o.summary}`, '');
    o.steps.forEach((s, j) => {
      out.push(`${j + 1}. ${s.title} — ${s.why}`, '', '   ```', `   ${s.command}`, '   ```', '');
    });
  });
  return out.join('\n');
}
