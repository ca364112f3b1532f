import type { TokenCredential } from '@azure/identity';
import { LocalFsObjectStore } from './local-fs-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { parseObjectStoreUrl } from './object-store-url.js';
import type { RequestPolicyOptions } from './request-policy.js';
import type { S3Credentials } from './s3-object-store.js';

export { parseObjectStoreUrl, type ParsedStoreUrl } from './object-store-url.js';

/** Options of openObjectStore; each backend reads the ones that concern it. */
export interface OpenObjectStoreOptions extends RequestPolicyOptions {
  /** Keys per LIST page (S3 ≤ 1000, Azure ≤ 5000); lower it to exercise paging in tests. */
  listPageSize?: number;
  /** Check bucket/container and credentials when opening (cloud stores; default true). */
  verify?: boolean;
  /** file://: create the directory if it does not exist (default false). */
  createIfMissing?: boolean;
  /** s3:// and az://: service endpoint (S3 default env AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL). */
  endpoint?: string;
  /** s3://: region (default env AWS_REGION / AWS_DEFAULT_REGION or the AWS profile). */
  region?: string;
  /** s3://: path-style requests (default true when an endpoint is given). */
  forcePathStyle?: boolean;
  /** s3://: static credentials (default: the standard AWS chain). */
  credentials?: S3Credentials | (() => Promise<S3Credentials>);
  /** az://: connection string (default env AZURE_STORAGE_CONNECTION_STRING). */
  connectionString?: string;
  /** az://: account name (default env AZURE_STORAGE_ACCOUNT). */
  accountName?: string;
  /** az://: shared key (default env AZURE_STORAGE_KEY). */
  accountKey?: string;
  /** az://: SAS token (default env AZURE_STORAGE_SAS_TOKEN). */
  sasToken?: string;
  /** az://: SAS URL of the account or container. */
  sasUrl?: string;
  /** az://: token credential (default DefaultAzureCredential). */
  credential?: TokenCredential;
}

/**
 * Opens an ObjectStore by URL: `memory://[name]`, `file:///abs/dir`, `s3://bucket/prefix`,
 * `az://container/prefix`. Credentials come from options or the standard environment.
 */
export async function openObjectStore(url: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  const p = parseObjectStoreUrl(url);
  switch (p.scheme) {
    case 'memory':
      return new MemoryObjectStore(p.authority + (p.path ? `/${p.path}` : ''), { listPageSize: options.listPageSize });
    case 'file':
      return LocalFsObjectStore.open(p.path, { createIfMissing: options.createIfMissing });
    case 's3': {
      // The cloud SDKs are loaded only when a cloud URL is opened.
      const { S3ObjectStore } = await import('./s3-object-store.js');
      return S3ObjectStore.open({ ...options, bucket: p.authority, prefix: p.path });
    }
    case 'az': {
      const { AzureBlobObjectStore } = await import('./azure-blob-object-store.js');
      return AzureBlobObjectStore.open({ ...options, container: p.authority, prefix: p.path });
    }
  }
}
