// What a CloudNativePG Cluster's status says, read once into a typed shape: the runbooks wait on it, verify
// it and `pgdr k8s status` prints it.
import type { K8sObject } from './manifest-types.js';
import { obj, strOf } from './object-fields.js';

const numOf = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The phase CloudNativePG reports once every instance is up. */
const HEALTHY_PHASE = 'Cluster in healthy state';

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly since?: string | undefined;
}

export interface ClusterState {
  readonly name: string;
  readonly namespace: string;
  readonly createdAt?: string | undefined;
  readonly phase: string;
  readonly phaseReason?: string | undefined;
  /** spec.instances: what was asked for. */
  readonly wanted: number;
  readonly instances: number;
  readonly readyInstances: number;
  readonly currentPrimary?: string | undefined;
  readonly timeline?: number | undefined;
  readonly conditions: readonly Condition[];
  readonly writeService: string;
  readonly readService: string;
  /** Following another cluster (spec.replica enabled, or a distributed topology naming another primary). */
  readonly replica: boolean;
  /** serverNames this Cluster reads from (externalClusters through the plugin) and archives to. */
  readonly sourceServerNames: readonly string[];
  readonly archiveServerName?: string | undefined;
  /** Distributed topology: spec.replica.primary, the Cluster the topology calls primary. */
  readonly topologyPrimary?: string | undefined;
  /** status.demotionToken: set once a demoted primary has archived its last WAL (promotes the other one). */
  readonly demotionToken?: string | undefined;
}

export function clusterState(c: K8sObject): ClusterState {
  const spec = obj(c.spec);
  const status = obj(c.status);
  const name = c.metadata.name;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).map((x) => {
    const o = obj(x);
    return {
      type: String(o.type ?? ''),
      status: String(o.status ?? 'Unknown'),
      reason: String(o.reason ?? ''),
      message: String(o.message ?? ''),
      since: strOf(o.lastTransitionTime),
    };
  });
  const replica = obj(spec.replica);
  const isReplica =
    replica.enabled === true ||
    (typeof replica.primary === 'string' && replica.primary !== (strOf(replica.self) ?? name));
  const external = Array.isArray(spec.externalClusters) ? spec.externalClusters.map(obj) : [];
  const plugins = Array.isArray(spec.plugins) ? spec.plugins.map(obj) : [];
  const archiver = plugins.find((p) => p.isWALArchiver === true);
  return {
    name,
    namespace: c.metadata.namespace ?? '',
    createdAt: strOf(obj(c.metadata).creationTimestamp),
    phase: strOf(status.phase) ?? '(no status yet)',
    phaseReason: strOf(status.phaseReason),
    wanted: numOf(spec.instances) ?? 1,
    instances: numOf(status.instances) ?? 0,
    readyInstances: numOf(status.readyInstances) ?? 0,
    currentPrimary: strOf(status.currentPrimary),
    timeline: numOf(status.timelineID),
    conditions,
    writeService: strOf(status.writeService) ?? `${name}-rw`,
    readService: strOf(status.readService) ?? `${name}-r`,
    replica: isReplica,
    sourceServerNames: external
      .map((e) => strOf(obj(obj(e.plugin).parameters).serverName) ?? strOf(e.name))
      .filter((s): s is string => s !== undefined),
    archiveServerName: archiver ? (strOf(obj(archiver.parameters).serverName) ?? name) : undefined,
    topologyPrimary: strOf(replica.primary),
    demotionToken: strOf(status.demotionToken),
  };
}

export function condition(s: ClusterState, type: string): Condition | undefined {
  return s.conditions.find((c) => c.type === type);
}

/** Healthy phase, every wanted instance ready, and a primary (a replica cluster has a designated one). */
export function isReady(s: ClusterState): boolean {
  return (
    s.phase === HEALTHY_PHASE &&
    s.readyInstances >= s.wanted &&
    s.currentPrimary !== undefined &&
    condition(s, 'Ready')?.status !== 'False'
  );
}

/** `Setting up primary, 0/1 ready, Ready=False (ClusterIsNotReady)`: one line for progress and reports. */
export function stateLine(s: ClusterState): string {
  const ready = condition(s, 'Ready');
  const archiving = condition(s, 'ContinuousArchiving');
  return [
    `${s.phase}${s.phaseReason ? ` (${s.phaseReason})` : ''}`,
    `${s.readyInstances}/${s.wanted} ready`,
    ...(s.currentPrimary ? [`primary ${s.currentPrimary}`] : []),
    ...(s.timeline !== undefined ? [`timeline ${s.timeline}`] : []),
    ...(ready ? [`Ready=${ready.status}`] : []),
    ...(archiving ? [`ContinuousArchiving=${archiving.status}`] : []),
  ].join(', ');
}
