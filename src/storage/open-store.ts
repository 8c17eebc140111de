// Chooses the driver from the destination URL. The only place that knows which drivers exist.
import { fileURLToPath } from 'node:url';
import { isAzureUrl } from '../common/azure-url.js';
import { isGcsDestination } from '../common/gcs-url.js';
import type { ObjectStoreConfig } from '../config/types.js';
import { AzureObjectStore } from './azure/azure-store.js';
import { FsObjectStore } from './fs/fs-store.js';
import { GcsObjectStore } from './gcs/gcs-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3/s3-store.js';

export function openStore(cfg: ObjectStoreConfig): ObjectStore {
  if (cfg.destinationPath.startsWith('file://')) {
    return new FsObjectStore(fileURLToPath(cfg.destinationPath).replace(/\/+$/, '') || '/');
  }
  if (isGcsDestination(cfg.destinationPath)) return GcsObjectStore.fromConfig(cfg);
  if (isAzureUrl(cfg.destinationPath)) return AzureObjectStore.fromConfig(cfg);
  return S3ObjectStore.fromConfig(cfg);
}
