// Hand-written OpenAPI shapes of the core Kubernetes kinds pgdr emits (from the Kubernetes API reference,
// v1.30), narrowed to the fields pgdr writes: a field pgdr starts emitting must be added here first, so a typo
// can never slip through as "some core field we did not model".
import type { Schema } from './openapi-schema.js';

const str: Schema = { type: 'string' };
const int32: Schema = { type: 'integer', format: 'int32' };
const bool: Schema = { type: 'boolean' };
const strMap: Schema = { type: 'object', additionalProperties: str };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const list = (items: Schema, keys?: string[]): Schema => ({
  type: 'array',
  items,
  ...(keys ? { 'x-kubernetes-list-type': 'map' as const, 'x-kubernetes-list-map-keys': keys } : {}),
});

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** metadata of every object (ObjectMeta), also used for custom resources: CRDs only say `type: object`. */
export const OBJECT_META: Schema = obj({
  name: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
  namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
  labels: strMap,
  annotations: strMap,
});

const keyRef = obj({ name: str, key: str, optional: bool }, ['key']);
const envVar = obj(
  { name: str, value: str, valueFrom: obj({ secretKeyRef: keyRef, configMapKeyRef: keyRef }) },
  ['name'],
);
const intOrString: Schema = { 'x-kubernetes-int-or-string': true };
const probe = obj({
  httpGet: obj({ path: str, port: intOrString, scheme: { type: 'string', enum: ['HTTP', 'HTTPS'] } }, [
    'port',
  ]),
  periodSeconds: int32,
  timeoutSeconds: int32,
  failureThreshold: int32,
  initialDelaySeconds: int32,
});
const selector = obj({ matchLabels: strMap });
const container = obj(
  {
    name: str,
    image: str,
    imagePullPolicy: { type: 'string', enum: ['Always', 'Never', 'IfNotPresent'] },
    command: list(str),
    args: list(str),
    env: list(envVar, ['name']),
    volumeMounts: list(
      obj({ name: str, mountPath: str, readOnly: bool, subPath: str }, ['name', 'mountPath']),
      ['mountPath'],
    ),
    resources: obj({ requests: strMap, limits: strMap }),
    ports: list(
      obj(
        {
          name: { type: 'string', maxLength: 15 },
          containerPort: { ...int32, minimum: 1, maximum: 65535 },
          protocol: { type: 'string', enum: ['TCP', 'UDP', 'SCTP'] },
        },
        ['containerPort'],
      ),
      ['containerPort', 'protocol'],
    ),
    readinessProbe: probe,
    livenessProbe: probe,
  },
  ['name'],
);
const volume = obj(
  {
    name: str,
    configMap: obj({ name: str, defaultMode: int32, optional: bool }),
    secret: obj({ secretName: str, defaultMode: int32, optional: bool }),
    emptyDir: obj({ medium: str, sizeLimit: { type: 'string', 'x-kubernetes-int-or-string': true } }),
  },
  ['name'],
);
const podSpec = obj(
  {
    restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never'] },
    serviceAccountName: str,
    securityContext: obj({
      runAsNonRoot: bool,
      runAsUser: { type: 'integer', format: 'int64' },
      runAsGroup: { type: 'integer', format: 'int64' },
      fsGroup: { type: 'integer', format: 'int64' },
    }),
    containers: list(container, ['name']),
    volumes: list(volume, ['name']),
  },
  ['containers'],
);
const template = obj({ metadata: OBJECT_META, spec: podSpec });
const jobSpec = obj(
  {
    backoffLimit: int32,
    activeDeadlineSeconds: { type: 'integer', format: 'int64', minimum: 1 },
    ttlSecondsAfterFinished: int32,
    template,
  },
  ['template'],
);

const root = (apiVersion: string, kind: string, rest: Record<string, Schema>, required: string[]): Schema =>
  obj(
    {
      apiVersion: { type: 'string', enum: [apiVersion] },
      kind: { type: 'string', enum: [kind] },
      metadata: OBJECT_META,
      ...rest,
    },
    required,
  );

export interface KindSchema {
  readonly apiVersion: string;
  readonly kind: string;
  readonly schema: Schema;
}

const policyRule = obj(
  { apiGroups: list(str), resources: list(str), verbs: list(str), resourceNames: list(str) },
  ['verbs'],
);
const subject = obj(
  { kind: { type: 'string', enum: ['ServiceAccount', 'User', 'Group'] }, name: str, namespace: str },
  ['kind', 'name'],
);
const roleRef = obj({ apiGroup: str, kind: { type: 'string', enum: ['Role', 'ClusterRole'] }, name: str }, [
  'apiGroup',
  'kind',
  'name',
]);
const RBAC = 'rbac.authorization.k8s.io/v1';
const rbacKinds: KindSchema[] = [
  { apiVersion: RBAC, kind: 'Role', schema: root(RBAC, 'Role', { rules: list(policyRule) }, []) },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    schema: root(RBAC, 'ClusterRole', { rules: list(policyRule) }, []),
  },
  ...(['RoleBinding', 'ClusterRoleBinding'] as const).map((kind) => ({
    apiVersion: RBAC,
    kind,
    schema: root(RBAC, kind, { subjects: list(subject), roleRef }, ['roleRef']),
  })),
];

export const CORE_SCHEMAS: readonly KindSchema[] = [
  ...rbacKinds,
  { apiVersion: 'v1', kind: 'ServiceAccount', schema: root('v1', 'ServiceAccount', {}, []) },
  { apiVersion: 'v1', kind: 'Namespace', schema: root('v1', 'Namespace', {}, []) },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    schema: root(
      'apps/v1',
      'Deployment',
      { spec: obj({ replicas: int32, selector, template }, ['selector', 'template']) },
      ['spec'],
    ),
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    schema: root(
      'v1',
      'Service',
      {
        spec: obj({
          type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
          selector: strMap,
          ports: list(
            obj(
              {
                name: str,
                port: { ...int32, minimum: 1, maximum: 65535 },
                targetPort: intOrString,
                protocol: { type: 'string', enum: ['TCP', 'UDP', 'SCTP'] },
              },
              ['port'],
            ),
            ['port', 'protocol'],
          ),
        }),
      },
      ['spec'],
    ),
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    schema: root('v1', 'ConfigMap', { data: strMap, immutable: bool }, []),
  },
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    schema: root(
      'batch/v1',
      'CronJob',
      {
        spec: obj(
          {
            schedule: { type: 'string', minLength: 1 },
            timeZone: str,
            concurrencyPolicy: { type: 'string', enum: ['Allow', 'Forbid', 'Replace'] },
            suspend: bool,
            startingDeadlineSeconds: { type: 'integer', format: 'int64' },
            successfulJobsHistoryLimit: int32,
            failedJobsHistoryLimit: int32,
            jobTemplate: obj({ metadata: OBJECT_META, spec: jobSpec }),
          },
          ['schedule', 'jobTemplate'],
        ),
      },
      ['spec'],
    ),
  },
];
