/**
 * Runs an operation stream against a store with up to `limit` operations in flight (as
 * bench/lib/inflight.ts does: the sync fast path first, the async API when it answers PENDING),
 * timing every operation into an HDR histogram of its kind (read, update, rmw). A cell stops at
 * `to` or at the deadline, whichever comes first. While it runs, an optional durability point
 * (f2kv checkpoint, SlateDB WAL flush) is taken every `checkpointEveryMs`, one at a time.
 */
import { performance } from 'node:perf_hooks';
import { MISS, PENDING, type Status } from './peers/peer.js';
import { OP_READ, OP_UPDATE, type OpStream } from './workload.js';
import type { BenchStore } from './f2-stores.js';
import { KindHistogram } from './kind-latency.js';

export interface CellRun {
  done: number;
  seconds: number;
  misses: number;
  hits: number;
  pending: number;
  maxInFlight: number;
  checkpoints: number;
  checkpointMs: number;
  histograms: { read: KindHistogram; update: KindHistogram; rmw: KindHistogram };
}

export interface Checkpointable {
  checkpoint(): Promise<void>;
}

export function canCheckpoint(store: unknown): store is Checkpointable {
  return typeof (store as { checkpoint?: unknown }).checkpoint === 'function';
}

export async function runCell(
  store: BenchStore,
  stream: OpStream,
  from: number,
  to: number,
  limit: number,
  deadline: number,
  checkpointEveryMs: number,
): Promise<CellRun> {
  const ops = stream.ops;
  const keys = stream.keys;
  const histograms = { read: new KindHistogram(), update: new KindHistogram(), rmw: new KindHistogram() };
  const byOp = [histograms.read, histograms.update, histograms.rmw];
  let inFlight = 0;
  let maxInFlight = 0;
  let misses = 0;
  let pending = 0;
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

  // Periodic durability points.
  let checkpoints = 0;
  let checkpointMs = 0;
  let checkpointRunning: Promise<void> | undefined;
  const timer =
    checkpointEveryMs > 0 && canCheckpoint(store)
      ? setInterval(() => {
          if (checkpointRunning !== undefined) return;
          const t = performance.now();
          checkpointRunning = store
            .checkpoint()
            .then(() => {
              checkpoints++;
              checkpointMs += performance.now() - t;
            }, (e: unknown) => {
              failure ??= e;
            })
            .finally(() => {
              checkpointRunning = undefined;
            });
        }, checkpointEveryMs)
      : undefined;

  const start = performance.now();
  let i = from;
  try {
    for (; i < to; i++) {
      if (failure !== undefined) break;
      // Every operation is timed anyway, so the deadline is checked at each one (a slow store
      // must not run 1,024 more operations past it).
      const t0 = performance.now();
      if (t0 > deadline) break;
      if ((i & 1023) === 0) await new Promise<void>((r) => setImmediate(r));
      const op = ops[i]!;
      const key = keys[i]!;
      const h = byOp[op]!;
      let r: Status;
      if (op === OP_READ) r = store.readSync(key);
      else if (op === OP_UPDATE) r = store.updateSync(key, i);
      else r = store.rmwSync(key);
      if (r !== PENDING) {
        if (r === MISS) misses++;
        h.record(performance.now() - t0);
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
      p.then(() => {
        h.record(performance.now() - t0);
        settle();
      }, fail);
      while (inFlight >= limit) await new Promise<void>((res) => (wake = res));
    }
    while (inFlight > 0) await new Promise<void>((res) => (wake = res));
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
  const seconds = (performance.now() - start) / 1000;
  if (checkpointRunning !== undefined) await checkpointRunning;
  if (failure !== undefined) throw failure;
  const done = i - from;
  let reads = 0;
  for (let j = from; j < i; j++) if (ops[j] === OP_READ) reads++;
  return { done, seconds, misses, hits: reads - misses, pending, maxInFlight, checkpoints, checkpointMs, histograms };
}
