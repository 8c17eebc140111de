// A pgdr configuration that PostgreSQL's archive_command/restore_command can read: those run as the postgres
// OS user, so the folder, the config and the credential files must be world-readable (test secrets only).
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Endpoint } from './barman.js';
import type { S3rverHandle } from './s3rver.js';

export interface ServerConfigDir {
  readonly dir: string;
  /** Writes `name` into the folder with the S3 lines filled in, and returns its path. */
  write(
    name: string,
    o: { serverName: string; objectStoreExtra?: readonly string[]; extra?: readonly string[] },
  ): Promise<string>;
}

/**
 * objectStore's lines (indented under it) for `destination` at `endpoint` (s3rver's, or a proxy's in front of
 * it), the keys read from files this writes into dir.
 */
export async function s3StoreLines(
  s3: S3Endpoint,
  destination: string,
  dir: string,
  endpoint = s3.endpoint,
): Promise<string[]> {
  await writeFile(join(dir, 'key-id'), s3.accessKeyId, { mode: 0o644 });
  await writeFile(join(dir, 'secret'), s3.secretAccessKey, { mode: 0o644 });
  return [
    `  destinationPath: ${destination}`,
    `  endpointURL: ${endpoint}`,
    '  s3Credentials:',
    `    accessKeyId: {file: ${join(dir, 'key-id')}}`,
    `    secretAccessKey: {file: ${join(dir, 'secret')}}`,
  ];
}

export async function serverConfigDir(s3: S3rverHandle, destination: string): Promise<ServerConfigDir> {
  const dir = await mkdtemp(join(tmpdir(), 'pgdr-cfg-'));
  await chmod(dir, 0o755);
  const storeLines = await s3StoreLines(s3, destination, dir);
  return {
    dir,
    async write(name, o) {
      const lines = [
        `serverName: ${o.serverName}`,
        ...(o.extra ?? []),
        'objectStore:',
        ...storeLines,
        ...(o.objectStoreExtra ?? []).map((l) => `  ${l}`),
      ];
      const file = join(dir, name);
      await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o644 });
      return file;
    },
  };
}
