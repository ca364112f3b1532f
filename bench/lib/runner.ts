/**
 * One peer, one process: load the records, measure memory, verify, then run every
 * (workload, distribution) cell. The YCSB parent starts one child per peer so that memory deltas
 * are not polluted by another store's heap and V8 sees a single adapter class at each call site.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { delta, fullGc, snapshot, type MemoryDelta } from './memory.js';
import { SAMPLE_MASK, SAMPLE_EVERY, summarize, type LatencySummary } from './latency.js';
import { expectedStamp, MISS, PENDING, type F2kvConfig, type Peer, type PeerConfig, type Status } from './peers/peer.js';
import { generateOps, OP_READ, OP_UPDATE, type Distribution, type OpStream, type WorkloadName } from './workload.js';

export type PeerName = 'map' | 'lmdb' | 'level' | 'f2kv-sync' | 'f2kv-async';

export interface ChildSpec {
  readonly peer: PeerName;
  readonly records: number;
  readonly ops: number;
  /** Untimed operations run from the same stream before each timed cell (JIT warm-up). */
  readonly warmup: number;
  /** A cell stops early after this many seconds (slow peers); its ops/s is over the ops done. */
  readonly maxCellSeconds: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly workloads: readonly WorkloadName[];
  readonly dists: readonly Distribution[];
  readonly seed: number;
  /** How many keys (evenly spaced) to read back and check after load. */
  readonly verify: number;
  readonly dir: string | undefined;
  readonly f2kv: F2kvConfig;
}

export interface CellResult {
  readonly workload: WorkloadName;
  readonly dist: Distribution;
  readonly ops: number;
  /** True when the cell hit maxCellSeconds before running every operation of the stream. */
  readonly capped: boolean;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  /** Reads that found nothing (should be 0: every key was loaded). */
  readonly misses: number;
  /** Sync calls that returned PENDING and were completed through the async API. */
  readonly pendingFallbacks: number;
  readonly distinctKeys: number;
}

export interface ChildResult {
  readonly peer: PeerName;
  readonly notes: readonly string[];
  readonly records: number;
  readonly load: { readonly seconds: number; readonly opsPerSec: number };
  readonly memory: MemoryDelta & { readonly structuralPerRecord: number | undefined };
  readonly verify: { readonly checked: number; readonly wrong: number; readonly seconds: number };
  readonly cells: readonly CellResult[];
  readonly details: Record<string, unknown>;
  readonly memoryAtEnd: MemoryDelta;
}

