// This installation's `pgdr` executable (package.json bin): bin/pgdr, beside dist/.
import { fileURLToPath } from 'node:url';

export const PGDR_EXECUTABLE = fileURLToPath(new URL('../../bin/pgdr', import.meta.url));
