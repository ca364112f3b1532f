import { AccessDeniedError, ConfigError, ObjectStoreError } from '../core/errors.js';
import { Prng } from '../core/prng.js';
import type { ByteRange, ObjectInfo, ObjectStore, GetOptions, PutCondition, PutOptions, PutResult } from './object-store.js';
import type { ObjectStoreStats, RequestKind } from './object-store-stats.js';

/**
 * What to inject:
 * - transient:  fail with a retryable server error (HTTP 500), request not applied
 * - throttle:   fail with retryable throttling (HTTP 503 SlowDown), request not applied
 * - drop:       the connection drops before the request reaches the store (ECONNRESET)
 * - drop-after: the request is applied, then the connection drops and the response is lost
 * - timeout:    the request hangs for `latencyMs` (default 120 s) and then fails with ETIMEDOUT
 * - latency:    the request is delayed by `latencyMs` (default 50 ms) and then succeeds
 * - permanent:  fail with a non-retryable AccessDeniedError
 */
export type FaultKind = 'transient' | 'throttle' | 'drop' | 'drop-after' | 'timeout' | 'latency' | 'permanent';

/** When and how the injector fails requests: the first rule that matches a request decides. */
export interface FaultRule {
  /** The fault to inject. */
  fault: FaultKind;
  /** Request kinds the rule applies to (default: all). */
  kinds?: readonly RequestKind[];
  /** Only keys (or LIST prefixes) starting with this. */
  keyPrefix?: string;
  /** Inject at exactly these request numbers, 1-based, counted per request kind (the 3rd PUT...). */
  nth?: readonly number[];
  /** Otherwise inject with this probability per matching request (drawn from the seeded PRNG). */
  probability?: number;
  /** Inject at most this many times. */
  maxTimes?: number;
  /** Delay for 'latency' and 'timeout'. */
  latencyMs?: number;
}

/** A seeded, reproducible set of fault rules for FaultInjectingObjectStore. */
export interface FaultSchedule {
  /** Seeds the PRNG; the same seed and the same request sequence inject the same faults. */
  seed: number;
  /** The rules, tried in order. */
  rules: readonly FaultRule[];
}

/** A fault the injector injected, as recorded in FaultInjectingObjectStore.injected. */
export interface InjectedFault {
  /** Position of the request among all requests seen by the injector (1-based). */
  request: number;
  /** Request kind. */
  kind: RequestKind;
  /** Position among requests of the same kind (1-based). */
  nth: number;
  /** Object key (or LIST prefix) of the request. */
  key: string;
  /** The fault injected. */
  fault: FaultKind;
}

const sleep = (ms: number) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    if (ms > 1000) t.unref();
  });

function connectionDropped(what: string): Error {
  return Object.assign(new Error(`socket hang up (injected dropped connection during ${what})`), { code: 'ECONNRESET' });
}

/**
 * Wraps any ObjectStore and injects faults by a seeded, deterministic schedule. It does not retry:
 * put a RetryingObjectStore (or a cloud store's policy) above it to see retries at work.
 */
export class FaultInjectingObjectStore implements ObjectStore {
  readonly url: string;
  /** Every fault injected so far, in order. */
  readonly injected: InjectedFault[] = [];
  private readonly prng: Prng;
  private readonly perKind = new Map<RequestKind, number>();
  private readonly timesUsed: number[];
  private requests = 0;
  private enabled = true;

  constructor(
    /** The store that requests are passed to when no fault is injected. */
    readonly inner: ObjectStore,
    /** The fault rules and seed. */
    readonly schedule: FaultSchedule,
  ) {
    this.url = inner.url;
    this.prng = new Prng(schedule.seed);
    this.timesUsed = schedule.rules.map(() => 0);
    for (const [i, r] of schedule.rules.entries()) {
      if (r.probability !== undefined && !(r.probability >= 0 && r.probability <= 1)) {
        throw new ConfigError(`rules[${i}].probability`, `must be between 0 and 1, got ${r.probability}`);
      }
      if (r.nth === undefined && r.probability === undefined) {
        throw new ConfigError(`rules[${i}]`, 'give nth (request numbers) or probability');
      }
    }
  }

  /** Turns injection off (true) or back on, e.g. to verify results through the same store. */
  pause(paused = true): void {
    this.enabled = !paused;
  }

  /** Decides, deterministically, which fault (if any) hits this request. */
  private decide(kind: RequestKind, key: string): FaultRule | undefined {
    this.requests++;
    const nth = (this.perKind.get(kind) ?? 0) + 1;
    this.perKind.set(kind, nth);
    let chosen: FaultRule | undefined;
    for (const [i, rule] of this.schedule.rules.entries()) {
      // Draw for every probabilistic rule on every request so that the sequence of draws
      // depends only on the number of requests, not on which rules matched.
      const draw = rule.probability !== undefined ? this.prng.nextFloat() : 1;
      if (chosen || !this.enabled) continue;
      if (rule.kinds && !rule.kinds.includes(kind)) continue;
      if (rule.keyPrefix !== undefined && !key.startsWith(rule.keyPrefix)) continue;
      if (rule.maxTimes !== undefined && this.timesUsed[i]! >= rule.maxTimes) continue;
      const hit = rule.nth ? rule.nth.includes(nth) : draw < rule.probability!;
      if (!hit) continue;
      this.timesUsed[i]!++;
      chosen = rule;
      this.injected.push({ request: this.requests, kind, nth, key, fault: rule.fault });
    }
    return chosen;
  }

  private async intercept<T>(kind: RequestKind, key: string, op: () => Promise<T>): Promise<T> {
    const rule = this.decide(kind, key);
    if (!rule) return op();
    const what = `${kind} ${key}`;
    switch (rule.fault) {
      case 'transient':
        throw new ObjectStoreError('INJECTED_SERVER_ERROR', `injected transient server error (HTTP 500) for ${what} on ${this.url}`, { key, transient: true });
      case 'throttle':
        throw new ObjectStoreError('THROTTLED', `injected throttling (HTTP 503 SlowDown) for ${what} on ${this.url}`, { key, transient: true });
      case 'drop':
        throw connectionDropped(what);
      case 'drop-after':
        await op();
        throw connectionDropped(what);
      case 'timeout':
        await sleep(rule.latencyMs ?? 120_000);
        throw Object.assign(new Error(`injected timeout for ${what}`), { code: 'ETIMEDOUT' });
      case 'latency':
        await sleep(rule.latencyMs ?? 50);
        return op();
      case 'permanent':
        throw new AccessDeniedError(`injected permanent failure: access denied for ${what} on ${this.url}; check the credentials' permissions`, { key });
    }
  }

  put(key: string, bytes: Uint8Array, condition?: PutCondition, options?: PutOptions): Promise<PutResult> {
    return this.intercept('PUT', key, () => this.inner.put(key, bytes, condition, options));
  }

  get(key: string, range?: ByteRange, options?: GetOptions): Promise<Uint8Array> {
    return this.intercept('GET', key, () => this.inner.get(key, range, options));
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.intercept('HEAD', key, () => this.inner.head(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.intercept('LIST', prefix, () => this.inner.list(prefix));
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.intercept('DELETE', keys[0] ?? '', () => this.inner.delete(keys));
  }

  stats(): ObjectStoreStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
