// Quoting for /bin/sh, the one helper for every command pgdr builds or prints: PostgreSQL runs
// archive_command and restore_command with sh, and an operator pastes the commands pgdr prints (stop a
// server, next steps) into one. Any path must survive: spaces, quotes, `$`, a leading `~`.

// '=' stays unquoted: `--flag=value` and `NAME=value` read as typed.
const SAFE = /^[A-Za-z0-9_./:@+=,-]+$/;

/** Whether sh reads `s` as the same single word without quotes. */
function shSafe(s: string): boolean {
  return SAFE.test(s);
}

export function shQuote(s: string): string {
  return shSafe(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv as one sh command line. */
export function shCommand(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}

/** argv run as `user` through su (how pgdr runs servers when started as root), or as is without one. */
export function shCommandAs(argv: readonly string[], user: string | null): string {
  const cmd = shCommand(argv);
  return user === null ? cmd : `su ${shQuote(user)} -s /bin/sh -c ${shQuote(cmd)}`;
}
