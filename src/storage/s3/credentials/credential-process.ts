// `credential_process` of a profile: a command (run by /bin/sh, as the SDKs run it through a shell) that prints
// JSON with Version 1, AccessKeyId, SecretAccessKey, and optionally SessionToken and Expiration. Its output is
// never shown: it holds the secret.
import { execFile } from 'node:child_process';
import { type AwsKeys, keysFrom, sourceError } from './keys.js';

const TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 64 * 1024;

export function runCredentialProcess(command: string, source: string): Promise<AwsKeys> {
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout) => {
        if (error) {
          const why = error.killed
            ? `did not finish within ${TIMEOUT_MS / 1000} s`
            : `failed (exit ${String((error as { code?: unknown }).code ?? 'unknown')})`;
          reject(sourceError(source, `credential_process ${why}`, 'run the command by hand as this user'));
          return;
        }
        let doc: unknown;
        try {
          doc = JSON.parse(stdout);
        } catch {
          reject(sourceError(source, 'credential_process printed no JSON'));
          return;
        }
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
          reject(sourceError(source, 'credential_process printed no JSON object'));
          return;
        }
        const fields = doc as Record<string, unknown>;
        if (fields.Version !== 1) {
          reject(
            sourceError(
              source,
              `credential_process printed Version ${String(fields.Version).slice(0, 20)}; only 1 is known`,
            ),
          );
          return;
        }
        try {
          resolve(keysFrom(fields, { token: 'SessionToken' }, source));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}
