// `pgdr k8s manifests monitoring`: `pgdr serve` in the cluster (a Deployment reading the bucket with the
// ObjectStore's Secret, and its Service), a ServiceMonitor so the Prometheus operator scrapes its /metrics, a
// PrometheusRule with the alerts that matter for recoverability, and a Grafana dashboard in a ConfigMap that the
// Grafana sidecar loads. serve is read-only: it lists and reads the bucket, never writes it.
import { stringify } from 'yaml';
import { podConfig } from './drill-cronjob.js';
import { grafanaDashboard } from './grafana-dashboard.js';
import { type K8sObject, MANAGED_BY, type Manifest, type ManifestSource, meta } from './manifest-types.js';
import { PGDR_CONFIG_DIR, PGDR_IMAGE, PGDR_IMAGE_UID, pgdrContainerParts } from './pgdr-image.js';
import { PGDR_ALERTS } from './prometheus-alerts.js';

const PORT = 8080;

export interface MonitoringOptions {
  readonly namespace?: string | undefined;
}

export function monitoringManifests(src: ManifestSource, opts: MonitoringOptions = {}): Manifest[] {
  const k = src.k8s;
  const name = `${k.cluster}-pgdr-serve`;
  const namespace = opts.namespace ?? k.namespace;
  const image = k.drill.image ?? PGDR_IMAGE;
  const selector = { 'app.kubernetes.io/name': 'pgdr-serve', 'app.kubernetes.io/instance': k.cluster };
  const labels = { ...MANAGED_BY, ...selector };
  const withLabels = (extra: Record<string, string> = {}) => ({
    ...meta(name, namespace),
    labels: { ...labels, ...extra },
  });
  const secretEnv = (envName: string, key: string) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: k.credentialsSecret.name, key } },
  });
  const probe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 30, timeoutSeconds: 10 };

  const configMap: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: withLabels(),
    data: { 'pgdr.yaml': stringify(podConfig(src.config)) },
  };
  const parts = pgdrContainerParts(name);
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: withLabels(),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: PGDR_IMAGE_UID, runAsGroup: PGDR_IMAGE_UID },
          containers: [
            {
              name: 'pgdr-serve',
              image,
              command: ['pgdr'],
              // Inside the pod the Service is the only way in; Prometheus and the kubelet come from other hosts.
              args: ['serve', '--host', '0.0.0.0', '--allow-remote', '--port', String(PORT)],
              env: [
                secretEnv('AWS_ACCESS_KEY_ID', k.credentialsSecret.accessKeyIdKey),
                secretEnv('AWS_SECRET_ACCESS_KEY', k.credentialsSecret.secretAccessKeyKey),
                { name: 'PGDR_CONFIG', value: `${PGDR_CONFIG_DIR}/pgdr.yaml` },
              ],
              ports: [{ name: 'http', containerPort: PORT }],
              readinessProbe: probe,
              livenessProbe: { ...probe, failureThreshold: 5 },
              ...parts.container,
            },
          ],
          volumes: parts.volumes,
        },
      },
    },
  };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: withLabels(),
    spec: { selector, ports: [{ name: 'http', port: PORT, targetPort: 'http' }] },
  };
  const serviceMonitor: K8sObject = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: withLabels(),
    spec: {
      selector: { matchLabels: selector },
      endpoints: [{ port: 'http', path: '/metrics', interval: '60s', scrapeTimeout: '30s' }],
    },
  };
  const rule: K8sObject = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: withLabels(),
    spec: { groups: [{ name: 'pgdr', rules: PGDR_ALERTS.map((a) => ({ ...a, labels: { ...a.labels } })) }] },
  };
  const dashboard: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    // The Grafana sidecar (kube-prometheus-stack's default) loads every ConfigMap labelled grafana_dashboard.
    metadata: withLabels({ grafana_dashboard: '1' }),
    data: { 'pgdr.json': `${JSON.stringify(grafanaDashboard(src.config.serverName), null, 2)}\n` },
  };
  const note = `Read-only: lists and reads ${src.config.objectStore.destinationPath} with Secret ${k.credentialsSecret.name}.`;
  return [
    { object: configMap, notes: ['pgdr configuration read by pgdr serve (no secrets).'] },
    {
      object: deployment,
      notes: [
        `pgdr serve: the dashboard, /metrics and /api/status of server ${src.config.serverName}. ${note}`,
        'It has no password: expose it only through the Service (no Ingress without authentication).',
      ],
    },
    { object: service, notes: [`Port ${PORT} (http): the dashboard at /, metrics at /metrics.`] },
    {
      object: serviceMonitor,
      notes: [
        'For the Prometheus operator: its Prometheus must select this ServiceMonitor (labels, namespace).',
      ],
    },
    {
      object: rule,
      notes: [`Alerts: ${PGDR_ALERTS.map((a) => a.alert).join(', ')}.`],
    },
    {
      object: dashboard,
      notes: [
        'Grafana dashboard "pgdr", loaded by the Grafana sidecar from ConfigMaps labelled grafana_dashboard.',
      ],
    },
  ];
}
