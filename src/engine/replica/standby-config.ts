// Turns the recovery configuration restore() wrote into a hot standby's: standby.signal instead of
// recovery.signal (PostgreSQL would end recovery at the end of the archive and promote), plus the standby
// settings. They go to postgresql.auto.conf rather than the command line so that a restart by the operator
// (the printed pg_ctl command) keeps them, and so that promote can change archive_command with ALTER SYSTEM:
// command-line settings would win over it.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { confLine } from '../restore/target.js';

export interface StandbySettingsOptions {
  readonly dir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly primaryConninfo?: string | undefined;
  /** recovery_min_apply_delay, e.g. '5min'. */
  readonly minApplyDelay?: string | undefined;
}

function standbySettings(o: StandbySettingsOptions): Array<[string, string]> {
  const s: Array<[string, string]> = [
    ['hot_standby', 'on'],
    ['listen_addresses', '127.0.0.1'],
    ['port', String(o.port)],
    ['unix_socket_directories', o.socketDir],
    // On, so that promote needs only a reload to start archiving; 'false' keeps every .ready file (the
    // new timeline's history included) until promote points archive_command at the new serverName.
    ['archive_mode', 'on'],
    ['archive_command', 'false'],
  ];
  if (o.primaryConninfo !== undefined) s.push(['primary_conninfo', o.primaryConninfo]);
  if (o.minApplyDelay !== undefined) s.push(['recovery_min_apply_delay', o.minApplyDelay]);
  return s;
}

export async function writeStandbyConfig(o: StandbySettingsOptions & { comment: string }): Promise<void> {
  const lines = ['', `# ${o.comment}`, ...standbySettings(o).map(([k, v]) => confLine(k, v)), ''];
  await fsp.appendFile(join(o.dir, 'postgresql.auto.conf'), lines.join('\n'), { mode: 0o600 });
  await fsp.rm(join(o.dir, 'recovery.signal'), { force: true });
  await fsp.writeFile(join(o.dir, 'standby.signal'), '', { mode: 0o600 });
}
