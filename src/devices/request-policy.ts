import { ConfigError, ObjectStoreError, TransientObjectStoreError } from '../core/errors.js';
import { componentLogger } from '../core/logger.js';
import { parseSize } from '../core/size.js';
import { Semaphore } from './semaphore.js';
import type { RequestKind, StatsRecorder } from './object-store-stats.js';

const log = componentLogger('request-policy');

/**
 * How a cloud store sends requests: one per-attempt timeout, retries of transient failures only
 * (exponential backoff with full jitter, bounded attempts), bounded concurrency, and request
 * accounting. The SDKs' own retries are disabled so this is the single source of truth.
 */
export interface RequestPolicyOptions {
  /** Per-attempt timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Attempts per operation, the first included (default 5). */
  maxAttempts?: number;
  /** Backoff base in milliseconds: attempt n waits uniformly in [0, min(max, base·2^(n-1))] (default 50). */
  baseDelayMs?: number;
  /** Backoff ceiling in milliseconds (default 5 000). */
  maxDelayMs?: number;
  /** Concurrent requests in flight (default 16). */
  concurrency?: number;
  /** Jitter source in [0, 1) (tests pass a seeded one; default Math.random). */
  random?: () => number;
}

export interface ResolvedRequestPolicyOptions {
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  concurrency: number;
  random: () => number;
}

export function resolveRequestPolicyOptions(o: RequestPolicyOptions = {}): ResolvedRequestPolicyOptions {
  const positive = (name: string, v: number | undefined, dflt: number, min = 1): number => {
    const n = v ?? dflt;
    parseSize(name, n); // non-negative whole number
    if (n < min) throw new ConfigError(name, `must be ≥ ${min}, got ${n}`);
    return n;
  };
  return {
    timeoutMs: positive('timeoutMs', o.timeoutMs, 30_000),
    maxAttempts: positive('maxAttempts', o.maxAttempts, 5),
    baseDelayMs: positive('baseDelayMs', o.baseDelayMs, 50, 0),
    maxDelayMs: positive('maxDelayMs', o.maxDelayMs, 5_000, 0),
    concurrency: positive('concurrency', o.concurrency, 16),
    random: o.random ?? Math.random,
  };
}

/** What an attempt knows: its number (1-based) and the signal aborted at its timeout. */
export interface Attempt {
  signal: AbortSignal;
  attempt: number;
}

/**
 * Turns whatever an SDK threw into a typed error. Return an ObjectStoreError with
 * `transient: true` for failures worth retrying; anything else fails the operation at once.
 */
export type ErrorMapper = (err: unknown, ctx: { kind: RequestKind; key: string | undefined }) => Error;

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE', 'REQUEST_SEND_ERROR', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
  // The Azure SDK reports a connection reset mid-response as an AbortError ("The operation was
  // aborted."); an abort by the policy's own timeout is classified before the mapper sees it.
  'AbortError',
]);

/** True for dropped connections, resets and network timeouts (looking through `cause`). */
export function isTransientNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = 'code' in e ? e.code : undefined;
    const name = 'name' in e ? e.name : undefined;
    const message = 'message' in e && typeof e.message === 'string' ? e.message : '';
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
    if (typeof name === 'string' && TRANSIENT_NETWORK_CODES.has(name)) return true;
    if (/socket hang up|ECONNRESET|other side closed|premature close|network socket disconnected/i.test(message)) return true;
    e = 'cause' in e ? e.cause : undefined;
  }
  return false;
}

/** HTTP statuses worth retrying: request timeout, throttling and server errors. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500 && status !== 501 && status !== 505);
}

/**
 * A short description of an SDK error, safe to keep as `cause`: name, code and message with any
 * credential-looking parts removed. Raw SDK errors carry request URLs (SAS tokens) and headers.
 */
export function sanitizedCause(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(redactSecrets(String(err)));
  const code = 'code' in err && typeof err.code === 'string' ? ` [${err.code}]` : '';
  return new Error(redactSecrets(`${err.name}${code}: ${err.message}`));
}

