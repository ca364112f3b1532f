import { ObjectStoreError } from '../core/errors.js';
import type { ObjectStoreStats } from './object-store-stats.js';

/**
 * One small interface over object storage (memory, local directory, S3, Azure Blob).
 *
 * Keys are '/'-separated relative keys under the store's own prefix (the bucket/container and
 * prefix of its URL): "log/0000-0001.seg", never starting with '/', without empty, '.' or '..'
 * segments. Objects are written whole and atomically: a reader sees the old or the new
 * content, never a mix.
 */
/** Condition of a put: `{ ifNoneMatch: '*' }` creates the object only if absent; `{ ifMatch: etag }` replaces it only if its etag is still `etag`. */
export type PutCondition =
  | {
      /** `'*'`: write only if no object exists under the key. */
      ifNoneMatch: '*';
    }
  | {
      /** Write only if the object's current etag is this one. */
      ifMatch: string;
    };

/** What the caller of ObjectStore.put knows about the bytes. */
export interface PutOptions {
  /**
   * The CRC-32C of the bytes, when the caller has it already: a store that sends the service a
   * checksum to verify the upload against (S3: x-amz-checksum-crc32c) uses it instead of reading
   * every byte again. A wrong value makes the service refuse the upload.
   */
  crc32c?: number;
}

/** How ObjectStore.get may deliver the bytes. */
export interface GetOptions {
  /**
   * A buffer the store may read the bytes into when they fit (the result is then a view of its
   * start), so that a caller reading many objects in turn reuses one buffer instead of
   * allocating one per object. A store may ignore it and return a new buffer.
   */
  into?: Uint8Array;
}

/** Result of ObjectStore.put. */
export interface PutResult {
  /** Opaque version tag of the object just written; pass it to `{ ifMatch }` for compare-and-swap. */
  etag: string;
}

/** A byte range of an object for ObjectStore.get. */
export interface ByteRange {
  /** First byte, counted from 0. */
  offset: number;
  /** Number of bytes. */
  length: number;
}

/** Size and version of an object (ObjectStore.head). */
export interface ObjectInfo {
  /** Size in bytes. */
  size: number;
  /** Opaque version tag (for `{ ifMatch }`). */
  etag: string;
}

/** Object storage as f2kv uses it: whole-object put (optionally conditional), ranged get, head, list by prefix and delete, under the store's own prefix. See the module comment for key rules. Implementations: MemoryObjectStore, LocalFsObjectStore, S3ObjectStore, AzureBlobObjectStore. */
export interface ObjectStore {
  /** Where the store lives, with credentials removed (safe to log). */
  readonly url: string;
  /**
   * Writes the object. `{ ifNoneMatch: '*' }` creates it only if absent; `{ ifMatch: etag }`
   * replaces it only if its current etag is `etag`. A lost condition throws PreconditionFailedError.
   * The store reads `bytes` only until the returned promise settles (the caller may then reuse them).
   */
  put(key: string, bytes: Uint8Array, condition?: PutCondition, options?: PutOptions): Promise<PutResult>;
  /**
   * Reads the object, or the part of `range` that lies inside it (a range reaching past the end
   * returns the shorter remainder; an offset at or past the end returns no bytes).
   * Throws ObjectNotFoundError when the object does not exist. The returned bytes belong to the
   * caller, who may modify them (a store keeps no reference to them); with `options.into`, they
   * may be a view of that buffer.
   */
  get(key: string, range?: ByteRange, options?: GetOptions): Promise<Uint8Array>;
  /** Size and etag, or undefined when the object does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every key that starts with `prefix`, sorted, complete (paged internally). */
  list(prefix: string): Promise<string[]>;
  /** Deletes the objects; keys that do not exist are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /** Requests, bytes, errors, retries and latency per request kind since the store was opened. */
  stats(): ObjectStoreStats;
  /** Releases the store's connections; further use throws ClosedError. */
  close(): Promise<void>;
}

/** Throws unless `key` is a valid relative object key. */
export function validateKey(key: string): void {
  const bad = (why: string): never => {
    throw new ObjectStoreError('INVALID_KEY', `invalid object key ${JSON.stringify(key)}: ${why}`, { key });
  };
  if (typeof key !== 'string' || key.length === 0) bad('keys must be non-empty strings');
  if (key.length > 1024) bad('keys are limited to 1024 characters');
  if (key.startsWith('/')) bad("keys are relative: remove the leading '/'");
  if (key.endsWith('/')) bad("keys name objects, not folders: remove the trailing '/'");
  if (/[\u0000-\u001f\u007f\\]/.test(key)) bad('control characters and backslashes are not allowed');
  // A lone surrogate has no UTF-8 form: stores would write U+FFFD instead, so two different keys
  // could name one object (and the listing would not return the key that was written).
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key)) bad('keys must be well-formed Unicode (a lone surrogate has no UTF-8 form)');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') bad("empty, '.' and '..' segments are not allowed");
  }
}

/** Throws unless `range` is a valid byte range. */
export function validateRange(key: string, range: ByteRange): void {
  if (!Number.isSafeInteger(range.offset) || range.offset < 0 || !Number.isSafeInteger(range.length) || range.length < 0) {
    throw new ObjectStoreError('INVALID_RANGE', `invalid range {offset: ${range.offset}, length: ${range.length}} for ${key}`, { key });
  }
}

/** Joins a store prefix ("" or "a/b") and a relative key. */
export function joinKey(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}

/** Normalizes a prefix taken from a URL path: no leading or trailing '/', no empty segments. */
export function normalizePrefix(path: string): string {
  return path.split('/').filter((s) => s !== '').join('/');
}
