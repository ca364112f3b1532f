import {
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import {
  AccessDeniedError,
  AuthenticationError,
  BucketNotFoundError,
  ClosedError,
  ConfigError,
  ObjectNotFoundError,
  ObjectStoreError,
  PreconditionFailedError,
} from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { confirmOwnConditionalPut } from './conditional-put.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutCondition, PutResult } from './object-store.js';
import { joinKey, normalizePrefix, validateKey, validateRange } from './object-store.js';
import { StatsRecorder, type ObjectStoreStats, type RequestKind } from './object-store-stats.js';
import {
  RequestPolicy,
  isTransientNetworkError,
  isTransientStatus,
  redactSecrets,
  sanitizedCause,
  type RequestPolicyOptions,
} from './request-policy.js';

const log = componentLogger('azure-blob-object-store');

export interface AzureBlobObjectStoreOptions extends RequestPolicyOptions {
  /** Container name. */
  container: string;
  /** Name prefix inside the container ("" for the whole container). */
  prefix?: string;
  /** A storage connection string (also from env AZURE_STORAGE_CONNECTION_STRING). */
  connectionString?: string;
  /** Account name, with accountKey, sasToken or a token credential (also env AZURE_STORAGE_ACCOUNT). */
  accountName?: string;
  /** Shared key (also env AZURE_STORAGE_KEY). */
  accountKey?: string;
  /** A SAS token for the account or the container (also env AZURE_STORAGE_SAS_TOKEN). */
  sasToken?: string;
  /** A full SAS URL of the account (https://acct.blob.core.windows.net?sv=...) or of the container. */
  sasUrl?: string;
  /** Blob service endpoint (default https://<accountName>.blob.core.windows.net). */
  endpoint?: string;
  /** A token credential; default DefaultAzureCredential when no key, SAS or connection string is given. */
  credential?: TokenCredential;
  /** Blobs per LIST page, 1..5000 (default 5000); tests lower it to exercise paging. */
  listPageSize?: number;
  /** Check the container and credentials on open with one request (default true). */
  verify?: boolean;
  /** Create the container when it does not exist (default false: a missing container is a BucketNotFoundError). */
  createIfMissing?: boolean;
}

interface RestErrorLike {
  status: number | undefined;
  code: string | undefined;
  message: string;
}

function describeRestError(err: unknown): RestErrorLike {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const details = e['details'] as { errorCode?: string } | undefined;
  return {
    status: typeof e['statusCode'] === 'number' ? e['statusCode'] : undefined,
    code: details?.errorCode ?? (typeof e['code'] === 'string' ? e['code'] : typeof e['name'] === 'string' ? e['name'] : undefined),
    message: typeof e['message'] === 'string' ? e['message'].split('\n')[0]! : String(err),
  };
}

const AUTH_CODES = new Set(['AuthenticationFailed', 'InvalidAuthenticationInfo', 'NoAuthenticationInformation', 'CredentialUnavailableError', 'AuthenticationRequiredError']);
const TRANSIENT_CODES = new Set(['ServerBusy', 'InternalError', 'OperationTimedOut', 'REQUEST_SEND_ERROR', 'TimeoutError', 'IncrementalCopyOfEarlierSnapshotNotAllowed']);

function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.replace(/\/$/, '');
  } catch {
    return '[invalid url]';
  }
}

/** An ObjectStore on Azure Blob Storage (block blobs) or Azurite. */
export class AzureBlobObjectStore implements ObjectStore {
  readonly url: string;
  /** Container name. */
  readonly container: string;
  /** Name prefix inside the container ("" for the whole container). */
  readonly prefix: string;
  /** Description of the container and endpoint for messages (no secrets). */
  readonly target: string;
  private readonly client: ContainerClient;
  private readonly recorder = new StatsRecorder();
  private readonly policy: RequestPolicy;
  private readonly listPageSize: number;
  private closed = false;

