import { ClosedError, ObjectNotFoundError, PreconditionFailedError } from '../core/errors.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutCondition, PutResult } from './object-store.js';
import { validateKey, validateRange } from './object-store.js';
import { StatsRecorder, counted, type ObjectStoreStats } from './object-store-stats.js';

interface StoredObject {
  bytes: Uint8Array;
  etag: string;
}

/** The contents of a memory store; shared by every store opened with the same `memory://name`. */
export class MemoryBucket {
  readonly objects = new Map<string, StoredObject>();
  generation = 0;
}

const named = new Map<string, MemoryBucket>();

/** Options of MemoryObjectStore. */
export interface MemoryObjectStoreOptions {
  /** Keys per LIST page, for request accounting (default 1000). */
  listPageSize?: number;
}

/**
 * An ObjectStore in process memory. `memory://name` stores with the same name share one bucket
 * for the life of the process (so a device can be closed and reopened); `memory://` is private.
 * Bytes are copied in and out, so callers may reuse their buffers.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly url: string;
  private readonly bucket: MemoryBucket;
  private readonly recorder = new StatsRecorder();
  private readonly listPageSize: number;
  private closed = false;

  constructor(name?: string, options: MemoryObjectStoreOptions = {}) {
    this.url = `memory://${name ?? ''}`;
    if (name === undefined || name === '') this.bucket = new MemoryBucket();
    else {
      let b = named.get(name);
      if (!b) named.set(name, (b = new MemoryBucket()));
      this.bucket = b;
    }
    this.listPageSize = options.listPageSize ?? 1000;
  }

  /** Forgets the shared bucket of `memory://name` (tests). */
  static drop(name: string): void {
    named.delete(name);
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`object store ${this.url}`);
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<PutResult> {
    this.check();
    validateKey(key);
    return counted(this.recorder, 'PUT', async () => {
      const current = this.bucket.objects.get(key);
      if (condition && 'ifNoneMatch' in condition && current) throw new PreconditionFailedError(key);
      if (condition && 'ifMatch' in condition && current?.etag !== condition.ifMatch) throw new PreconditionFailedError(key);
      const etag = `"m${(++this.bucket.generation).toString(16)}"`;
      this.bucket.objects.set(key, { bytes: bytes.slice(), etag });
      this.recorder.bytes('PUT', bytes.length);
      return { etag };
    });
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    this.check();
    validateKey(key);
    if (range) validateRange(key, range);
    return counted(
      this.recorder,
      'GET',
      async () => {
        const current = this.bucket.objects.get(key);
        if (!current) throw new ObjectNotFoundError(key);
        if (!range) return current.bytes.slice();
        const start = Math.min(range.offset, current.bytes.length);
        return current.bytes.slice(start, Math.min(current.bytes.length, start + range.length));
      },
      (b) => b.length,
    );
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.check();
    validateKey(key);
    return counted(this.recorder, 'HEAD', async () => {
      const current = this.bucket.objects.get(key);
      return current ? { size: current.bytes.length, etag: current.etag } : undefined;
    });
  }

  async list(prefix: string): Promise<string[]> {
    this.check();
    const keys = [...this.bucket.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    this.recorder.request('LIST', Math.max(1, Math.ceil(keys.length / this.listPageSize)) - 1);
    return counted(this.recorder, 'LIST', async () => keys);
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.check();
    for (const k of keys) validateKey(k);
    if (keys.length === 0) return;
    await counted(this.recorder, 'DELETE', async () => {
      for (const k of keys) this.bucket.objects.delete(k);
    });
  }

  stats(): ObjectStoreStats {
    return this.recorder.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
