// pgdr's upload settings (encryption, the KMS key, tags, history tags, --no-partial) written back in the
// ObjectStore's own words, for the manifests pgdr generates: the ObjectStore the cluster's barman-cloud reads,
// and the drill pod's pgdr.yaml. A setting left out there would be silently lost in the cluster.
import type { ServerSideEncryption, Tag } from '../config/s3-options-types.js';
import type { ObjectStoreConfig } from '../config/types.js';

type Obj = Record<string, unknown>;

const kmsArgs = (sse: ServerSideEncryption | undefined): string[] | undefined =>
  sse?.kmsKeyId === undefined ? undefined : [`--sse-kms-key-id=${sse.kmsKeyId}`];

const tagMap = (tags: readonly Tag[]): Obj | undefined =>
  tags.length > 0 ? Object.fromEntries(tags) : undefined;

/** The fields to merge into `configuration` (wal and data are merged into the existing sections). */
export function uploadFields(store: ObjectStoreConfig): { wal: Obj; data: Obj; top: Obj } {
  const u = store.uploads;
  const walArgs = kmsArgs(u?.walEncryption);
  const dataArgs = kmsArgs(u?.dataEncryption);
  const tags = u === undefined ? undefined : tagMap(u.tags);
  const historyTags = u === undefined ? undefined : tagMap(u.historyTags);
  return {
    wal: {
      ...(u?.walEncryption ? { encryption: u.walEncryption.method } : {}),
      ...(walArgs ? { archiveAdditionalCommandArgs: walArgs } : {}),
      ...(store.wal.noPartial ? { restoreAdditionalCommandArgs: ['--no-partial'] } : {}),
    },
    data: {
      ...(u?.dataEncryption ? { encryption: u.dataEncryption.method } : {}),
      ...(dataArgs ? { additionalCommandArgs: dataArgs } : {}),
    },
    top: { ...(tags ? { tags } : {}), ...(historyTags ? { historyTags } : {}) },
  };
}

/** Why endpointCA is not carried over: its {file|env} reference means nothing inside the cluster. */
export function endpointCANote(store: ObjectStoreConfig): string[] {
  if (store.endpointCA === undefined) return [];
  return [
    "objectStore.endpointCA is not carried over (a local file): put the CA in a Secret and add endpointCA: {name: SECRET, key: ca.crt} to the ObjectStore's configuration.",
  ];
}
