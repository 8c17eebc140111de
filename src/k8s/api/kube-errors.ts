// Kubernetes API failures as pgdr errors. A 403 names the verb, the resource and the namespace, and the RBAC
// rule that would allow it: that is what the person fixing the Role needs, not a raw Status body.
import { PgdrError } from '../../errors.js';
import { describeRef, type ObjectRef, rbacResource, resourceOf } from './kube-api.js';

export interface FailedCall {
  readonly verb: string;
  readonly ref: ObjectRef;
  readonly subresource?: string | undefined;
  readonly where: string;
}

interface StatusBody {
  readonly message?: string;
  readonly reason?: string;
}

function statusOf(e: unknown): { code: number; body: StatusBody } | undefined {
  if (e === null || typeof e !== 'object' || typeof (e as { code?: unknown }).code !== 'number')
    return undefined;
  const raw = (e as { body?: unknown }).body;
  let body: StatusBody = {};
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw) as StatusBody;
    } catch {
      body = { message: raw.slice(0, 200) };
    }
  } else if (raw && typeof raw === 'object') body = raw as StatusBody;
  return { code: (e as { code: number }).code, body };
}

/** The PgdrError for an API answer, or undefined when there was no answer (network, timeout). */
export function kubeError(e: unknown, c: FailedCall): PgdrError | undefined {
  const s = statusOf(e);
  if (!s) return undefined;
  const what = c.ref.name ? describeRef(c.ref) : `${c.ref.kind} in ${c.ref.namespace}`;
  const resource = rbacResource(c.ref, c.subresource);
  const message = s.body.message ?? `HTTP ${s.code}`;
  switch (s.code) {
    case 404:
      return new PgdrError('NOT_FOUND', `${what} does not exist`, { details: { status: 404 } });
    case 401:
    case 403: {
      const group = resourceOf(c.ref.apiVersion, c.ref.kind).group;
      const scope = c.ref.namespace ? `in namespace ${c.ref.namespace}` : 'cluster-wide';
      return new PgdrError(
        'K8S_FORBIDDEN',
        s.code === 401
          ? `the Kubernetes API (${c.where}) rejected the credentials while trying to ${c.verb} ${resource}`
          : `forbidden: cannot ${c.verb} ${resource} ${scope} (${message})`,
        {
          hint:
            s.code === 401
              ? 'the kubeconfig token or certificate is invalid or expired: refresh it (or pick another --context)'
              : `the identity needs an RBAC rule ${c.ref.namespace ? `in a Role of namespace ${c.ref.namespace}` : 'in a ClusterRole'}: ` +
                `{apiGroups: ["${group}"], resources: ["${c.subresource ? `${resourceOf(c.ref.apiVersion, c.ref.kind).plural}/${c.subresource}` : resourceOf(c.ref.apiVersion, c.ref.kind).plural}"], verbs: ["${c.verb}"]}`,
          details: { status: s.code, verb: c.verb, resource, namespace: c.ref.namespace },
        },
      );
    }
    case 409:
      return new PgdrError('CONFLICT', `${what}: ${message}`, {
        hint: 'it already exists (or changed meanwhile): look at it with kubectl get -o yaml before retrying',
        details: { status: 409 },
      });
    default:
      return new PgdrError('K8S_API', `${c.verb} ${what} failed: HTTP ${s.code} ${message}`, {
        hint:
          s.code === 422
            ? 'the API server refused the object as invalid'
            : `the Kubernetes API is ${c.where}`,
        details: { status: s.code },
      });
  }
}

export function unreachable(e: unknown, where: string): PgdrError {
  const err = e as { name?: string; message?: string; code?: string };
  const timeout = err.name === 'AbortError' || err.name === 'TimeoutError';
  return new PgdrError(
    'K8S_API',
    timeout
      ? `the Kubernetes API (${where}) did not answer in time`
      : `cannot reach the Kubernetes API (${where}): ${err.code ?? ''} ${err.message ?? String(e)}`.replace(
          /\s+/g,
          ' ',
        ),
    {
      hint: 'check the kubeconfig (--kubeconfig, --context) and that the API server is reachable from here',
      cause: e,
    },
  );
}
