// A scripted Kubernetes API server on 127.0.0.1 for the `pgdr k8s` runbooks: in-memory objects answered with
// the shapes of the Kubernetes API reference (objects with server-set metadata, *List collections, Status
// objects for errors, autoscaling/v1 Scale for /scale), bearer-token auth, RBAC denials on demand, and a
// scripted "operator" that moves a created Cluster through CloudNativePG's phases (or never makes it ready),
// and pods' port-forward over WebSocket to real servers on loopback (fake-kube-portforward.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  acceptPortForward,
  PORT_FORWARD_PROTOCOL,
  type PodPorts,
  refuseUpgrade,
} from './fake-kube-portforward.js';

type Obj = Record<string, unknown>;

interface Kind {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Field the /scale subresource maps to spec.replicas. */
  readonly scalePath?: 'replicas' | 'instances';
}

const KINDS: readonly Kind[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    scalePath: 'replicas',
  },
  {
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: 'clusters',
    kind: 'Cluster',
    namespaced: true,
    scalePath: 'instances',
  },
  {
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: 'poolers',
    kind: 'Pooler',
    namespaced: true,
    scalePath: 'instances',
  },
  { group: 'postgresql.cnpg.io', version: 'v1', plural: 'backups', kind: 'Backup', namespaced: true },
  {
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: 'scheduledbackups',
    kind: 'ScheduledBackup',
    namespaced: true,
  },
  {
    group: 'barmancloud.cnpg.io',
    version: 'v1',
    plural: 'objectstores',
    kind: 'ObjectStore',
    namespaced: true,
  },
];

const apiVersionOf = (k: Kind) => (k.group ? `${k.group}/${k.version}` : k.version);

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
  readonly status: number;
}

/** What the scripted operator does with a Cluster created through the API. */
export type ClusterScript =
  | {
      readonly mode: 'ready';
      readonly stepMs?: number;
      /**
       * Runs once the Cluster is "Setting up primary", before it is reported healthy: the test's stand-in for
       * the instance recovering (e.g. a real restore, then setPod and the app Secret). A throw leaves the
       * Cluster not ready, its message in operatorErrors.
       */
      readonly prepare?: (cluster: Obj) => Promise<void>;
    }
  | { readonly mode: 'never-ready'; readonly phase?: string; readonly stepMs?: number }
  | { readonly mode: 'none' };

