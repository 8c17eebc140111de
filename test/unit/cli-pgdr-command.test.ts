// The command PostgreSQL runs for pgdr (restore_command, archive_command) is the package's executable, with the
// node running now named for it: the sh fast paths answer prefetched segments and upload markers.
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { describe, it } from 'node:test';
import { pgdrCommand } from '../../src/cli/pgdr-command.js';

describe('pgdrCommand', () => {
  it('is bin/pgdr with PGDR_NODE set to this node', () => {
    const [env, exe, ...rest] = pgdrCommand();
    assert.equal(env, `PGDR_NODE=${process.execPath}`);
    assert.match(exe!, /\/bin\/pgdr$/);
    assert.doesNotThrow(() => accessSync(exe!, constants.X_OK));
    assert.deepEqual(rest, []);
  });
});
