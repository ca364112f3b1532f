/**
 * Runs an operation stream with up to `limit` operations in flight: each operation first tries the
 * store's sync fast path; one that answers PENDING is started through the async API and the loop
 * goes on with the next operation, waiting only when `limit` async operations are outstanding
 * (what an application with many concurrent requests does). Every SAMPLE_EVERY-th operation's
 * latency is recorded, from its start to its completion (sync return or promise resolution).
 * The loop yields to the event loop every 4,096 operations even when nothing is pending, so that
 * background work (flushes, migration) is never starved by a long run of sync hits.
 */
import { performance } from 'node:perf_hooks';
import { SAMPLE_MASK } from './latency.js';
import { MISS, PENDING, type Status } from './peers/peer.js';
import { OP_READ, OP_UPDATE, type OpStream } from './workload.js';
import type { BenchStore } from './f2-stores.js';

export interface InflightResult {
  done: number;
  seconds: number;
  sampled: number;
  misses: number;
  /** Operations completed through the async API. */
  pending: number;
  /** Largest number of async operations outstanding at once. */
  maxInFlight: number;
}

export async function runInflight(
  store: BenchStore,
  stream: OpStream,
  from: number,
  to: number,
  limit: number,
  samples: Float64Array,
  deadline: number,
): Promise<InflightResult> {
  const ops = stream.ops;
  const keys = stream.keys;
  let inFlight = 0;
  let maxInFlight = 0;
  let misses = 0;
  let pending = 0;
  let sampled = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    inFlight--;
    if (wake !== undefined) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const fail = (err: unknown): void => {
    failure ??= err;
    settle();
  };
  const start = performance.now();
  let i = from;
  for (; i < to; i++) {
    if (failure !== undefined) break;
    const sample = (i & SAMPLE_MASK) === 0;
    const t0 = sample ? performance.now() : 0;
    if ((i & 4095) === 0) {
      if (performance.now() > deadline) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    const op = ops[i]!;
    const key = keys[i]!;
    let r: Status;
    if (op === OP_READ) r = store.readSync(key);
    else if (op === OP_UPDATE) r = store.updateSync(key, i);
    else r = store.rmwSync(key);
    if (r !== PENDING) {
      if (r === MISS) misses++;
      if (sample) samples[sampled++] = performance.now() - t0;
      continue;
    }
    pending++;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    let p: Promise<unknown>;
    if (op === OP_READ) {
      p = store.read(key).then((s) => {
        if (s === MISS) misses++;
      });
    } else if (op === OP_UPDATE) {
      p = store.update(key, i);
    } else {
      p = store.rmw(key);
    }
    if (sample) {
      const slot = sampled++;
      p = p.then(() => {
        samples[slot] = performance.now() - t0;
      });
    }
    p.then(settle, fail);
    while (inFlight >= limit) await new Promise<void>((res) => (wake = res));
  }
  while (inFlight > 0) await new Promise<void>((res) => (wake = res));
  if (failure !== undefined) throw failure;
  return { done: i - from, seconds: (performance.now() - start) / 1000, sampled, misses, pending, maxInFlight };
}