export interface Denial {
  readonly verb: string;
  /** `deployments`, `deployments/scale`, `clusters`. */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface FakeKubeApi {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** A kubeconfig file pointing at this server with token auth (context `fake`). */
  readonly kubeconfig: string;
  put(object: Obj): Obj;
  get(apiVersion: string, kind: string, namespace: string, name: string): Obj | undefined;
  all(kind: string): Obj[];
  remove(apiVersion: string, kind: string, namespace: string, name: string): void;
  /** Answers 403 to matching requests until the returned function is called. */
  deny(d: Denial): () => void;
  /** The pod's container ports as real loopback ports, for its port-forward endpoint. */
  setPod(namespace: string, name: string, ports: PodPorts): void;
  /**
   * A container's log, as `GET pods/NAME/log?container=C` answers it (text/plain; sinceSeconds and tailLines
   * applied). Lines without a time are written now. The Pod itself is put() separately.
   */
  setLog(namespace: string, pod: string, container: string, lines: readonly (string | LogLine)[]): void;
  /** Errors thrown by a ClusterScript's prepare hook. */
  readonly operatorErrors: string[];
  /** Sets an object's status, as a controller would (no generation bump). */
  setStatus(apiVersion: string, kind: string, namespace: string, name: string, status: Obj): void;
  clusterScript: ClusterScript;
  /** What the scripted plugin does with a Backup created through the API (method plugin). */
  backupScript: BackupScript;
  close(): Promise<void>;
}

/**
 * A created Backup goes `running`, then `completed` with status.backupId (barman's id: the one the test's
 * bucket holds) and the serverName of its Cluster's archiver, or `failed` with status.error.
 */
export type BackupScript =
  | { readonly mode: 'completed'; readonly backupId: string; readonly stepMs?: number }
  | { readonly mode: 'failed'; readonly error: string; readonly stepMs?: number }
  | { readonly mode: 'none' };

export interface LogLine {
  readonly at: Date;
  readonly text: string;
}

export async function startFakeKubeApi(o: { clusterScript?: ClusterScript } = {}): Promise<FakeKubeApi> {
  const token = `fake-${randomBytes(12).toString('hex')}`;
  const store = new Map<string, Obj>();
  const requests: RecordedRequest[] = [];
  const denials: Denial[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const pods = new Map<string, PodPorts>();
  const upgraded = new Set<Duplex>();
  const operatorErrors: string[] = [];
  const logs = new Map<string, LogLine[]>();
  let rv = 1000;
  const key = (k: Kind, ns: string, name: string) =>
    `${k.plural}.${k.group}/${k.namespaced ? ns : ''}/${name}`;
  const kindOf = (apiVersion: string, kind: string) => {
    const k = KINDS.find((x) => apiVersionOf(x) === apiVersion && x.kind === kind);
    if (!k) throw new Error(`fake-kube-api: unknown ${apiVersion} ${kind}`);
    return k;
  };
  const stamp = (k: Kind, obj: Obj, ns: string): Obj => {
    const meta = { ...((obj.metadata as Obj | undefined) ?? {}) };
    meta.uid ??= randomUUID();
    meta.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta.resourceVersion = String(++rv);
    meta.generation = ((meta.generation as number | undefined) ?? 0) + 1;
    if (k.namespaced) meta.namespace = ns;
    return { ...obj, apiVersion: apiVersionOf(k), kind: k.kind, metadata: meta };
  };
  const api: FakeKubeApi = {
    url: '',
    token,
    requests,
    kubeconfig: '',
    operatorErrors,
    clusterScript: o.clusterScript ?? { mode: 'ready' },
    backupScript: { mode: 'completed', backupId: '20261205T010000' },
    setPod(namespace, name, ports) {
      pods.set(`${namespace}/${name}`, ports);
    },
    setLog(namespace, pod, container, lines) {
      logs.set(
        `${namespace}/${pod}/${container}`,
        lines.map((l) => (typeof l === 'string' ? { at: new Date(), text: l } : l)),
      );
    },
    put(object) {
      const k = kindOf(String(object.apiVersion), String(object.kind));
      const meta = object.metadata as Obj;
      const ns = String(meta.namespace ?? '');
      if (k.namespaced && !store.has(key(KINDS[0]!, '', ns)))
        store.set(key(KINDS[0]!, '', ns), stamp(KINDS[0]!, { metadata: { name: ns } }, ''));
      const stored = stamp(k, object, ns);
      store.set(key(k, ns, String(meta.name)), stored);
      return stored;
    },
    get(apiVersion, kind, namespace, name) {
      return store.get(key(kindOf(apiVersion, kind), namespace, name));
    },
    remove(apiVersion, kind, namespace, name) {
      store.delete(key(kindOf(apiVersion, kind), namespace, name));
    },
    all(kind) {
      return [...store.values()].filter((v) => v.kind === kind);
    },
    deny(d) {
      denials.push(d);
      return () => {
        denials.splice(denials.indexOf(d), 1);
      };
    },
    setStatus(apiVersion, kind, namespace, name, status) {
      const k = kindOf(apiVersion, kind);
      const o = store.get(key(k, namespace, name));
      if (!o) throw new Error(`fake-kube-api: no ${kind} ${namespace}/${name}`);
      store.set(key(k, namespace, name), {
        ...o,
        metadata: { ...(o.metadata as Obj), resourceVersion: String(++rv) },
        status,
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of upgraded) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      // The kubeconfig holds the server's token.
      if (api.kubeconfig !== '') rmSync(dirname(api.kubeconfig), { recursive: true, force: true });
    },
  };

  const operate = (ns: string, name: string) => {
    const script = api.clusterScript;
    if (script.mode === 'none') return;
    const step = script.stepMs ?? 150;
    const update = (at: number, status: (c: Obj) => Obj) => {
      const t = setTimeout(() => {
        timers.delete(t);
        const k = kindOf('postgresql.cnpg.io/v1', 'Cluster');
        const c = store.get(key(k, ns, name));
        if (!c) return;
        const meta = { ...(c.metadata as Obj), resourceVersion: String(++rv) };
        store.set(key(k, ns, name), { ...c, metadata: meta, status: status(c) });
      }, at);
      timers.add(t);
    };
    const instances = (c: Obj) => Number((c.spec as Obj | undefined)?.instances ?? 1);
    const setting =
      script.mode === 'never-ready' ? (script.phase ?? 'Setting up primary') : 'Setting up primary';
    update(step, (c) => ({
      phase: setting,
      phaseReason: 'Creating primary instance',
      instances: instances(c),
      readyInstances: 0,
      latestGeneratedNode: 1,
      conditions: [cond('Ready', 'False', 'ClusterIsNotReady', 'Cluster Is Not Ready')],
    }));
    if (script.mode === 'never-ready') return;
    const prepare = script.prepare;
    if (!prepare) return update(step * 2, (c) => healthyClusterStatus(name, instances(c)));
    const t = setTimeout(() => {
      timers.delete(t);
      const c = store.get(key(kindOf('postgresql.cnpg.io/v1', 'Cluster'), ns, name));
      if (!c) return;
      prepare(c).then(
        () => update(0, (cur) => healthyClusterStatus(name, instances(cur))),
        (e: Error) => operatorErrors.push(`${ns}/${name}: ${e.message}`),
      );
    }, step * 2);
    timers.add(t);
  };

  const backUp = (ns: string, name: string) => {
    const script = api.backupScript;
    if (script.mode === 'none') return;
    const k = kindOf('postgresql.cnpg.io/v1', 'Backup');
    const at = (ms: number, status: (b: Obj) => Obj) => {
      const t = setTimeout(() => {
        timers.delete(t);
        const b = store.get(key(k, ns, name));
        if (!b) return;
        store.set(key(k, ns, name), {
          ...b,
          metadata: { ...(b.metadata as Obj), resourceVersion: String(++rv) },
          status: status(b),
        });
      }, ms);
      timers.add(t);
    };
    const step = script.stepMs ?? 100;
    at(step, () => ({ phase: 'running', method: 'plugin' }));
    at(step * 2, (b) => {
      const cluster = String(((b.spec as Obj).cluster as Obj | undefined)?.name ?? '');
      const c = store.get(key(kindOf('postgresql.cnpg.io/v1', 'Cluster'), ns, cluster));
      const plugins = (((c?.spec as Obj | undefined)?.plugins as Obj[] | undefined) ?? []).find(
        (p) => p.isWALArchiver === true,
      );
      const serverName = String((plugins?.parameters as Obj | undefined)?.serverName ?? cluster);
      return script.mode === 'completed'
        ? { phase: 'completed', method: 'plugin', backupId: script.backupId, serverName }
        : { phase: 'failed', method: 'plugin', error: script.error };
    });
  };

  // The operator's side of a promotion: a replica Cluster patched to stop following opens the next timeline.
  const promoteIfAsked = (ns: string, name: string, before: Obj, after: Obj) => {
    const was = (before.spec as Obj | undefined)?.replica as Obj | undefined;
    const now = (after.spec as Obj | undefined)?.replica as Obj | undefined;
    const following = (r: Obj | undefined) =>
      r?.enabled === true || (typeof r?.primary === 'string' && r.primary !== name);
    if (!following(was) || following(now) || api.clusterScript.mode === 'none') return;
    // The distributed form promotes only with the token a demoted Cluster published (the operator replays up
    // to the point the token names first); any other token leaves it waiting.
    const token = now?.promotionToken;
    if (
      token !== undefined &&
      !api.all('Cluster').some((c) => ((c.status as Obj | undefined)?.demotionToken ?? null) === token)
    )
      return;
    const stepMs = api.clusterScript.stepMs ?? 150;
    const t = setTimeout(() => {
      timers.delete(t);
      const k = kindOf('postgresql.cnpg.io/v1', 'Cluster');
      const c = store.get(key(k, ns, name));
      if (!c || api.clusterScript.mode === 'never-ready') return;
      const st = (c.status as Obj | undefined) ?? {};
      const tli = Number(st.timelineID ?? 1) + 1;
      const instances = Number((c.spec as Obj | undefined)?.instances ?? 1);
      store.set(key(k, ns, name), {
        ...c,
        metadata: { ...(c.metadata as Obj), resourceVersion: String(++rv) },
        status: healthyClusterStatus(name, instances, tli),
      });
    }, stepMs);
    timers.add(t);
  };

  // The operator's side of a demotion (distributed topology): a primary whose replica.primary now names another
  // Cluster becomes a replica of it and, once its last WAL is archived, publishes status.demotionToken.
  const demoteIfAsked = (ns: string, name: string, before: Obj, after: Obj) => {
    const primaryOf = (o: Obj) => ((o.spec as Obj | undefined)?.replica as Obj | undefined)?.primary;
    const was = primaryOf(before);
    const now = primaryOf(after);
    if (was !== name || typeof now !== 'string' || now === name || api.clusterScript.mode === 'none') return;
    const t = setTimeout(() => {
      timers.delete(t);
      const k = kindOf('postgresql.cnpg.io/v1', 'Cluster');
      const c = store.get(key(k, ns, name));
      if (!c) return;
      const st = (c.status as Obj | undefined) ?? {};
      const tli = Number(st.timelineID ?? 1);
      const demotionToken = Buffer.from(
        JSON.stringify({
          systemID: '7400000000000000001',
          timelineID: String(tli),
          latestCheckpointREDOWAL: name,
        }),
      ).toString('base64');
      store.set(key(k, ns, name), {
        ...c,
        metadata: { ...(c.metadata as Obj), resourceVersion: String(++rv) },
        status: { ...healthyClusterStatus(name, Number((c.spec as Obj).instances ?? 1), tli), demotionToken },
      });
    }, api.clusterScript.stepMs ?? 150);
    timers.add(t);
  };

  // GET pods/NAME/log as the kubelet answers through the API server: text/plain, the container required when
  // the pod has several, 400 for a container the pod does not have.
  const podLog = (
    pod: Obj,
    url: URL,
    send: (status: number, value: unknown, text?: string) => void,
    fail: (code: number, reason: string, message: string) => void,
  ) => {
    const meta = pod.metadata as Obj;
    const spec = (pod.spec as Obj | undefined) ?? {};
    const names = [...((spec.initContainers as Obj[]) ?? []), ...((spec.containers as Obj[]) ?? [])].map(
      (c) => String(c.name),
    );
    const container = url.searchParams.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (!container)
      return fail(
        400,
        'BadRequest',
        `a container name must be specified for pod ${String(meta.name)}, choose one of: [${names.join(' ')}]`,
      );
    if (!names.includes(container))
      return fail(400, 'BadRequest', `container ${container} is not valid for pod ${String(meta.name)}`);
    let lines = logs.get(`${String(meta.namespace)}/${String(meta.name)}/${container}`) ?? [];
    const since = Number(url.searchParams.get('sinceSeconds') ?? 0);
    if (since > 0) lines = lines.filter((l) => l.at.getTime() >= Date.now() - since * 1000);
    const tail = Number(url.searchParams.get('tailLines') ?? 0);
    if (tail > 0) lines = lines.slice(-tail);
    send(200, undefined, lines.map((l) => `${l.text}\n`).join(''));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    const send = (status: number, value: unknown, plain?: string) => {
      requests.push({ method, path: url.pathname + url.search, contentType, body, status });
      res.writeHead(status, { 'content-type': plain === undefined ? 'application/json' : 'text/plain' });
      res.end(plain ?? JSON.stringify(value));
    };
    const fail = (code: number, reason: string, message: string, details: Obj = {}) =>
      send(code, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        details,
        code,
      });

    if (req.headers.authorization !== `Bearer ${token}`) return fail(401, 'Unauthorized', 'Unauthorized');
    const route = parsePath(url.pathname);
    if (!route) return fail(404, 'NotFound', 'the server could not find the requested resource');
    const { k, ns, name, sub } = route;
    const verb =
      method === 'GET'
        ? name
          ? 'get'
          : 'list'
        : method === 'POST'
          ? 'create'
          : method === 'PATCH'
            ? 'patch'
            : method === 'PUT'
              ? 'update'
              : 'delete';
    const resource = `${k.plural}${sub ? `/${sub}` : ''}`;
    const groupRes = `${k.plural}${k.group ? `.${k.group}` : ''}`;
    const denied = denials.find(
      (d) =>
        d.verb === verb &&
        d.resource === resource &&
        (d.namespace === undefined || d.namespace === ns) &&
        (d.name === undefined || d.name === name),
    );
    if (denied)
      return fail(
        403,
        'Forbidden',
        `${groupRes}${name ? ` "${name}"` : ''} is forbidden: User "system:serviceaccount:${ns || 'default'}:pgdr" cannot ${verb} resource "${resource}" in API group "${k.group}"${k.namespaced ? ` in the namespace "${ns}"` : ' at the cluster scope'}`,
        { name, group: k.group, kind: k.plural },
      );
    const notFound = (n: string) =>
      fail(404, 'NotFound', `${groupRes} "${n}" not found`, { name: n, group: k.group, kind: k.plural });
    if (k.namespaced && !store.has(key(KINDS[0]!, '', ns)) && (method === 'POST' || name))
      return fail(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });

    if (!name) {
      if (method === 'GET') {
        const selector = url.searchParams.get('labelSelector');
        // No namespace in the path of a namespaced kind: the list across all namespaces (/api/v1/pods).
        const prefix = k.namespaced && !ns ? `${k.plural}.${k.group}/` : `${k.plural}.${k.group}/${ns}/`;
        const items = [...store.entries()]
          .filter(([kk]) => kk.startsWith(prefix))
          .map(([, v]) => v)
          .filter((v) => matches(v, selector));
        const list = {
          apiVersion: apiVersionOf(k),
          kind: `${k.kind}List`,
          metadata: { resourceVersion: String(rv) },
          items: k.group ? items : items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
        };
        return send(200, list);
      }
      if (method === 'POST') {
        const obj = body as Obj;
        const n = String((obj.metadata as Obj | undefined)?.name ?? '');
        if (!n) return fail(422, 'Invalid', `${k.kind} is invalid: metadata.name: Required value`);
        if (store.has(key(k, ns, n)))
          return fail(409, 'AlreadyExists', `${groupRes} "${n}" already exists`, {
            name: n,
            group: k.group,
            kind: k.plural,
          });
        const { status: _ignored, ...rest } = obj;
        const stored = stamp(k, rest, ns);
        store.set(key(k, ns, n), stored);
        if (k.kind === 'Cluster') operate(ns, n);
        if (k.kind === 'Backup') backUp(ns, n);
        return send(201, stored);
      }
      return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }

    const existing = store.get(key(k, ns, name));
    if (!existing) return notFound(name);
    if (sub === 'log' && k.kind === 'Pod' && method === 'GET') return podLog(existing, url, send, fail);
    if (sub === 'scale') {
      if (!k.scalePath) return notFound(name);
      const spec = (existing.spec as Obj | undefined) ?? {};
      const scale = (replicas: number) => ({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name, namespace: ns, uid: (existing.metadata as Obj).uid, resourceVersion: String(rv) },
        spec: { replicas },
        status: {
          replicas: Number((existing.status as Obj | undefined)?.replicas ?? spec[k.scalePath!] ?? 0),
        },
      });
      if (method === 'GET') return send(200, scale(Number(spec[k.scalePath] ?? 0)));
      if (method !== 'PATCH' && method !== 'PUT')
        return fail(405, 'MethodNotAllowed', 'not allowed on scale');
      const patched =
        method === 'PUT'
          ? (body as Obj)
          : applyPatch(scale(Number(spec[k.scalePath] ?? 0)), body, contentType);
      if ('error' in patched) return fail(422, 'Invalid', String(patched.error));
      const replicas = Number(((patched as Obj).spec as Obj | undefined)?.replicas);
      if (!Number.isInteger(replicas) || replicas < 0)
        return fail(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value`);
      const updated = stamp(k, { ...existing, spec: { ...spec, [k.scalePath]: replicas } }, ns);
      if (k.kind === 'Deployment') updated.status = { ...((existing.status as Obj) ?? {}), replicas };
      store.set(key(k, ns, name), updated);
      return send(200, scale(replicas));
    }
    if (sub) return notFound(name);
    if (method === 'GET') return send(200, existing);
    if (method === 'DELETE') {
      store.delete(key(k, ns, name));
      // Deleting a namespace deletes what is in it (at once here; a real one goes through Terminating).
      if (k.kind === 'Namespace')
        for (const kk of [...store.keys()])
          if (kk.split('/')[1] === name && !kk.startsWith('namespaces.')) store.delete(kk);
      return send(200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: k.group, kind: k.plural, uid: (existing.metadata as Obj).uid },
      });
    }
    if (method === 'PATCH') {
      const patched = applyPatch(existing, body, contentType);
      if ('error' in patched)
        return String(patched.error).startsWith('415')
          ? fail(415, 'UnsupportedMediaType', String(patched.error).slice(5))
          : fail(422, 'Invalid', String(patched.error));
      const newName = ((patched as Obj).metadata as Obj | undefined)?.name;
      if (newName !== name)
        return fail(
          400,
          'BadRequest',
          `the name of the object (${String(newName)}) does not match the name on the URL (${name})`,
        );
      const updated = stamp(k, { ...patched, status: existing.status }, ns);
      store.set(key(k, ns, name), updated);
      if (k.kind === 'Cluster') {
        promoteIfAsked(ns, name, existing, updated);
        demoteIfAsked(ns, name, existing, updated);
      }
      return send(200, updated);
    }
    return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: String(e),
          code: 500,
        }),
      );
    });
  });
  // pods/PORT/portforward: authenticated and authorized like any request (an upgrade is authorized as
  // `create pods/portforward`, as current API servers do), then handed to the kubelet's protocol.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname + url.search;
    const status = (code: number, reason: string, message: string, details: Obj = {}) => {
      requests.push({ method: 'GET', path, contentType: undefined, body: undefined, status: code });
      refuseUpgrade(socket, code, reason, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        details,
        code,
      });
    };
    if (req.headers.authorization !== `Bearer ${token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    if (!m || String(req.headers.upgrade).toLowerCase() !== 'websocket')
      return status(400, 'BadRequest', 'Upgrade request required');
    const [, ns = '', pod = ''] = m;
    const denied = denials.find(
      (d) =>
        d.verb === 'create' &&
        d.resource === 'pods/portforward' &&
        (d.namespace === undefined || d.namespace === ns) &&
        (d.name === undefined || d.name === pod),
    );
    if (denied)
      return status(
        403,
        'Forbidden',
        `pods "${pod}" is forbidden: User "system:serviceaccount:${ns}:pgdr" cannot create resource "pods/portforward" in API group "" in the namespace "${ns}"`,
        { name: pod, kind: 'pods' },
      );
    const ports = pods.get(`${ns}/${pod}`);
    if (!ports) return status(404, 'NotFound', `pods "${pod}" not found`, { name: pod, kind: 'pods' });
    const port = Number(url.searchParams.get('ports'));
    if (!Number.isInteger(port) || port <= 0 || port > 65535)
      return status(400, 'BadRequest', 'query parameter "ports" is required');
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((x) => x.trim());
    if (!offered.includes(PORT_FORWARD_PROTOCOL))
      return status(400, 'BadRequest', `subprotocol ${PORT_FORWARD_PROTOCOL} not offered`);
    requests.push({ method: 'GET', path, contentType: undefined, body: undefined, status: 101 });
    acceptPortForward(req, socket, { pod, port, ports });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'pgdr-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // client-node refuses plain http unless TLS verification is explicitly off (as for `kubectl proxy`).
      `- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: pgdr\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: fake\n  context:\n    cluster: fake\n    user: pgdr',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  Object.assign(api, { url, kubeconfig });
  return api;
}

const cond = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});

/** The status CloudNativePG reports for a healthy Cluster (after a recovery: timeline 2). */
export function healthyClusterStatus(name: string, instances: number, timelineID = 2): Obj {
  return {
    phase: 'Cluster in healthy state',
    instances,
    readyInstances: instances,
    currentPrimary: `${name}-1`,
    targetPrimary: `${name}-1`,
    instanceNames: Array.from({ length: instances }, (_, i) => `${name}-${i + 1}`),
    timelineID,
    writeService: `${name}-rw`,
    readService: `${name}-r`,
    conditions: [
      cond('Ready', 'True', 'ClusterIsReady', 'Cluster is Ready'),
      cond('ContinuousArchiving', 'True', 'ContinuousArchivingSuccess', 'Continuous archiving is working'),
    ],
  };
}

function parsePath(path: string): { k: Kind; ns: string; name: string; sub: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  let group = '';
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === 'api') {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  let ns = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    ns = rest[1] ?? '';
    rest = rest.slice(2);
  }
  const k = KINDS.find((x) => x.group === group && x.version === version && x.plural === rest[0]);
  if (!k) return undefined;
  return { k, ns, name: rest[1] ?? '', sub: rest[2] ?? '' };
}

function matches(o: Obj, selector: string | null): boolean {
  if (!selector) return true;
  const labels = ((o.metadata as Obj).labels as Record<string, string> | undefined) ?? {};
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && labels[k] === v;
  });
}

/** merge-patch+json (RFC 7386; strategic merge treated alike) or json-patch+json (RFC 6902: add/replace/remove). */
function applyPatch(target: Obj, patch: unknown, contentType: string | undefined): Obj | { error: string } {
  const type = (contentType ?? '').split(';')[0]?.trim();
  if (type === 'application/json-patch+json') {
    if (!Array.isArray(patch)) return { error: 'json patch must be an array of operations' };
    const out = structuredClone(target);
    for (const op of patch as { op: string; path: string; value?: unknown }[]) {
      const segs = op.path
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      const last = segs.pop();
      if (last === undefined) return { error: `bad path ${op.path}` };
      let cur: Obj = out;
      for (const s of segs) {
        if (cur[s] === undefined || cur[s] === null || typeof cur[s] !== 'object') {
          if (op.op !== 'add') return { error: `path ${op.path} does not exist` };
          cur[s] = {};
        }
        cur = cur[s] as Obj;
      }
      if (op.op === 'remove') delete cur[last];
      else if (op.op === 'add' || op.op === 'replace') cur[last] = op.value;
      else return { error: `unsupported op ${op.op}` };
    }
    return out;
  }
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json')
    return merge(target, patch) as Obj;
  return { error: `415: unsupported patch content type ${String(contentType)}` };
}

function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}
