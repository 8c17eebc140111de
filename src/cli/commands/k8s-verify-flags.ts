// The verification flags of the runbooks that bring up a Cluster (k8s pitr, latest, drill): the user's own
// connection, or the database reached through a port-forward, and the checks to run there.
import { type FlagSpec, flag, type Parsed, str } from '../args.js';
import { DATA_CHECK_FLAGS, dataChecksFromFlags } from '../data-check-flags.js';

export const VERIFY_FLAGS: FlagSpec = {
  connection: { type: 'string' },
  database: { type: 'string' },
  ...DATA_CHECK_FLAGS,
  'no-amcheck': { type: 'boolean' },
};

export const VERIFY_USAGE = `  --connection URL           postgresql://… reaching the new Cluster (e.g. kubectl port-forward): checks run
                             there. Without it pgdr opens a port-forward to the primary's 5432 itself and
                             logs in as the user of the Secret CloudNativePG keeps (<name>-superuser with
                             enableSuperuserAccess, else <name>-app); the password is never printed
  --database NAME            through the port-forward: the database to check (default: the Secret's dbname)
  --preset mastodon, --checks FILE, --no-amcheck   as for pgdr verify`;

/** VERIFY_FLAGS, as the runbooks' verification step takes them. */
export function verifyFromFlags(p: Parsed, cwd: string, command: string) {
  return {
    connection: str(p, 'connection'),
    database: str(p, 'database'),
    dataChecks: dataChecksFromFlags(p, cwd, command),
    amcheck: !flag(p, 'no-amcheck'),
  };
}
