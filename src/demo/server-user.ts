// The demo promises to run with nothing but Node installed. As root, PostgreSQL needs an unprivileged OS user;
// on a fresh machine there may be none, so the demo (and only the demo: the real commands never create users)
// makes the system user `scripts/setup.sh` would have made, and says so.
import { spawn } from 'node:child_process';
import { PgdrError } from '../errors.js';
import { resolveServerUser, type ServerUser } from '../postgres/os-user.js';

const SERVER_USER = 'postgres';

async function userExists(name: string): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  return passwd.split('\n').some((l) => l.split(':')[0] === name);
}

export async function demoServerUser(
  say: (text: string) => void,
  name = SERVER_USER,
): Promise<ServerUser | null> {
  if (process.getuid?.() !== 0 || (await userExists(name))) return resolveServerUser({ name });
  say(`running as root and PostgreSQL refuses root: creating the system user '${name}' to run it`);
  const args = ['--system', '--home-dir', '/var/lib/postgresql', '--shell', '/bin/bash', name];
  const child = spawn('useradd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new PgdrError(
      'POSTGRES_ERROR',
      `could not create the OS user '${name}': ${stderr.trim() || 'useradd failed'}`,
      {
        hint: `create it yourself (useradd --system ${name}) or run the demo as an unprivileged user`,
      },
    );
  }
  return resolveServerUser({ name });
}
