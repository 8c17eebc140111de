// The login pgdr's verify checks use on a recovered Cluster: the basic-auth Secret CloudNativePG keeps for it.
// With enableSuperuserAccess, `<cluster>-superuser` (or spec.superuserSecret), the `postgres` user: it reads
// every table and can run amcheck; otherwise the application owner's `<cluster>-app` (or the bootstrap's own
// secret). Keys `username`, `password`, `dbname` (`*` in the superuser's). The password is only ever put in
// the connection handed to PostgreSQL, never in a message.
import { PgdrError } from '../../errors.js';
import { type KubeApi, ref } from '../api/kube-api.js';
import type { K8sObject } from '../manifest-types.js';
import { obj, strOf } from '../object-fields.js';

const nameOf = (v: unknown): string | undefined => strOf(obj(v).name);

export interface DbCredentials {
  /** The Secret they came from, for messages. */
  readonly secret: string;
  readonly superuser: boolean;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export function credentialsSecret(cluster: K8sObject): { name: string; superuser: boolean } {
  const spec = obj(cluster.spec);
  const name = cluster.metadata.name;
  if (spec.enableSuperuserAccess === true)
    return { name: nameOf(spec.superuserSecret) ?? `${name}-superuser`, superuser: true };
  const bootstrap = obj(spec.bootstrap);
  const own = nameOf(obj(bootstrap.initdb).secret) ?? nameOf(obj(bootstrap.recovery).secret);
  return { name: own ?? `${name}-app`, superuser: false };
}

export async function readDbCredentials(
  api: KubeApi,
  cluster: K8sObject,
  signal?: AbortSignal,
): Promise<DbCredentials> {
  const namespace = cluster.metadata.namespace ?? '';
  const which = credentialsSecret(cluster);
  const role = which.superuser ? 'superuser' : 'application';
  const secret = await api.get(ref('v1', 'Secret', namespace, which.name), { signal });
  if (!secret)
    throw new PgdrError(
      'NOT_FOUND',
      `Secret ${namespace}/${which.name} (the ${role} credentials CloudNativePG creates for ${cluster.metadata.name}) does not exist`,
      {
        hint: which.superuser
          ? 'the operator creates it while enableSuperuserAccess is true: kubectl get secrets -n ' + namespace
          : `the operator creates it unless the bootstrap names its own secret: kubectl get secrets -n ${namespace}`,
      },
    );
  const data = obj(secret.data);
  const field = (key: string): string | undefined => {
    const v = data[key];
    return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  };
  const user = field('username');
  const password = field('password');
  if (!user || password === undefined)
    throw new PgdrError(
      'CONFIG_INVALID',
      `Secret ${namespace}/${which.name} has no ${user ? 'password' : 'username'} key`,
      { hint: 'a CloudNativePG basic-auth secret holds username and password' },
    );
  const dbname = field('dbname');
  const database = dbname && dbname !== '*' ? dbname : which.superuser ? 'postgres' : 'app';
  return { secret: which.name, superuser: which.superuser, user, password, database };
}

/** The URI verify connects with; only PostgreSQL ever sees it whole. */
export function forwardedConnection(
  c: DbCredentials,
  host: string,
  port: number,
  database = c.database,
): string {
  const e = encodeURIComponent;
  return `postgresql://${e(c.user)}:${e(c.password)}@${host}:${port}/${e(database)}`;
}
