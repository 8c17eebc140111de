import { stat } from 'node:fs/promises';

/** Whether something is at `path`; any error (missing, unreadable folder above) counts as not there. */
export function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
