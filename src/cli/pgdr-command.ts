// The command line PostgreSQL runs for pgdr (restore_command, archive_command): the package's bin/pgdr, which
// answers prefetch-spool and upload-marker hits in sh (~5 ms) and starts node only for the rest, as it does for
// a user's `archive_command = 'pgdr wal archive %p'`. PGDR_NODE names the node running now: the server user's
// PATH may have none. The prefix is for /bin/sh command strings only (an environment assignment first).
import { fileURLToPath } from 'node:url';
import { shSafe } from '../shell-quote.js';

export function pgdrCommand(): string[] {
  const exe = fileURLToPath(new URL('../../../bin/pgdr', import.meta.url));
  // A path sh would need quoted cannot sit in an unquoted assignment: run the CLI through node directly.
  if (!shSafe(process.execPath))
    return [process.execPath, fileURLToPath(new URL('./bin.js', import.meta.url))];
  return [`PGDR_NODE=${process.execPath}`, exe];
}
