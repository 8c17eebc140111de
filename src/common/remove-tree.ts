// A data directory's WAL service can still be finishing a step (a last link, the spool it empties) for a moment
// after its server stopped; a removal that meets a folder filled behind its back tries again instead of failing.
import { rm } from 'node:fs/promises';

export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