function log(msg: string): void {
  process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

type PeerFactory = (cfg: PeerConfig) => Promise<Peer>;

/** Imports the peer's module (and its native addon) — done before the memory baseline, so code
 *  and library loading is not charged to the records. */
async function peerFactory(name: PeerName): Promise<PeerFactory> {
  switch (name) {
    case 'map': {
      const { MapPeer } = await import('./peers/map.js');
      return (cfg) => Promise.resolve(new MapPeer(cfg));
    }
    case 'lmdb': {
      const { LmdbPeer } = await import('./peers/lmdb.js');
      return (cfg) => Promise.resolve(new LmdbPeer(cfg));
    }
    case 'level': {
      const { LevelPeer } = await import('./peers/level.js');
      return (cfg) => Promise.resolve(new LevelPeer(cfg));
    }
    case 'f2kv-sync':
    case 'f2kv-async': {
      const { F2kvPeer } = await import('./peers/f2kv.js');
      return (cfg) => F2kvPeer.open(cfg, name === 'f2kv-sync' ? 'sync' : 'async');
    }
  }
}

export async function runChild(spec: ChildSpec): Promise<ChildResult> {
  // Generate every operation stream first: generation is never timed, and its memory is
  // allocated before the baseline snapshot.
  const streams: OpStream[] = [];
  for (const dist of spec.dists) {
    for (const wl of spec.workloads) {
      streams.push(generateOps(wl, dist, spec.records, spec.ops, spec.seed));
    }
  }
  const dir = spec.dir ?? mkdtempSync(join(tmpdir(), `f2kv-bench-${spec.peer}-`));
  const cfg: PeerConfig = { records: spec.records, keySize: spec.keySize, valueSize: spec.valueSize, dir, f2kv: spec.f2kv };
  try {
    const factory = await peerFactory(spec.peer);
    const before = snapshot();
    const peer = await factory(cfg);
    log(`${spec.peer}: loading ${spec.records.toLocaleString('en-US')} records`);
    const t0 = performance.now();
    await peer.load(spec.records, (done) => {
      if (done > 0) log(`${spec.peer}: loaded ${done.toLocaleString('en-US')}`);
    });
    const loadSeconds = (performance.now() - t0) / 1000;
    const afterLoad = snapshot();
    const mem = delta(before, afterLoad, spec.records);
    const structural = peer.structuralBytes();
    log(
      `${spec.peer}: load ${loadSeconds.toFixed(2)} s; rss +${mem.rssPerRecord.toFixed(1)} B/rec, heap+ext +${mem.heapExternalPerRecord.toFixed(1)} B/rec` +
        (structural === undefined ? '' : `, structural ${(structural / spec.records).toFixed(1)} B/rec`),
    );

    const verify = await verifyLoad(peer, spec);
    if (verify.wrong > 0) log(`${spec.peer}: VERIFY FAILED: ${verify.wrong} of ${verify.checked} keys wrong`);

    const cells: CellResult[] = [];
    for (const stream of streams) {
      fullGc();
      if (spec.warmup > 0) await runCell(peer, stream, Math.min(spec.warmup, stream.ops.length), spec.maxCellSeconds / 4);
      fullGc();
      const cell = await runCell(peer, stream, stream.ops.length, spec.maxCellSeconds);
      cells.push(cell);
      log(
        `${spec.peer}: ${cell.workload} ${cell.dist.padEnd(7)} ${(cell.opsPerSec / 1e6).toFixed(3)} Mops/s  p50 ${cell.latency.p50us.toFixed(2)} µs  p99 ${cell.latency.p99us.toFixed(2)} µs` +
          (cell.pendingFallbacks > 0 ? `  pending ${cell.pendingFallbacks}` : '') +
          (cell.misses > 0 ? `  MISSES ${cell.misses}` : '') +
          (cell.capped ? `  (capped at ${cell.ops.toLocaleString('en-US')} ops)` : ''),
      );
    }
    const details = await peer.details();
    const memoryAtEnd = delta(before, snapshot(), spec.records);
    await peer.close();
    return {
      peer: spec.peer,
      notes: peer.notes,
      records: spec.records,
      load: { seconds: loadSeconds, opsPerSec: spec.records / loadSeconds },
      memory: { ...mem, structuralPerRecord: structural === undefined ? undefined : structural / spec.records },
      verify,
      cells,
      details,
      memoryAtEnd,
    };
  } finally {
    if (spec.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

async function verifyLoad(peer: Peer, spec: ChildSpec): Promise<ChildResult['verify']> {
  const n = Math.min(spec.verify, spec.records);
  if (n === 0) return { checked: 0, wrong: 0, seconds: 0 };
  const t0 = performance.now();
  const step = spec.records / n;
  let wrong = 0;
  for (let j = 0; j < n; j++) {
    const key = Math.floor(j * step);
    if ((await peer.stampOf(key)) !== expectedStamp(key, spec.valueSize)) wrong++;
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`${peer.name}: verified ${n.toLocaleString('en-US')} keys in ${seconds.toFixed(2)} s, ${wrong} wrong`);
  return { checked: n, wrong, seconds };
}

/** Runs ops [0, count) of a stream; one clock read pair every SAMPLE_EVERY operations. */
async function runCell(peer: Peer, stream: OpStream, count: number, maxSeconds: number): Promise<CellResult> {
  const samples = new Float64Array(Math.ceil(count / SAMPLE_EVERY) + 1);
  const deadline = performance.now() + maxSeconds * 1000;
  const r = peer.sync ? await loopSync(peer, stream, count, samples, deadline) : await loopAsync(peer, stream, count, samples, deadline);
  return {
    workload: stream.workload,
    dist: stream.dist,
    ops: r.done,
    capped: r.done < count,
    seconds: r.seconds,
    opsPerSec: r.done / r.seconds,
    latency: summarize(samples, r.sampled),
    misses: r.misses,
    pendingFallbacks: r.pending,
    distinctKeys: stream.distinctKeys,
  };
}

interface LoopResult {
  done: number;
  seconds: number;
  sampled: number;
  misses: number;
  pending: number;
}

interface SyncLoopState {
  misses: number;
  pending: number;
  sampled: number;
  /** Set by syncRun when it stops at an operation whose sync call returned PENDING. */
  stoppedAt: number;
  /** Start time of the stopped operation when it is a sampled one, else -1. */
  stoppedT0: number;
  deadlineHit: boolean;
}

/**
 * Runs operations [from, count) through the sync methods in a plain (non-async) function — a loop
 * inside an async function is measurably slower in V8 even when it never awaits — and returns the
 * index it stopped at: `count`, the deadline, or an operation that went PENDING (state.stoppedAt).
 */
function syncRun(peer: Peer, stream: OpStream, from: number, count: number, samples: Float64Array, deadline: number, st: SyncLoopState): number {
  const ops = stream.ops;
  const keys = stream.keys;
  let misses = 0;
  let sampled = st.sampled;
  let i = from;
  st.stoppedAt = -1;
  for (; i < count; i++) {
    const sample = (i & SAMPLE_MASK) === 0;
    const t0 = sample ? performance.now() : 0;
    if ((i & 1023) === 0 && t0 > deadline) {
      st.deadlineHit = true;
      break;
    }
    const op = ops[i]!;
    const key = keys[i]!;
    let r: Status;
    if (op === OP_READ) {
      r = peer.readSync(key);
      if (r === MISS) misses++;
    } else if (op === OP_UPDATE) {
      r = peer.updateSync(key, i);
    } else {
      r = peer.rmwSync(key);
    }
    if (r === PENDING) {
      st.stoppedAt = i;
      st.stoppedT0 = sample ? t0 : -1;
      break;
    }
    if (sample) samples[sampled++] = performance.now() - t0;
  }
  st.misses += misses;
  st.sampled = sampled;
  return i;
}

async function loopSync(peer: Peer, stream: OpStream, count: number, samples: Float64Array, deadline: number): Promise<LoopResult> {
  const st: SyncLoopState = { misses: 0, pending: 0, sampled: 0, stoppedAt: -1, stoppedT0: -1, deadlineHit: false };
  const start = performance.now();
  let i = 0;
  while (i < count) {
    i = syncRun(peer, stream, i, count, samples, deadline, st);
    if (st.stoppedAt < 0) break;
    // Complete the PENDING operation through the async API, then resume the sync loop.
    st.pending++;
    const op = stream.ops[i]!;
    const key = stream.keys[i]!;
    if (op === OP_READ) {
      if ((await peer.read(key)) === MISS) st.misses++;
    } else if (op === OP_UPDATE) {
      await peer.update(key, i);
    } else {
      await peer.rmw(key);
    }
    if (st.stoppedT0 >= 0) samples[st.sampled++] = performance.now() - st.stoppedT0;
    i++;
  }
  return { done: i, seconds: (performance.now() - start) / 1000, sampled: st.sampled, misses: st.misses, pending: st.pending };
}

async function loopAsync(peer: Peer, stream: OpStream, count: number, samples: Float64Array, deadline: number): Promise<LoopResult> {
  const ops = stream.ops;
  const keys = stream.keys;
  let misses = 0;
  let sampled = 0;
  const start = performance.now();
  let i = 0;
  for (; i < count; i++) {
    const sample = (i & SAMPLE_MASK) === 0;
    const t0 = sample ? performance.now() : 0;
    if ((i & 1023) === 0 && t0 > deadline) break;
    const op = ops[i]!;
    const key = keys[i]!;
    if (op === OP_READ) {
      if ((await peer.read(key)) === MISS) misses++;
    } else if (op === OP_UPDATE) {
      await peer.update(key, i);
    } else {
      await peer.rmw(key);
    }
    if (sample) samples[sampled++] = performance.now() - t0;
  }
  return { done: i, seconds: (performance.now() - start) / 1000, sampled, misses, pending: 0 };
}

/**
 * How many Map entries fit before V8 throws (a Map's capacity is bounded by its backing
 * FixedArray, ~2^24 entries). Keys and values as in the Map peer. Prints progress lines
 * "map-limit <count>" on stdout so the parent knows the count even if the process dies of OOM.
 */
export function runMapLimit(target: number, keySize: number, valueSize: number): { count: number; error: string | undefined; seconds: number; rss: number } {
  const map = new Map<string, Uint8Array>();
  const scratch = new Uint8Array(keySize);
  const t0 = performance.now();
  let i = 0;
  let error: string | undefined;
  try {
    for (; i < target; i++) {
      let v = i;
      for (let b = keySize - 1; b >= 0; b--) {
        scratch[b] = v & 0xff;
        v = Math.floor(v / 256);
      }
      const key = String.fromCharCode.apply(null, scratch as unknown as number[]);
      map.set(key, new Uint8Array(valueSize));
      if ((i & 0xfffff) === 0) process.stdout.write(`map-limit ${i}\n`);
    }
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  return { count: map.size, error, seconds: (performance.now() - t0) / 1000, rss: process.memoryUsage().rss };
}
