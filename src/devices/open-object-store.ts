import type { TokenCredential } from '@azure/identity';
import { joinOptionPath, optionSection } from '../core/option-keys.js';
import { LocalFsObjectStore } from './local-fs-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { parseObjectStoreUrl } from './object-store-url.js';
import type { RequestPolicyOptions } from './request-policy.js';
import type { PayloadChecksum, S3Credentials } from './s3-object-store.js';

export { parseObjectStoreUrl, type ParsedStoreUrl } from './object-store-url.js';

/** Options of openObjectStore; each backend reads the ones that concern it. */
export interface OpenObjectStoreOptions extends RequestPolicyOptions {
  /** Keys per LIST page (S3 ≤ 1000, Azure ≤ 5000); lower it to exercise paging in tests. */
  listPageSize?: number;
  /** Check bucket/container and credentials when opening (cloud stores; default true). */
  verify?: boolean;
  /**
   * Create what the URL names when it does not exist (default false): file:// the directory,
   * s3:// the bucket, az:// the container. Off by default so that a typo in a bucket name fails
   * instead of creating a new, empty store.
   */
  createIfMissing?: boolean;
  /** s3:// and az://: service endpoint (S3 default env AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL). */
  endpoint?: string;
  /** s3://: region (default env AWS_REGION / AWS_DEFAULT_REGION or the AWS profile). */
  region?: string;
  /** s3://: path-style requests (default true when an endpoint is given). */
  forcePathStyle?: boolean;
  /** s3://: how the service checks PUT bodies, `'crc32c'` (default) or `'sha256'` (see S3ObjectStoreOptions). */
  payloadChecksum?: PayloadChecksum;
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

/** Every key of OpenObjectStoreOptions (the compiler checks the list against the interface). */
const OPTION_KEYS: { readonly [K in keyof Required<OpenObjectStoreOptions>]: true } = {
  timeoutMs: true,
  maxAttempts: true,
  baseDelayMs: true,
  maxDelayMs: true,
  concurrency: true,
  random: true,
  listPageSize: true,
  verify: true,
  createIfMissing: true,
  endpoint: true,
  region: true,
  forcePathStyle: true,
  payloadChecksum: true,
  credentials: true,
  connectionString: true,
  accountName: true,
  accountKey: true,
  sasToken: true,
  sasUrl: true,
  credential: true,
};
export const OBJECT_STORE_OPTION_KEYS: readonly string[] = Object.keys(OPTION_KEYS);
/** Keys of static S3 credentials, as the AWS SDK's credential identity has them. */
const S3_CREDENTIAL_KEYS: readonly string[] = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration', 'credentialScope', 'accountId'];

/**
 * Checks the keys of object-store options (and of static S3 credentials) at `path`
 * (`checkpoint.store`, or '' when given to openObjectStore directly): an unknown key is a
 * ConfigError naming its full path and the nearest known key. `extraKeys` are keys the caller
 * reads itself (a device's own options).
 */
export function checkObjectStoreOptions(path: string, options: unknown, extraKeys: readonly string[] = []): OpenObjectStoreOptions {
  const o = optionSection(path, options, extraKeys.length === 0 ? OBJECT_STORE_OPTION_KEYS : [...OBJECT_STORE_OPTION_KEYS, ...extraKeys]);
  const credentials = o['credentials'];
  if (credentials !== undefined && typeof credentials !== 'function') {
    const at = joinOptionPath(path, 'credentials');
    // The SDK marks credentials it has used with `$`-prefixed metadata ($source): not options.
    const own = typeof credentials === 'object' && credentials !== null && !Array.isArray(credentials)
      ? Object.fromEntries(Object.entries(credentials).filter(([k]) => !k.startsWith('$')))
      : credentials;
    optionSection(at, own, S3_CREDENTIAL_KEYS);
  }
  return o as OpenObjectStoreOptions;
}

/**
 * Opens an ObjectStore by URL: `memory://[name]`, `file:///abs/dir`, `s3://bucket/prefix`,
 * `az://container/prefix`. Credentials come from options or the standard environment.
 */
export async function openObjectStore(url: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  checkObjectStoreOptions('', options);
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
