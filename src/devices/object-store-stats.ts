import { LatencyHistogram } from './latency-histogram.js';

/** Kind of object-store request. */
export type RequestKind = 'GET' | 'PUT' | 'LIST' | 'DELETE' | 'HEAD';
export const REQUEST_KINDS: readonly RequestKind[] = ['GET', 'PUT', 'LIST', 'DELETE', 'HEAD'];

/** Counters and latency of one request kind. */
export interface RequestKindStats {
  /** Requests sent, counting every attempt (a retried GET counts twice). */
  requests: number;
  /** Payload bytes: read for GET, written for PUT. */
  bytes: number;
  /** Operations that failed (after any retries), including lost conditional puts. */
  errors: number;
  /** Attempts beyond the first. */
  retries: number;
  /** Latency of completed operations (including retries and backoff), milliseconds. */
  latencyP50Ms: number;
  /** 99th-percentile latency of completed operations, milliseconds. */
  latencyP99Ms: number;
}

/** Requests and bytes of an ObjectStore since it was opened (ObjectStore.stats()). */
export interface ObjectStoreStats {
  /** Counters per request kind. */
  byKind: Record<RequestKind, RequestKindStats>;
  /** Requests of all kinds, every attempt counted. */
  requests: number;
  /** Payload bytes read by GETs. */
  bytesRead: number;
  /** Payload bytes written by PUTs. */
  bytesWritten: number;
  /** Operations that failed after any retries. */
  errors: number;
  /** Attempts beyond the first. */
  retries: number;
}

/** Counts requests for one store; every ObjectStore owns one. */
export class StatsRecorder {
  private readonly kinds = new Map<RequestKind, { requests: number; bytes: number; errors: number; retries: number; latency: LatencyHistogram }>();

  constructor() {
    for (const k of REQUEST_KINDS) this.kinds.set(k, { requests: 0, bytes: 0, errors: 0, retries: 0, latency: new LatencyHistogram() });
  }

  private of(kind: RequestKind) {
    return this.kinds.get(kind)!;
  }

  /** One request (attempt) was sent. */
  request(kind: RequestKind, count = 1): void {
    this.of(kind).requests += count;
  }

  retry(kind: RequestKind): void {
    this.of(kind).retries += 1;
  }

  bytes(kind: RequestKind, n: number): void {
    this.of(kind).bytes += n;
  }

  /** An operation finished; `ok` false counts an error. */
  done(kind: RequestKind, startedMs: number, ok: boolean): void {
    const k = this.of(kind);
    if (ok) k.latency.record(performance.now() - startedMs);
    else k.errors += 1;
  }

  snapshot(): ObjectStoreStats {
    const byKind = {} as Record<RequestKind, RequestKindStats>;
    let requests = 0;
    let errors = 0;
    let retries = 0;
    for (const kind of REQUEST_KINDS) {
      const k = this.of(kind);
      byKind[kind] = {
        requests: k.requests,
        bytes: k.bytes,
        errors: k.errors,
        retries: k.retries,
        latencyP50Ms: k.latency.quantileMs(0.5),
        latencyP99Ms: k.latency.quantileMs(0.99),
      };
      requests += k.requests;
      errors += k.errors;
      retries += k.retries;
    }
    return { byKind, requests, errors, retries, bytesRead: byKind.GET.bytes, bytesWritten: byKind.PUT.bytes };
  }
}

/** Runs `fn` as one single-attempt operation of `kind`, counting it. For stores without retries. */
export async function counted<T>(stats: StatsRecorder, kind: RequestKind, fn: () => Promise<T>, bytesOf?: (v: T) => number): Promise<T> {
  const t0 = performance.now();
  stats.request(kind);
  try {
    const v = await fn();
    if (bytesOf) stats.bytes(kind, bytesOf(v));
    stats.done(kind, t0, true);
    return v;
  } catch (e) {
    stats.done(kind, t0, false);
    throw e;
  }
}
