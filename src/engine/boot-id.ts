// The running kernel's boot id: files written without fsync (the restore spool) are trusted only within the
// boot that wrote them, since only a crash of the machine can leave such a file torn under its final name.
import { readFile } from 'node:fs/promises';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** '' where the kernel does not say (then nothing written without fsync is trusted). */
export async function bootId(): Promise<string> {
  return readFile(BOOT_ID_FILE, 'utf8').then(
    (b) => b.trim(),
    () => '',
  );
}
