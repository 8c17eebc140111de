import { resolve } from 'node:path';
import { checkServerNameFlag } from '../../config/server-name.js';
import { PgdrError } from '../../errors.js';
import { clusterAdmissionProblems } from '../../k8s/cluster-admission.js';
import { buildManifests, MANIFEST_KINDS, type ManifestKind, manifestSource } from '../../k8s/manifests.js';
import { renderManifests } from '../../k8s/render.js';
import {
  type FlagSpec,
  FORMAT_FLAG,
  flag,
  oneOf,
  parse,
  positionals,
  STORE_FLAGS,
  str,
  TARGET_FLAGS,
} from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import type { Command } from '../main.js';
import { targetFromFlags } from './k8s-common.js';
import { instancesFlag, readClusterFile, SOURCE_FLAGS } from './k8s-source.js';

const NAME = 'k8s manifests';

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  // The first spelling of -o here, kept: scripts use it.
  output: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  ...TARGET_FLAGS,
  'archive-server-name': { type: 'string' },
  distributed: { type: 'boolean' },
  'promotion-token': { type: 'string' },
  schedule: { type: 'string' },
  name: { type: 'string' },
  ...SOURCE_FLAGS,
};

// Which flags each KIND reads: any other is refused rather than silently ignored.
const KIND_FLAGS: Record<ManifestKind, readonly string[]> = {
  objectstore: [],
  'cluster-plugin': [],
  'scheduled-backup': ['schedule'],
  backup: ['name'],
  'replica-cluster': ['archive-server-name', 'distributed', 'from-cluster', 'instances'],
  'recovery-cluster': [...Object.keys(TARGET_FLAGS), 'archive-server-name', 'from-cluster', 'instances'],
  'promotion-patch': ['promotion-token'],
  'drill-cronjob': [],
  monitoring: [],
};
const COMMON = new Set([...Object.keys(STORE_FLAGS), 'format', 'output', 'namespace', 'help']);

export const k8sManifests: Command = {
  name: NAME,
  summary:
    'print CloudNativePG manifests (ObjectStore, backups, replica/recovery Cluster, drill CronJob, monitoring)',
  usage: `Usage: pgdr k8s manifests KIND [options] [-o yaml|json] [store options]

KIND is one of:
  objectstore        barmancloud.cnpg.io ObjectStore from objectStore (credentials from kubernetes.credentialsSecret;
                     with an R2 endpoint, the sidecar environment R2 needs)
  cluster-plugin     merge patch of the source Cluster: its spec.plugins entry archiving to the ObjectStore under
                     serverName (barmanObjectName, serverName)
  scheduled-backup   daily base backup at 06:00 UTC through the plugin [--schedule "0 0 6 * * *" (six fields)]
  backup             an on-demand Backup through the plugin [--name NAME] (it writes where the Cluster's plugin
                     entry says: the plugin ignores barmanObjectName in a Backup)
  replica-cluster    hot standby Cluster following the source [--distributed] [--archive-server-name NAME]
  recovery-cluster   Cluster recovered from the bucket, to the latest WAL or a target:
                       --target-time T | --target-lsn LSN | --target-xid XID | --target-name NAME |
                       --target-immediate, with optional --backup-id ID, --target-tli TLI, --exclusive,
                       --archive-server-name NAME (default: the new Cluster's name; must be empty in the bucket)
                     Its metadata.name cannot be changed later (it is immutable): point the applications at
                     its -rw/-ro services, or back it up and recreate the original name from that backup.
  With --from-cluster FILE (replica-cluster, recovery-cluster): the source Cluster's YAML (kubectl get cluster
                     NAME -o yaml): its image, postgresql parameters and libraries, resources, storage and
                     walStorage (at least the source's size), affinity, monitoring and application database
                     (initdb database/owner/secret) are carried over, and instances (--instances N to change).
                     Without it the Cluster is built from the configuration only (the runbooks read the live one).
  promotion-patch    merge patch promoting the replica Cluster: {"spec":{"replica":{"enabled":false}}}, or with
                     --promotion-token TOKEN the distributed form (replica.primary + promotionToken)
  drill-cronjob      ConfigMap + CronJob running pgdr drill on kubernetes.drill.schedule, reporting to the webhook
  monitoring         pgdr serve in the cluster (ConfigMap, Deployment, Service; read-only, the ObjectStore's
                     Secret), a ServiceMonitor, a PrometheusRule with the recoverability alerts and a Grafana
                     dashboard ConfigMap (label grafana_dashboard) on pgdr's metrics

Options:
  -o, --format yaml|json     yaml (default): documents separated by ---, notes as comments;
                             json: one object, or a v1 List with items when there are several
                             (--output is the same flag)
  -n, --namespace NS         another namespace than kubernetes.namespace (e.g. a drill in a dev namespace)

Names come from the kubernetes: section of the configuration (namespace, cluster, objectStore,
credentialsSecret, applications, pooler, replicaCluster, recoveredCluster, imageName, storageSize, drill).

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    const [kindArg] = positionals(p, NAME, 1, 1, `KIND (${MANIFEST_KINDS.join(', ')})`);
    const kind = MANIFEST_KINDS.find((k) => k === kindArg);
    if (!kind) {
      throw new PgdrError('USAGE', `${NAME}: unknown KIND '${kindArg}'`, {
        hint: `KIND is one of ${MANIFEST_KINDS.join(', ')}`,
      });
    }
    for (const [f, v] of Object.entries(p.values)) {
      if (v !== undefined && !COMMON.has(f) && !KIND_FLAGS[kind].includes(f)) {
        throw new PgdrError('USAGE', `${NAME}: --${f} does not apply to ${kind}`, {
          hint: `see: pgdr ${NAME} --help`,
        });
      }
    }
    if (str(p, 'format') !== undefined && str(p, 'output') !== undefined) {
      throw new PgdrError('USAGE', `${NAME}: give -o/--format or --output, not both`, {
        hint: `see: pgdr ${NAME} --help`,
      });
    }
    const format = oneOf(
      { ...p, values: { ...p.values, format: str(p, 'format') ?? str(p, 'output') } },
      'format',
      ['yaml', 'json'] as const,
      'yaml',
      NAME,
    );
    const fromFile = str(p, 'from-cluster');
    const base = manifestSource(configFrom(p, ctx));
    const src = fromFile
      ? { ...base, from: await readClusterFile(resolve(ctx.cwd, fromFile)) }
      : { ...base, configOnly: 'no --from-cluster FILE' };
    const list = buildManifests(kind, src, {
      instances: instancesFlag(p, NAME),
      namespace: str(p, 'namespace'),
      target: targetFromFlags(p),
      archiveServerName: checkServerNameFlag(str(p, 'archive-server-name'), '--archive-server-name'),
      distributed: flag(p, 'distributed'),
      promotionToken: str(p, 'promotion-token'),
      schedule: str(p, 'schedule'),
      name: str(p, 'name'),
    });
    // A builder bug must not reach kubectl: the cross-field checks the CRD schema cannot do run here too.
    const bad = list.flatMap((m) => clusterAdmissionProblems(m.object)).map((x) => `${x.path}: ${x.message}`);
    if (bad.length) throw new PgdrError('INTERNAL', `generated ${kind} is invalid: ${bad.join('; ')}`);
    ctx.stdout.write(renderManifests(list, format));
    return 0;
  },
};
