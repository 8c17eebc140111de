import { resolve } from 'node:path';
import { failbackKeep } from '../../engine/replica/failback-keep.js';
import { knownReplicas } from '../../engine/replica/registry.js';
import { assertDataDir, type ReplicaState, readReplicaState } from '../../engine/replica/replica-state.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';

const NAME = 'failback run';

export const failbackRunCommand: Command = {
  name: NAME,
  summary: 'execute failback option keep (option original: not available yet, follow pgdr failback plan)',
  usage: `Usage: pgdr failback run --option keep|original [--replica DIR] [--write-config FILE] [--format table|json]

--option keep: checks the promoted standby is a primary archiving under its new serverName (history file in
the archive), writes its own configuration (default ./pgdr-<newServerName>.yaml) and takes its first base
backup; then prints the agent command that schedules backups.
--option original: not available yet; run the steps of pgdr failback plan in order.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(
      argv,
      {
        ...STORE_FLAGS,
        ...FORMAT_FLAG,
        option: { type: 'string' },
        replica: { type: 'string' },
        'write-config': { type: 'string' },
      },
      NAME,
    );
    positionals(p, NAME, 0, 0, '');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const option = str(p, 'option');
    if (option !== 'keep' && option !== 'original')
      throw new PgdrError('USAGE', `${NAME}: --option keep|original is required`);
    if (option === 'original') {
      throw new PgdrError('USAGE', `${NAME}: --option original is not available yet; nothing was changed`, {
        hint: 'run the steps of: pgdr failback plan (option original), in order',
      });
    }
    const config = configFrom(p, ctx);
    const dir = str(p, 'replica');
    let recovered: ReplicaState | undefined;
    if (dir !== undefined) {
      await assertDataDir(resolve(ctx.cwd, dir));
      recovered = await readReplicaState(resolve(ctx.cwd, dir));
    } else
      recovered = (await knownReplicas(ctx.env, config.serverName)).find((r) => r.promoted !== undefined);
    if (recovered === undefined) {
      throw new PgdrError('NOT_FOUND', `no promoted standby of ${config.serverName} is known on this host`, {
        hint: 'pass --replica DIR',
      });
    }
    const newName = recovered.promoted?.serverName ?? `${config.serverName}-new`;
    const configFile = resolve(ctx.cwd, str(p, 'write-config') ?? `pgdr-${newName}.yaml`);
    const r = await withStore(config, (store) =>
      failbackKeep({
        recovered: recovered!,
        store,
        data: config.objectStore.data,
        schedule: config.agent?.schedule,
        configFile,
        signal: ctx.signal,
      }),
    );
    if (format === 'json') json(ctx, r);
    else
      line(
        ctx,
        [
          `kept the recovered cluster as ${r.serverName}: configuration ${r.configFile}, first backup ${r.backupId}`,
          'next:',
          ...r.next.map((n) => `  ${n}`),
        ].join('\n'),
      );
    return 0;
  },
};
