import { ObjectStoreError, PreconditionFailedError } from '../core/errors.js';
import { confirmOwnConditionalPut } from './conditional-put.js';
import type { ByteRange, ObjectInfo, ObjectStore, GetOptions, PutCondition, PutOptions, PutResult } from './object-store.js';
import { StatsRecorder, type ObjectStoreStats } from './object-store-stats.js';
import { RequestPolicy, isTransientNetworkError, sanitizedCause, type RequestPolicyOptions } from './request-policy.js';

/**
 * Applies the request policy (timeouts, retries with backoff and jitter, bounded concurrency,
 * accounting) to any ObjectStore. The cloud stores apply the same policy to their SDK calls;
 * this wrapper brings it to stores that lack it, most usefully a FaultInjectingObjectStore in
 * tests. Errors of the inner store pass through; ObjectStoreErrors marked transient and dropped
 * connections are retried.
 */
export class RetryingObjectStore implements ObjectStore {
  readonly url: string;
  private readonly recorder = new StatsRecorder();
  private readonly policy: RequestPolicy;

  constructor(
    /** The store whose requests are retried. */
    readonly inner: ObjectStore,
    options: RequestPolicyOptions = {},
  ) {
    this.url = inner.url;
    this.policy = new RequestPolicy(
      options,
      (err, { key }) => {
        if (err instanceof Error && !(err instanceof ObjectStoreError) && isTransientNetworkError(err)) {
          return new ObjectStoreError('NETWORK', `connection to ${inner.url} failed: ${err.message}`, { key, transient: true, cause: sanitizedCause(err) });
        }
        return err instanceof Error ? err : new Error(String(err));
      },
      this.recorder,
      inner.url,
    );
  }

  put(key: string, bytes: Uint8Array, condition?: PutCondition, options?: PutOptions): Promise<PutResult> {
    return this.policy.run('PUT', key, async ({ attempt }) => {
      try {
        return await this.inner.put(key, bytes, condition, options);
      } catch (e) {
        if (e instanceof PreconditionFailedError && attempt > 1) {
          return { etag: await confirmOwnConditionalPut(key, bytes, () => this.readCurrent(key)) };
        }
        throw e;
      }
    }, () => bytes.length);
  }

  private async readCurrent(key: string): Promise<{ bytes: Uint8Array; etag: string } | undefined> {
    const info = await this.inner.head(key);
    if (!info) return undefined;
    return { bytes: await this.inner.get(key), etag: info.etag };
  }

  get(key: string, range?: ByteRange, options?: GetOptions): Promise<Uint8Array> {
    return this.policy.run('GET', key, () => this.inner.get(key, range, options), (b) => b.length);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.policy.run('HEAD', key, () => this.inner.head(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.policy.run('LIST', undefined, () => this.inner.list(prefix));
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.policy.run('DELETE', keys[0], () => this.inner.delete(keys));
  }

  stats(): ObjectStoreStats {
    return this.recorder.snapshot();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