  private constructor(options: AzureBlobObjectStoreOptions, client: ContainerClient) {
    this.container = options.container;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.url = `az://${this.container}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = client;
    this.target = `Azure container "${this.container}" at ${withoutQuery(client.url).replace(/\/[^/]*$/, '')}`;
    this.listPageSize = options.listPageSize ?? 5000;
    if (!(Number.isSafeInteger(this.listPageSize) && this.listPageSize >= 1 && this.listPageSize <= 5000)) {
      throw new ConfigError('listPageSize', `must be between 1 and 5000, got ${options.listPageSize}`);
    }
    this.policy = new RequestPolicy(options, (err, ctx) => this.mapError(err, ctx.kind, ctx.key), this.recorder, this.target);
  }

  /** Resolves credentials (options, then environment, then DefaultAzureCredential) and opens the store. */
  static async open(options: AzureBlobObjectStoreOptions): Promise<AzureBlobObjectStore> {
    const env = process.env;
    const pipeline: StoragePipelineOptions = { retryOptions: { maxTries: 1 } }; // the request policy retries
    const accountName = options.accountName ?? env['AZURE_STORAGE_ACCOUNT'];
    const endpointFor = (name: string | undefined): string => {
      const ep = options.endpoint ?? (name ? `https://${name}.blob.core.windows.net` : undefined);
      if (!ep) throw new ConfigError('accountName', 'give accountName or endpoint (or env AZURE_STORAGE_ACCOUNT) to reach Azure Blob Storage');
      try {
        new URL(ep);
      } catch {
        throw new ConfigError('endpoint', `"${withoutQuery(ep)}" is not a URL`);
      }
      return ep.replace(/\/$/, '');
    };
    let service: BlobServiceClient | undefined;
    let container: ContainerClient | undefined;
    const connectionString = options.connectionString ?? (options.accountKey || options.sasToken || options.sasUrl || options.credential ? undefined : env['AZURE_STORAGE_CONNECTION_STRING']);
    const accountKey = options.accountKey ?? (options.sasToken || options.sasUrl || options.credential ? undefined : env['AZURE_STORAGE_KEY']);
    const sasToken = options.sasToken ?? (options.sasUrl || options.credential ? undefined : env['AZURE_STORAGE_SAS_TOKEN']);
    try {
      if (connectionString) {
        service = BlobServiceClient.fromConnectionString(connectionString, pipeline);
      } else if (accountKey) {
        if (!accountName) throw new ConfigError('accountName', 'an account key needs accountName (or env AZURE_STORAGE_ACCOUNT)');
        service = new BlobServiceClient(endpointFor(accountName), new StorageSharedKeyCredential(accountName, accountKey), pipeline);
      } else if (options.sasUrl) {
        const u = new URL(options.sasUrl);
        const path = u.pathname.replace(/^\/+|\/+$/g, '');
        // An account SAS URL has no container in its path (or only the account, on Azurite-style URLs).
        const lastSegment = path.split('/').pop() ?? '';
        if (path !== '' && lastSegment === options.container) container = new ContainerClient(options.sasUrl, undefined, pipeline);
        else service = new BlobServiceClient(options.sasUrl, undefined, pipeline);
      } else if (sasToken) {
        service = new BlobServiceClient(`${endpointFor(accountName)}?${sasToken.replace(/^\?/, '')}`, undefined, pipeline);
      } else {
        const credential = options.credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
        service = new BlobServiceClient(endpointFor(accountName), credential, pipeline);
      }
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError('azure', `cannot configure the Azure Blob client: ${redactSecrets(e instanceof Error ? e.message : String(e))}`);
    }
    const store = new AzureBlobObjectStore(options, container ?? service!.getContainerClient(options.container));
    if (options.createIfMissing) {
      // One request: creates the container, or finds it there (ours or not: verify checks access).
      const created = await store.policy.run('PUT', undefined, ({ signal }) => store.client.createIfNotExists({ abortSignal: signal }));
      if (created.succeeded) log.info({ target: store.target }, 'created the container');
    }
    if (options.verify ?? true) {
      await store.policy.run('HEAD', undefined, ({ signal }) => store.client.getProperties({ abortSignal: signal }));
    }
    return store;
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`object store ${this.url}`);
  }

  private fullKey(key: string): string {
    validateKey(key);
    return joinKey(this.prefix, key);
  }

  /** Maps an SDK failure to a typed error that says what to fix; never includes a secret. */
  mapError(err: unknown, kind: RequestKind, key: string | undefined): Error {
    if (err instanceof ObjectStoreError) return err;
    const d = describeRestError(err);
    const code = d.code ?? '';
    const what = `${kind}${key ? ` ${key}` : ''} on ${this.target}`;
    const cause = sanitizedCause(err);
    const detail = redactSecrets(d.message);
    if (code === 'ContainerNotFound') {
      return new BucketNotFoundError(this.container, `Azure container "${this.container}" does not exist at ${this.target.replace(/^Azure container "[^"]*" at /, '')}; create it or fix the container name in the URL`);
    }
    if (AUTH_CODES.has(code) || (d.status === 403 && /authenticat|signature/i.test(d.message)) || (d.status === 403 && key === undefined && kind === 'HEAD')) {
      return new AuthenticationError(
        `authentication failed for ${this.target} (${code || 'HTTP 403'}); check the account key, SAS token or connection string ` +
          '(options or AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN), or the identity of DefaultAzureCredential',
        { cause },
      );
    }
    if (code === 'BlobNotFound' || (d.status === 404 && (kind === 'GET' || kind === 'HEAD'))) return new ObjectNotFoundError(key ?? '');
    if (code === 'ConditionNotMet' || code === 'BlobAlreadyExists' || d.status === 412) return new PreconditionFailedError(key ?? '');
    if (d.status === 403 || code === 'AuthorizationPermissionMismatch' || code === 'AuthorizationFailure' || code === 'InsufficientAccountPermissions') {
      return new AccessDeniedError(`access denied: ${what} (${code || 'HTTP 403'}: ${detail}); grant the identity or SAS permission for this container`, { key, cause });
    }
    if (TRANSIENT_CODES.has(code) || isTransientStatus(d.status) || isTransientNetworkError(err)) {
      return new ObjectStoreError('TRANSIENT', `${what} failed transiently (${code}${d.status ? `, HTTP ${d.status}` : ''}): ${detail}`, { key, transient: true, cause });
    }
    if (code === 'ENOTFOUND') return new ObjectStoreError('ENDPOINT_UNREACHABLE', `${what} failed: host not found; check the endpoint or account name`, { key, cause });
    return new ObjectStoreError('AZURE_ERROR', `${what} failed (${code}${d.status ? `, HTTP ${d.status}` : ''}): ${detail}`, { key, cause });
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<PutResult> {
    this.check();
    const full = this.fullKey(key);
    const blob = this.client.getBlockBlobClient(full);
    return this.policy.run(
      'PUT',
      key,
      async ({ signal, attempt }) => {
        try {
          const res = await blob.upload(bytes, bytes.length, {
            abortSignal: signal,
            conditions: condition ? ('ifNoneMatch' in condition ? { ifNoneMatch: '*' } : { ifMatch: condition.ifMatch }) : undefined,
          });
          return { etag: res.etag ?? '' };
        } catch (e) {
          let mapped = this.mapError(e, 'PUT', key);
          if (mapped instanceof ObjectNotFoundError || (condition && 'ifMatch' in condition && describeRestError(e).status === 404)) {
            mapped = new PreconditionFailedError(key);
          }
          if (mapped instanceof PreconditionFailedError && attempt > 1 && condition) {
            return { etag: await confirmOwnConditionalPut(key, bytes, () => this.readCurrent(full, signal)) };
          }
          throw mapped;
        }
      },
      () => bytes.length,
    );
  }

  private async readCurrent(full: string, signal: AbortSignal): Promise<{ bytes: Uint8Array; etag: string } | undefined> {
    try {
      const res = await this.client.getBlobClient(full).download(0, undefined, { abortSignal: signal });
      return { bytes: await readBody(res.readableStreamBody), etag: res.etag ?? '' };
    } catch (e) {
      if (this.mapError(e, 'GET', full) instanceof ObjectNotFoundError) return undefined;
      throw e;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    this.check();
    const full = this.fullKey(key);
    if (range) {
      validateRange(key, range);
      if (range.length === 0) {
        if (!(await this.head(key))) throw new ObjectNotFoundError(key);
        return new Uint8Array(0);
      }
    }
    const blob = this.client.getBlobClient(full);
    return this.policy.run(
      'GET',
      key,
      async ({ signal }) => {
        try {
          const res = range ? await blob.download(range.offset, range.length, { abortSignal: signal }) : await blob.download(0, undefined, { abortSignal: signal });
          return await readBody(res.readableStreamBody);
        } catch (e) {
          const d = describeRestError(e);
          if (range && (d.status === 416 || d.code === 'InvalidRange')) return new Uint8Array(0);
          throw e;
        }
      },
      (b) => b.length,
    );
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.check();
    const full = this.fullKey(key);
    return this.policy.run('HEAD', key, async ({ signal }) => {
      try {
        const p = await this.client.getBlobClient(full).getProperties({ abortSignal: signal });
        return { size: p.contentLength ?? 0, etag: p.etag ?? '' };
      } catch (e) {
        if (this.mapError(e, 'HEAD', key) instanceof ObjectNotFoundError) return undefined;
        throw e;
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    this.check();
    const fullPrefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.policy.run('LIST', prefix || undefined, async ({ signal }) => {
        const it = this.client
          .listBlobsFlat({ prefix: fullPrefix || undefined, abortSignal: signal })
          .byPage({ maxPageSize: this.listPageSize, continuationToken: token });
        const r = await it.next();
        return r.done ? undefined : r.value;
      });
      for (const b of page?.segment.blobItems ?? []) keys.push(b.name.slice(strip));
      token = page?.continuationToken || undefined;
    } while (token);
    return keys.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.check();
    const full = keys.map((k) => this.fullKey(k));
    await Promise.all(
      full.map((k, i) =>
        this.policy.run('DELETE', keys[i], async ({ signal }) => {
          try {
            await this.client.getBlobClient(k).delete({ abortSignal: signal });
          } catch (e) {
            const d = describeRestError(e);
            if (d.status === 404 && d.code !== 'ContainerNotFound') return;
            throw e;
          }
        }),
      ),
    );
  }

  stats(): ObjectStoreStats {
    return this.recorder.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

async function readBody(stream: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer, all.byteOffset, all.length);
}
