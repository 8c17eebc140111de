// This installation's `pgdr` executable (package.json bin): bin/pgdr, beside dist/; and the node entry point
// it starts, for code that spawns pgdr with node directly (the demo) rather than importing the CLI.
import { fileURLToPath } from 'node:url';

export const PGDR_EXECUTABLE = fileURLToPath(new URL('../../bin/pgdr', import.meta.url));

export const PGDR_NODE_ENTRY = fileURLToPath(new URL('./cli/bin.js', import.meta.url));
