// What the in-cluster drill (`pgdr k8s drill` in the drill CronJob) may do, and nothing more: each rule is an API
// call the drill makes (test/integration/k8s-runbook.test.ts compares these rules with the calls the drill made
// against the scripted API server, both ways). The scratch namespace is created by these manifests, so the
// drill only reads it; everything it creates there it deletes.
import {
  BARMAN_API,
  CNPG_API,
  type K8sObject,
  type Manifest,
  type ManifestSource,
  meta,
} from './manifest-types.js';

interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

const CNPG = CNPG_API.split('/')[0]!;
const BARMAN = BARMAN_API.split('/')[0]!;

/** The rules of the drill in the source namespace, in its scratch namespace, and cluster-wide. */
function drillRules(src: ManifestSource, scratch: string) {
  const k = src.k8s;
  const source: PolicyRule[] = [
    // Pre-checks: the source Cluster, its ObjectStore and the Secret with the bucket credentials.
    { apiGroups: [CNPG], resources: ['clusters'], verbs: ['get'], resourceNames: [k.cluster] },
    { apiGroups: [BARMAN], resources: ['objectstores'], verbs: ['get'], resourceNames: [k.objectStore] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [k.credentialsSecret.name] },
  ];
  const inScratch: PolicyRule[] = [
    // The throw-away Cluster, with copies of the ObjectStore and its Secret; deleted at the end.
    { apiGroups: [CNPG], resources: ['clusters'], verbs: ['get', 'create', 'delete'] },
    { apiGroups: [BARMAN], resources: ['objectstores'], verbs: ['get', 'create', 'delete'] },
    // The copied credentials, and the recovered Cluster's own -app/-superuser Secret for the checks.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] },
    // The checks reach the recovered primary through a port-forward (a WebSocket upgrade that API servers
    // authorize as create, or as get).
    { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create', 'get'] },
  ];
  const cluster: PolicyRule[] = [
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: [scratch] },
  ];
  return { source, scratch: inScratch, cluster };
}

export function drillRbacManifests(o: {
  name: string;
  namespace: string;
  scratch: string;
  src: ManifestSource;
}): Manifest[] {
  const { name, namespace, scratch } = o;
  const rules = drillRules(o.src, scratch);
  const subject = [{ kind: 'ServiceAccount', name, namespace }];
  const roleRef = (kind: 'Role' | 'ClusterRole', refName: string) => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind,
    name: refName,
  });
  const rbac = 'rbac.authorization.k8s.io/v1';
  const clusterName = `pgdr-drill-${scratch}`.slice(0, 253);
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, namespace) },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: scratch, labels: meta(scratch, '').labels } },
    { apiVersion: rbac, kind: 'Role', metadata: meta(name, namespace), rules: rules.source },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: meta(name, namespace),
      subjects: subject,
      roleRef: roleRef('Role', name),
    },
    { apiVersion: rbac, kind: 'Role', metadata: meta(name, scratch), rules: rules.scratch },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: meta(name, scratch),
      subjects: subject,
      roleRef: roleRef('Role', name),
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: clusterName, labels: meta(name, '').labels },
      rules: rules.cluster,
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterName, labels: meta(name, '').labels },
      subjects: subject,
      roleRef: roleRef('ClusterRole', clusterName),
    },
  ];
  const notes: Record<string, string> = {
    ServiceAccount: 'The identity the drill runs as.',
    Namespace: `Scratch namespace of the drill: its Clusters live and die here, never in ${namespace}.`,
    Role: 'Exactly the calls the drill makes here (pgdr k8s drill).',
    RoleBinding: 'Grants the Role to the drill ServiceAccount.',
    ClusterRole: `Reads Namespace ${scratch} only (the drill checks it exists).`,
    ClusterRoleBinding: 'Grants the ClusterRole to the drill ServiceAccount.',
  };
  return objects.map((object) => ({ object, notes: [notes[object.kind] ?? ''] }));
}
