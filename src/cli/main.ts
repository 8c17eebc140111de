// The entry point: dispatches to command modules (loaded lazily, so `pgdr wal archive` stays cheap to start),
// and is the only place that turns errors into exit codes.
import { ERRORS, isPgdrError, PgdrError } from '../errors.js';
import type { Out } from './output.js';
import { VERSION } from './version.js';

export interface Command {
  /** `backup list`, `status`, ... */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

export interface CliContext extends Out {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal: AbortSignal;
  /** The host-wide configuration file; default /etc/pgdr/pgdr.yaml (tests point it elsewhere). */
  readonly systemConfigFile?: string | undefined;
}

type Loader = () => Promise<Command>;

const COMMANDS: Record<string, Loader> = {
  'backup create': async () => (await import('./commands/backup-create.js')).backupCreate,
  'backup list': async () => (await import('./commands/backup-list.js')).backupList,
  'backup show': async () => (await import('./commands/backup-show.js')).backupShow,
  'backup delete': async () => (await import('./commands/backup-delete.js')).backupDelete,
  'backup keep': async () => (await import('./commands/backup-keep.js')).backupKeepCommand,
  'backup verify': async () => (await import('./commands/backup-verify.js')).backupVerify,
  'retention apply': async () => (await import('./commands/retention-apply.js')).retentionApply,
  status: async () => (await import('./commands/status.js')).status,
  restore: async () => (await import('./commands/restore.js')).restoreCommand,
  'wal archive': async () => (await import('./commands/wal-archive.js')).walArchive,
  'wal restore': async () => (await import('./commands/wal-restore.js')).walRestore,
  'wal verify': async () => (await import('./commands/wal-verify.js')).walVerify,
  'check-wal-archive': async () => (await import('./commands/check-wal-archive.js')).checkWalArchiveCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  drill: async () => (await import('./commands/drill.js')).drillCommand,
  'drill history': async () => (await import('./commands/drill-history.js')).drillHistoryCommand,
  'k8s manifests': async () => (await import('./commands/k8s-manifests.js')).k8sManifests,
  'k8s pitr': async () => (await import('./commands/k8s-recover.js')).k8sPitr,
  'k8s latest': async () => (await import('./commands/k8s-recover.js')).k8sLatest,
  'k8s status': async () => (await import('./commands/k8s-status.js')).k8sStatusCommand,
  'k8s promote': async () => (await import('./commands/k8s-promote.js')).k8sPromote,
  'k8s drill': async () => (await import('./commands/k8s-drill.js')).k8sDrill,
  'k8s support-bundle': async () => (await import('./commands/k8s-support-bundle.js')).k8sSupportBundle,
  agent: async () => (await import('./commands/agent.js')).agentCommand,
  'replica create': async () => (await import('./commands/replica-create.js')).replicaCreate,
  'replica status': async () => (await import('./commands/replica-status.js')).replicaStatusCommand,
  'replica promote': async () => (await import('./commands/replica-promote.js')).replicaPromote,
  'failback plan': async () => (await import('./commands/failback-plan.js')).failbackPlanCommand,
  'failback run': async () => (await import('./commands/failback-run.js')).failbackRunCommand,
  connections: async () => (await import('./commands/connections.js')).connectionsCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  'postgres install': async () => (await import('./commands/postgres-install.js')).postgresInstall,
  'postgres list': async () => (await import('./commands/postgres-list.js')).postgresList,
  'config show': async () => (await import('./commands/config-show.js')).configShow,
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

async function findCommand(args: string[]): Promise<{ cmd: Command; rest: string[] } | undefined> {
  for (const words of [2, 1]) {
    const key = args.slice(0, words).join(' ');
    const load = COMMANDS[key];
    if (load && args.length >= words) return { cmd: await load(), rest: args.slice(words) };
  }
  return undefined;
}

export async function overview(): Promise<string> {
  const cmds = await Promise.all(Object.values(COMMANDS).map((l) => l()));
  const width = Math.max(14, ...cmds.map((c) => c.name.length));
  return [
    `pgdr ${VERSION} — PostgreSQL disaster recovery on the barman-cloud bucket format`,
    '',
    'Usage: pgdr COMMAND [options]',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help [COMMAND]'.padEnd(width)}  show help for a command`,
    '',
    'Configuration: --config FILE, else PGDR_CONFIG, else pgdr.yaml in the current folder, else',
    '/etc/pgdr/pgdr.yaml (see docs/configuration.md; pgdr config show prints what is read).',
    'Exit codes:',
    ...Object.entries(ERRORS).map(
      ([code, e]) => `  ${String(e.exitCode).padStart(3)}  ${code.padEnd(21)} ${e.summary}`,
    ),
  ].join('\n');
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    ctx.stdout.write(`${await overview()}\n`);
    return argv.length === 0 ? ERRORS.USAGE.exitCode : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    ctx.stdout.write(`pgdr ${VERSION}\n`);
    return 0;
  }
  if (argv[0] === 'help') {
    const found = argv.length > 1 ? await findCommand(argv.slice(1)) : undefined;
    if (argv.length > 1 && !found) throw unknownCommand(argv.slice(1));
    ctx.stdout.write(`${found ? helpOf(found.cmd) : await overview()}\n`);
    return 0;
  }
  const found = await findCommand(argv);
  if (!found) throw unknownCommand(argv);
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    ctx.stdout.write(`${helpOf(found.cmd)}\n`);
    return 0;
  }
  return found.cmd.run(found.rest, ctx);
}

function helpOf(cmd: Command): string {
  return `pgdr ${cmd.name} — ${cmd.summary}\n\n${cmd.usage.trim()}`;
}

function unknownCommand(args: string[]): PgdrError {
  const group = COMMAND_NAMES.filter((n) => n.startsWith(`${args[0]} `));
  return new PgdrError('USAGE', `unknown command: ${args.slice(0, 2).join(' ')}`, {
    hint: group.length ? `did you mean: ${group.map((g) => `pgdr ${g}`).join(', ')}` : 'see: pgdr help',
  });
}

export function reportError(e: unknown, out: Out, env: NodeJS.ProcessEnv): number {
  const err = isPgdrError(e)
    ? e
    : new PgdrError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
  out.stderr.write(`pgdr: error: ${err.message}\n`);
  if (err.hint) out.stderr.write(`hint: ${err.hint}\n`);
  if (env.PGDR_DEBUG) out.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack}\n`);
  return err.exitCode;
}