export function redactSecrets(text: string): string {
  return text
    .replace(/(sig|signature|se|sp|sv|skoid|sktid|AccountKey|SharedAccessSignature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token)=([^;&\s"']+)/gi, '$1=[redacted]')
    .replace(/\/\/[^/@\s]+@/g, '//[redacted]@');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`no response within ${ms} ms`);
  }
}

/** Sends a cloud store's requests by its RequestPolicyOptions: per-attempt timeout, retries of transient failures with jittered exponential backoff, bounded concurrency and request accounting. Used by S3ObjectStore, AzureBlobObjectStore and RetryingObjectStore. */
export class RequestPolicy {
  /** Resolved options (defaults applied). */
  readonly options: ResolvedRequestPolicyOptions;
  private readonly semaphore: Semaphore;

  constructor(
    options: RequestPolicyOptions | ResolvedRequestPolicyOptions,
    private readonly mapError: ErrorMapper,
    private readonly stats: StatsRecorder,
    /** Names the store in messages, e.g. `s3 bucket "b" at http://127.0.0.1:9000` (no secrets). */
    private readonly target: string,
  ) {
    this.options = resolveRequestPolicyOptions(options);
    this.semaphore = new Semaphore(this.options.concurrency);
  }

  /** Backoff before attempt `next` (2, 3, ...): full jitter. */
  backoffMs(next: number): number {
    const cap = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (next - 2));
    return this.options.random() * cap;
  }

  /**
   * Runs one logical operation of `kind`. `fn` is called once per attempt with a signal that
   * aborts at the timeout; an attempt that ignores the signal is abandoned at the timeout anyway.
   */
  async run<T>(kind: RequestKind, key: string | undefined, fn: (a: Attempt) => Promise<T>, bytesOf?: (v: T) => number): Promise<T> {
    const t0 = performance.now();
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      if (attempt > 1) {
        this.stats.retry(kind);
        await sleep(this.backoffMs(attempt));
      }
      this.stats.request(kind);
      let mapped: Error;
      await this.semaphore.acquire();
      try {
        const value = await this.attemptWithTimeout(fn, attempt);
        if (bytesOf) this.stats.bytes(kind, bytesOf(value));
        this.stats.done(kind, t0, true);
        return value;
      } catch (err) {
        mapped =
          err instanceof AttemptTimeout
            ? new ObjectStoreError('TIMEOUT', `${kind}${key ? ` ${key}` : ''} on ${this.target}: ${err.message}`, { key, transient: true })
            : this.mapError(err, { kind, key });
      } finally {
        this.semaphore.release();
      }
      lastError = mapped;
      const transient = mapped instanceof ObjectStoreError && mapped.transient;
      if (!transient) {
        this.stats.done(kind, t0, false);
        throw mapped;
      }
      log.debug({ kind, key, attempt, error: mapped.message }, 'transient object-store failure; retrying');
    }
    this.stats.done(kind, t0, false);
    throw new TransientObjectStoreError(
      `${kind}${key ? ` ${key}` : ''} on ${this.target} still failing after ${this.options.maxAttempts} attempts: ${lastError?.message ?? 'unknown error'}; ` +
        'the service is unavailable or throttling; retry later or raise maxAttempts/timeoutMs',
      { key, cause: lastError },
    );
  }

  private attemptWithTimeout<T>(fn: (a: Attempt) => Promise<T>, attempt: number): Promise<T> {
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const e = new AttemptTimeout(this.options.timeoutMs);
        controller.abort(e);
        reject(e);
      }, this.options.timeoutMs);
      let p: Promise<T>;
      try {
        p = fn({ signal: controller.signal, attempt });
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(controller.signal.aborted && controller.signal.reason instanceof AttemptTimeout ? controller.signal.reason : e);
        },
      );
    });
  }
}
