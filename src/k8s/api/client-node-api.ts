// KubeApi over @kubernetes/client-node: kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) or the in-cluster
// service account, an optional --context. Loaded only by `pgdr k8s` commands: client-node is large, and
// archive_command start-up must stay small.
import type * as K from '@kubernetes/client-node';
import { PgdrError } from '../../errors.js';
import type { K8sObject } from '../manifest-types.js';
import { type CallOptions, type KubeApi, type ObjectRef, type PortForward, resourceOf } from './kube-api.js';
import { kubeError, unreachable } from './kube-errors.js';
import { openPortForward } from './port-forward.js';

export interface KubeConnectOptions {
  /** A kubeconfig file; default KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** Per request; a hung API server must not hang a runbook. Default 30 s. */
  readonly requestTimeoutMs?: number | undefined;
}

type Any = Record<string, unknown>;

export async function connectKube(o: KubeConnectOptions = {}): Promise<KubeApi> {
  const { k, kc, where } = await loadKubeConfig(o);
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace?.trim() || undefined;
  return new ClientNodeApi(k, kc, where, o.requestTimeoutMs ?? 30_000, namespace);
}

/** The kubeconfig (file, context) as client-node loads it, and where it points, for messages. */
export async function loadKubeConfig(
  o: KubeConnectOptions,
): Promise<{ k: typeof K; kc: K.KubeConfig; where: string }> {
  const k = await import('@kubernetes/client-node');
  const kc = new k.KubeConfig();
  try {
    if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new PgdrError('CONFIG_INVALID', `cannot read the kubeconfig: ${(e as Error).message}`, {
      hint: 'give --kubeconfig FILE, set KUBECONFIG, or run inside the cluster with a service account',
    });
  }
  if (o.context) {
    if (!kc.getContexts().some((c) => c.name === o.context))
      throw new PgdrError('USAGE', `--context ${o.context} is not in the kubeconfig`, {
        hint: `contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      });
    kc.setCurrentContext(o.context);
  }
  const server = kc.getCurrentCluster()?.server ?? 'unknown server';
  const where = `context ${kc.getCurrentContext() || 'in-cluster'} at ${server}`;
  return { k, kc, where };
}

class ClientNodeApi implements KubeApi {
  private readonly custom: K.CustomObjectsApi;
  private readonly core: K.CoreV1Api;

  constructor(
    private readonly k: typeof K,
    private readonly kc: K.KubeConfig,
    readonly where: string,
    private readonly timeoutMs: number,
    readonly namespace: string | undefined,
  ) {
    this.custom = kc.makeApiClient(k.CustomObjectsApi);
    this.core = kc.makeApiClient(k.CoreV1Api);
  }

  /** Per-call options: a timeout (and the caller's signal), and the patch content type when patching. */
  private opts(o: CallOptions | undefined, contentType?: string): K.ConfigurationOptions {
    const signal = o?.signal
      ? AbortSignal.any([o.signal, AbortSignal.timeout(this.timeoutMs)])
      : AbortSignal.timeout(this.timeoutMs);
    // client-node's middleware returns its own Observable stub, which it does not export: borrow the one of
    // its public header middleware, and set the signal on the way.
    const accept = this.k.setHeaderOptions('Accept', 'application/json').middleware?.[0];
    if (!accept) throw new Error('client-node: setHeaderOptions returned no middleware');
    const withSignal = {
      pre: (req: K.RequestContext) => {
        req.setSignal(signal);
        return accept.pre(req);
      },
      post: (res: K.ResponseContext) => accept.post(res),
    };
    const base: K.ConfigurationOptions = { middleware: [withSignal], middlewareMergeStrategy: 'append' };
    return contentType ? this.k.setHeaderOptions('Content-Type', contentType, base) : base;
  }

  private async call<T>(
    verb: string,
    r: ObjectRef,
    sub: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw kubeError(e, { verb, ref: r, subresource: sub, where: this.where }) ?? unreachable(e, this.where);
    }
  }

  private customParams(r: ObjectRef) {
    const info = resourceOf(r.apiVersion, r.kind);
    return {
      info,
      p: { group: info.group, version: info.version, namespace: r.namespace, plural: info.plural },
    };
  }

  async get(r: ObjectRef, o?: CallOptions): Promise<K8sObject | undefined> {
    try {
      return await this.call('get', r, undefined, () => this.rawGet(r, o));
    } catch (e) {
      if (e instanceof PgdrError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  private async rawGet(r: ObjectRef, o?: CallOptions): Promise<K8sObject> {
    const { info, p } = this.customParams(r);
    const c = this.core;
    const opts = this.opts(o);
    if (info.group !== '')
      return (await this.custom.getNamespacedCustomObject({ ...p, name: r.name }, opts)) as K8sObject;
    const q = { name: r.name, namespace: r.namespace };
    switch (r.kind) {
      case 'Secret':
        return plain(await c.readNamespacedSecret(q, opts), r);
      case 'ConfigMap':
        return plain(await c.readNamespacedConfigMap(q, opts), r);
      case 'Service':
        return plain(await c.readNamespacedService(q, opts), r);
      case 'Namespace':
        return plain(await c.readNamespace({ name: r.name }, opts), r);
    }
    throw new Error(`get ${r.kind} is not supported`);
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string,
    o?: CallOptions & { labelSelector?: string },
  ) {
    const r = { apiVersion, kind, namespace, name: '' };
    return this.call('list', r, undefined, async () => {
      const { info, p } = this.customParams(r);
      const opts = this.opts(o);
      const sel = o?.labelSelector ? { labelSelector: o.labelSelector } : {};
      if (info.group !== '') {
        const l = (await this.custom.listNamespacedCustomObject({ ...p, ...sel }, opts)) as {
          items?: K8sObject[];
        };
        return (l.items ?? []).map((i) => ({ ...i, apiVersion, kind }));
      }
      if (kind === 'Service') {
        const l = await this.core.listNamespacedService({ namespace, ...sel }, opts);
        return l.items.map((i) => plain(i, r));
      }
      throw new Error(`list ${kind} is not supported`);
    });
  }

  async create(obj: K8sObject, o?: CallOptions): Promise<K8sObject> {
    const r = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name,
    };
    return this.call('create', r, undefined, async () => {
      const { info, p } = this.customParams(r);
      const opts = this.opts(o);
      if (info.group !== '')
        return (await this.custom.createNamespacedCustomObject({ ...p, body: obj }, opts)) as K8sObject;
      // biome-ignore lint/suspicious/noExplicitAny: the manifest is the body, shaped as the API expects
      const body = obj as any;
      if (r.kind === 'ConfigMap')
        return plain(await this.core.createNamespacedConfigMap({ namespace: r.namespace, body }, opts), r);
      if (r.kind === 'Namespace') return plain(await this.core.createNamespace({ body }, opts), r);
      if (r.kind === 'Secret')
        return plain(await this.core.createNamespacedSecret({ namespace: r.namespace, body }, opts), r);
      throw new Error(`create ${r.kind} is not supported`);
    });
  }

  async mergePatch(r: ObjectRef, patch: Readonly<Any>, o?: CallOptions): Promise<K8sObject> {
    return this.call('patch', r, undefined, async () => {
      const { info, p } = this.customParams(r);
      const opts = this.opts(o, this.k.PatchStrategy.MergePatch);
      if (info.group !== '')
        return (await this.custom.patchNamespacedCustomObject(
          { ...p, name: r.name, body: patch },
          opts,
        )) as K8sObject;
      if (r.kind === 'ConfigMap')
        return plain(
          await this.core.patchNamespacedConfigMap(
            { name: r.name, namespace: r.namespace, body: patch },
            opts,
          ),
          r,
        );
      throw new Error(`patch ${r.kind} is not supported`);
    });
  }

  async delete(r: ObjectRef, o?: CallOptions): Promise<void> {
    try {
      await this.call('delete', r, undefined, async () => {
        const { info, p } = this.customParams(r);
        const opts = this.opts(o);
        if (info.group !== '') await this.custom.deleteNamespacedCustomObject({ ...p, name: r.name }, opts);
        else if (r.kind === 'ConfigMap')
          await this.core.deleteNamespacedConfigMap({ name: r.name, namespace: r.namespace }, opts);
        else if (r.kind === 'Namespace') await this.core.deleteNamespace({ name: r.name }, opts);
        else if (r.kind === 'Secret')
          await this.core.deleteNamespacedSecret({ name: r.name, namespace: r.namespace }, opts);
        else throw new Error(`delete ${r.kind} is not supported`);
      });
    } catch (e) {
      if (!(e instanceof PgdrError && e.code === 'NOT_FOUND')) throw e;
    }
  }

  async getScale(r: ObjectRef, o?: CallOptions): Promise<number> {
    return this.call('get', r, 'scale', async () => {
      const { p } = this.customParams(r);
      const s = (await this.custom.getNamespacedCustomObjectScale({ ...p, name: r.name }, this.opts(o))) as {
        spec?: { replicas?: number };
      };
      return s.spec?.replicas ?? 0;
    });
  }

  async setScale(r: ObjectRef, replicas: number, o?: CallOptions): Promise<void> {
    await this.call('patch', r, 'scale', async () => {
      const { p } = this.customParams(r);
      const opts = this.opts(o, this.k.PatchStrategy.MergePatch);
      await this.custom.patchNamespacedCustomObjectScale(
        { ...p, name: r.name, body: { spec: { replicas } } },
        opts,
      );
    });
  }

  portForward(namespace: string, pod: string, port: number, o?: CallOptions): Promise<PortForward> {
    return openPortForward(
      this.k,
      this.kc,
      { namespace, pod, port, where: this.where, timeoutMs: this.timeoutMs },
      o,
    );
  }
}

/** Typed core models back to the plain object shape the rest of pgdr reads (apiVersion/kind may be absent). */
function plain(v: unknown, r: Pick<ObjectRef, 'apiVersion' | 'kind'>): K8sObject {
  const o = JSON.parse(JSON.stringify(v)) as K8sObject;
  return { ...o, apiVersion: r.apiVersion, kind: r.kind };
}
