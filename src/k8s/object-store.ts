// The barmancloud.cnpg.io ObjectStore from pgdr's objectStore: the same fields, with credentials as references
// to a Kubernetes Secret (pgdr's own {env}/{file} references mean nothing inside the cluster).
import { parseRetentionPolicy } from '../config/retention-policy.js';
import { PgdrError } from '../errors.js';
import { BARMAN_API, type Manifest, type ManifestSource, meta } from './manifest-types.js';
import { endpointCANote, uploadFields } from './upload-fields.js';

export interface ObjectStoreOptions {
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

export function objectStoreManifest(src: ManifestSource, opts: ObjectStoreOptions = {}): Manifest {
  const store = src.config.objectStore;
  if (!store.destinationPath.startsWith('s3://')) {
    throw new PgdrError(
      'CONFIG_INVALID',
      `objectStore.destinationPath ${store.destinationPath} is not reachable from Kubernetes`,
      {
        hint: 'an ObjectStore needs a bucket: use s3://BUCKET/PATH',
      },
    );
  }
  const secret = src.k8s.credentialsSecret;
  const retention = cnpgRetention(src.config.retentionPolicy);
  const uploads = uploadFields(store);
  const configuration = {
    destinationPath: store.destinationPath,
    ...(store.endpointURL ? { endpointURL: store.endpointURL } : {}),
    s3Credentials: {
      accessKeyId: { name: secret.name, key: secret.accessKeyIdKey },
      secretAccessKey: { name: secret.name, key: secret.secretAccessKeyKey },
    },
    wal: {
      ...(store.wal.compression !== 'none' ? { compression: store.wal.compression } : {}),
      maxParallel: store.wal.maxParallel,
      ...uploads.wal,
    },
    data: {
      ...(store.data.compression !== 'none' ? { compression: store.data.compression } : {}),
      jobs: store.data.jobs,
      ...(store.data.immediateCheckpoint ? { immediateCheckpoint: true } : {}),
      ...uploads.data,
    },
    ...uploads.top,
  };
  const sidecar = sidecarConfiguration(store.endpointURL);
  return {
    object: {
      apiVersion: BARMAN_API,
      kind: 'ObjectStore',
      metadata: meta(opts.name ?? src.k8s.objectStore, opts.namespace ?? src.k8s.namespace),
      spec: {
        configuration,
        ...(retention ? { retentionPolicy: retention } : {}),
        ...(sidecar.value ? { instanceSidecarConfiguration: sidecar.value } : {}),
      },
    },
    notes: [
      `Credentials come from Secret ${secret.name} (keys ${secret.accessKeyIdKey}, ${secret.secretAccessKeyKey}).`,
      'No serverName here: the ObjectStore forbids it; each Cluster names its serverName in its plugin parameters.',
      ...endpointCANote(store),
      ...sidecar.notes,
    ],
  };
}

/** Cloudflare R2's S3 endpoint: `https://ACCOUNT.r2.cloudflarestorage.com` (also `.eu.`/`.fedramp.` ones). */
function isR2(endpointURL: string | undefined): boolean {
  if (!endpointURL) return false;
  try {
    return /(^|\.)r2\.cloudflarestorage\.com$/.test(new URL(endpointURL).hostname);
  } catch {
    return false;
  }
}

/**
 * The plugin sidecar's environment. R2 rejects the checksums newer AWS SDKs (boto3 1.36+, in barman-cloud)
 * send by default: only "when required" works (plugin-barman-cloud issue 393).
 */
function sidecarConfiguration(endpointURL: string | undefined): {
  value?: Record<string, unknown>;
  notes: string[];
} {
  if (!isR2(endpointURL)) return { notes: [] };
  return {
    value: {
      env: [
        { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
        { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
      ],
    },
    notes: [
      'R2 endpoint: the sidecar sends checksums only when required, or R2 refuses uploads (plugin-barman-cloud #393).',
    ],
  };
}

/** CloudNativePG only knows recovery windows (`14d`); a REDUNDANCY policy cannot be carried over. */
function cnpgRetention(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const p = parseRetentionPolicy(text, { source: 'config', field: 'retentionPolicy' });
  if (p.kind === 'window') return `${p.value}${p.unit[0]?.toLowerCase()}`;
  throw new PgdrError('CONFIG_INVALID', `retentionPolicy '${text}' cannot be expressed in an ObjectStore`, {
    hint: "the barman-cloud plugin only supports recovery windows: use e.g. retentionPolicy: '14d'",
  });
}
