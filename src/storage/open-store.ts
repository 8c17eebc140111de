// Chooses the driver from the destination URL. The only place that knows which drivers exist. Each driver is
// loaded only when chosen: every command, `wal archive` once per segment included, starts node, and the
// drivers not used (a file:// or S3 destination needs neither Azure's nor Google's) cost tens of milliseconds
// of module loading each time.
import { fileURLToPath } from 'node:url';
import { isAzureUrl } from '../common/azure-url.js';
import { isGcsDestination } from '../common/gcs-url.js';
import type { ObjectStoreConfig } from '../config/types.js';
import type { ObjectStore } from './object-store.js';

export async function openStore(cfg: ObjectStoreConfig): Promise<ObjectStore> {
  if (cfg.destinationPath.startsWith('file://')) {
    const { FsObjectStore } = await import('./fs/fs-store.js');
    return new FsObjectStore(fileURLToPath(cfg.destinationPath).replace(/\/+$/, '') || '/');
  }
  if (isGcsDestination(cfg.destinationPath)) {
    const { GcsObjectStore } = await import('./gcs/gcs-store.js');
    return GcsObjectStore.fromConfig(cfg);
  }
  if (isAzureUrl(cfg.destinationPath)) {
    const { AzureObjectStore } = await import('./azure/azure-store.js');
    return AzureObjectStore.fromConfig(cfg);
  }
  const { S3ObjectStore } = await import('./s3/s3-store.js');
  return S3ObjectStore.fromConfig(cfg);
}
