// Promoting the replica Cluster is a merge patch of its spec.replica: the runbook's standalone form, or the
// distributed form that needs the demoted primary's token to promote without data loss.
import { PgdrError } from '../errors.js';
import { CNPG_API, type Manifest, type ManifestSource } from './manifest-types.js';

export interface PromotionOptions {
  /** The Cluster to promote; default kubernetes.replicaCluster. */
  readonly cluster?: string | undefined;
  readonly namespace?: string | undefined;
  /** `.status.demotionToken` of the demoted primary: selects the distributed form. */
  readonly promotionToken?: string | undefined;
}

export function promotionPatch(src: ManifestSource, opts: PromotionOptions = {}): Manifest {
  const name = opts.cluster ?? src.k8s.replicaCluster;
  const namespace = opts.namespace ?? src.k8s.namespace;
  const token = opts.promotionToken;
  if (token !== undefined && !/^[A-Za-z0-9+/=_-]+$/.test(token)) {
    throw new PgdrError('USAGE', '--promotion-token is not a demotion token', {
      hint: `copy it from: kubectl get cluster ${src.k8s.cluster} -n ${namespace} -o jsonpath='{.status.demotionToken}'`,
    });
  }
  const replica = token === undefined ? { enabled: false } : { primary: name, promotionToken: token };
  const apply = `kubectl patch cluster ${name} -n ${namespace} --type merge --patch-file promotion-patch.yaml`;
  return {
    object: { spec: { replica } },
    patchOf: { apiVersion: CNPG_API, kind: 'Cluster', name, namespace },
    notes: [
      `Merge patch for Cluster ${name}: ${apply}`,
      token === undefined
        ? 'Irreversible: the replica stops following the source and becomes a primary (standalone replica form).'
        : `Distributed form: promotes ${name} without data loss once the demoted primary has archived the token.`,
    ],
  };
}
