// Flags shared by `retention apply` and `backup delete`.
import { PgdrError } from '../../errors.js';
import { type FlagSpec, type Parsed, str } from '../args.js';

export const DELETE_FLAGS: FlagSpec = {
  'dry-run': { type: 'boolean' },
  'minimum-redundancy': { type: 'string', short: 'm' },
};

export const DELETE_USAGE = `  --dry-run                  print every object that would be deleted (with sizes); delete nothing
  -m, --minimum-redundancy N keep at least N DONE backups whatever the policy says (default 0, as
                             barman-cloud-backup-delete; the last DONE backup is never deleted)`;

export function minimumRedundancy(p: Parsed, command: string): number {
  const v = str(p, 'minimum-redundancy');
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v)) {
    throw new PgdrError('USAGE', `${command}: --minimum-redundancy must be a whole number (got '${v}')`, {
      hint: `see: pgdr ${command} --help`,
    });
  }
  return Number(v);
}
