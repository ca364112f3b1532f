/**
 * Typed errors. Every error f2kv raises on purpose is an F2Error subclass with a stable `code`
 * and a message that says what happened and what to do about it.
 */
/** Base class of every error f2kv raises on purpose; catch it to tell f2kv's errors from others. */
export class F2Error extends Error {
  /** Stable machine-readable error code, e.g. `CONFIG`, `CORRUPTION`, `FENCED`, `OBJECT_NOT_FOUND`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Invalid options, configuration files or URLs. `option` names the offending setting. */
export class ConfigError extends F2Error {
  /** The offending setting, e.g. `index.chunkSize` (also the start of the message). */
  readonly option: string;
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super('CONFIG', `${option}: ${message}`, options);
    this.option = option;
  }
}

/** Stored bytes failed a checksum or structural check; never returned as data. */
export class CorruptionError extends F2Error {
  /** Object key or file holding the bad bytes, when known. */
  readonly object: string | undefined;
  constructor(message: string, object?: string, options?: { cause?: unknown }) {
    super('CORRUPTION', message, options);
    this.object = object;
  }
}

/** Another writer owns this prefix; this instance must stop writing. */
export class FencedError extends F2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FENCED', message, options);
  }
}

/** Who holds a directory lock, as its lock file says. */
export interface LockHolder {
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  hostname: string;
  /** When the holding process started (ISO 8601), when known. */
  startedAt?: string;
  /** The lock file. */
  file: string;
}

/**
 * A directory is locked by another writer (another process, or another open store in this
 * process). Nothing was changed. `holder` names the process from the lock file.
 */
export class LockedError extends F2Error {
  /** The locked directory. */
  readonly directory: string;
  /** The process holding the lock, as its lock file says. */
  readonly holder: LockHolder;
  constructor(directory: string, holder: LockHolder, message: string) {
    super('LOCKED', message);
    this.directory = directory;
    this.holder = holder;
  }
}

/** A record does not fit in a page (or exceeds the configured maximum). */
export class RecordTooLargeError extends F2Error {
  /** Size of the record in bytes. */
  readonly size: number;
  /** Largest record size allowed, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      'RECORD_TOO_LARGE',
      `record of ${size} bytes exceeds the limit of ${limit} bytes; use a larger log.pageSize or smaller values`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A call on a store, session, log or device after close(). */
export class ClosedError extends F2Error {
  constructor(what: string) {
    super('CLOSED', `${what} is closed; open it again to continue`);
  }
}

/** A memory-only log has no room left. */
export class LogFullError extends F2Error {
  constructor(message: string) {
    super('LOG_FULL', message);
  }
}

/** A compaction request outside the range that may be compacted. */
export class CompactionRangeError extends F2Error {
  constructor(message: string) {
    super('COMPACTION_RANGE', message);
  }
}

/** Base class of object-store failures. `key` is the object key when one is involved. */
export class ObjectStoreError extends F2Error {
  /** Object key involved, when there is one. */
  readonly key: string | undefined;
  /** True for failures worth retrying (throttling, 5xx, resets, timeouts). */
  readonly transient: boolean;
  constructor(code: string, message: string, opts: { key?: string; transient?: boolean; cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause });
    this.key = opts.key;
    this.transient = opts.transient ?? false;
  }
}

/** A conditional put lost its race (if-none-match: * on an existing object, or a stale if-match etag). */
export class PreconditionFailedError extends ObjectStoreError {
  constructor(key: string, message?: string) {
    super('PRECONDITION_FAILED', message ?? `conditional write of ${key} lost: the object changed or already exists`, { key });
  }
}

/** The object does not exist. */
export class ObjectNotFoundError extends ObjectStoreError {
  constructor(key: string) {
    super('OBJECT_NOT_FOUND', `object ${key} does not exist`, { key });
  }
}

/** Credentials were rejected. The message names the endpoint, never the secret. */
export class AuthenticationError extends ObjectStoreError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('AUTHENTICATION', message, opts);
  }
}

/** Credentials were accepted but the operation is not allowed. */
export class AccessDeniedError extends ObjectStoreError {
  constructor(message: string, opts: { key?: string; cause?: unknown } = {}) {
    super('ACCESS_DENIED', message, opts);
  }
}

/** The bucket or container does not exist. */
export class BucketNotFoundError extends ObjectStoreError {
  /** Name of the missing bucket or container. */
  readonly bucket: string;
  constructor(bucket: string, message?: string) {
    super('BUCKET_NOT_FOUND', message ?? `bucket or container "${bucket}" does not exist; create it first`);
    this.bucket = bucket;
  }
}

/** A transient failure that survived every retry (throttling, 5xx, resets, timeouts). */
export class TransientObjectStoreError extends ObjectStoreError {
  constructor(message: string, opts: { key?: string; cause?: unknown } = {}) {
    super('TRANSIENT', message, { ...opts, transient: true });
  }
}

/** An invariant the code relies on does not hold: a bug, reported rather than silently fixed. */
export class AssertionFailedError extends F2Error {
  constructor(message: string) {
    super('ASSERTION', `invariant violated: ${message} (this is a bug in f2kv; please report it)`);
  }
}

/** Throws AssertionFailedError with message when condition is falsy (an internal invariant was broken: a bug, please report it). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailedError(message);
}
