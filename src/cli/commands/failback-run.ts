import { PgdrError } from '../../errors.js';
import type { Command } from '../main.js';

export const failbackRunCommand: Command = {
  name: 'failback run',
  summary: 'execute a failback option (not available yet: follow pgdr failback plan step by step)',
  usage: `Usage: pgdr failback run --option keep|original

Not available yet: run the steps pgdr failback plan prints, in order. Each is a pgdr command that makes its
own checks (empty archive, backup DONE, timeline) and refuses what would break the archive.`,
  async run() {
    throw new PgdrError('USAGE', 'failback run: not available yet; nothing was changed', {
      hint: 'run the steps of: pgdr failback plan --option keep|original',
    });
  },
};
