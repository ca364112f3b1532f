/**
 * Prometheus metrics for an F2Kv or a FasterKv, through prom-client.
 *
 * Every metric is computed when the registry is scraped, from one `store.stats()` snapshot per
 * scrape: nothing is added to the operation path. Counters mirror the store's own monotonic
 * counters (reset and set at collect time); gauges mirror its current sizes and addresses.
 * Latencies come from the histograms the object stores keep for their requests (p50 / p99); the
 * store keeps no per-operation latency histogram, so none is exported for operations.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { REQUEST_KINDS, type ObjectStoreStats } from '../devices/object-store-stats.js';
import { F2Kv, type F2KvStats } from '../f2/f2-kv.js';
import type { FasterKv } from '../hot/faster-kv.js';
import type { KvEngineStats } from '../kv/kv-engine.js';

/** A store whose stats can be exported. */
export type MeteredStore = F2Kv | FasterKv;

/** Options of registerMetrics. */
export interface MetricsOptions {
  /** Prefix of every metric name (default "f2kv_"). */
  prefix?: string;
}

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

/** The stats of one scrape: F2 stats for an F2Kv, engine stats for a FasterKv. */
interface Snapshot {
  f2: F2KvStats | undefined;
  hot: KvEngineStats;
}

const MS_PER_SECOND = 1000;

/**
 * Registers the store's metrics in `registry` (a prom-client Registry) and returns their names.
 * Call once per store and registry; register a second store in a second registry (or give it a
 * different prefix). The metrics read the store when scraped, also after it closed.
 */
export function registerMetrics(store: MeteredStore, registry: Registry, options: MetricsOptions = {}): string[] {
  const prefix = options.prefix ?? 'f2kv_';
  const f2 = store instanceof F2Kv ? store : undefined;
  const hotStore = f2 !== undefined ? f2.hot : (store as FasterKv);

  // One stats() call per scrape: prom-client collects every metric of a scrape in one turn.
  let cached: Snapshot | undefined;
  const snapshot = (): Snapshot => {
    if (cached === undefined) {
      const f2Stats = f2?.stats();
      cached = { f2: f2Stats, hot: f2Stats?.hot ?? hotStore.stats() };
      setImmediate(() => {
        cached = undefined;
      });
    }
    return cached;
  };

  const names: string[] = [];
  const counter = (name: string, help: string, labelNames: readonly string[], samples: (s: Snapshot) => readonly Sample[]): void => {
    names.push(prefix + name);
    new Counter({
      name: prefix + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples(snapshot())) this.inc(labels, Math.max(0, value));
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: readonly string[], samples: (s: Snapshot) => readonly Sample[]): void => {
    names.push(prefix + name);
    new Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples(snapshot())) this.set(labels, value);
      },
    });
  };

  // ---------------------------------------------------------------- operations
  counter('operations_total', 'Operations issued, by kind (read, upsert, rmw, delete).', ['kind'], ({ f2: s, hot }) => {
    const o = s?.operations ?? hot.operations;
    return [[{ kind: 'read' }, o.reads], [{ kind: 'upsert' }, o.upserts], [{ kind: 'rmw' }, o.rmws], [{ kind: 'delete' }, o.deletes]];
  });
  counter('operation_retries_total', 'Operations retried because a concurrent change (compaction, migration, growth) moved what they read.', [], ({ f2: s, hot }) => [
    [{}, s?.operations.retries ?? hot.operations.retries],
  ]);
  counter('hot_operation_outcomes_total', 'Hot-tier operation outcomes: in-place updates, appends, reads that went to the device (pending), writes that waited for log room.', ['outcome'], ({ hot }) => [
    [{ outcome: 'in_place_update' }, hot.operations.inPlaceUpdates],
    [{ outcome: 'append' }, hot.operations.appends],
    [{ outcome: 'pending_read' }, hot.operations.pendingReads],
    [{ outcome: 'waited_for_room' }, hot.operations.pendingRoomWaits],
  ]);
  if (f2 !== undefined) {
    counter('reads_total', 'Reads by where they were served: hot memory, read cache, hot device, cold tier, or not found.', ['tier'], ({ f2: s }) => {
      const r = s!.reads;
      return [
        [{ tier: 'hot_memory' }, r.hotMemory], [{ tier: 'read_cache' }, r.readCache], [{ tier: 'hot_device' }, r.hotDevice],
        [{ tier: 'cold' }, r.cold], [{ tier: 'not_found' }, r.notFound],
      ];
    });
    gauge('cold_gets_per_read', 'Object GETs per read served by the cold tier (chunk + record reads).', [], ({ f2: s }) => [[{}, s!.getsPerColdRead]]);
  }
  gauge('sessions', 'Open sessions of the hot tier.', [], ({ hot }) => [[{}, hot.sessions]]);

  // ---------------------------------------------------------------- logs, index, memory
  gauge('log_address', 'Log addresses (begin, head, read-only, flushed, tail) by tier.', ['tier', 'address'], ({ f2: s, hot }) => {
    const l = hot.log;
    const out: Sample[] = [
      [{ tier: 'hot', address: 'begin' }, l.beginAddress], [{ tier: 'hot', address: 'head' }, l.headAddress],
      [{ tier: 'hot', address: 'read_only' }, l.readOnlyAddress], [{ tier: 'hot', address: 'flushed' }, l.flushedUntilAddress],
      [{ tier: 'hot', address: 'tail' }, l.tailAddress],
    ];
    if (s !== undefined) out.push([{ tier: 'cold', address: 'begin' }, s.cold.log.beginAddress], [{ tier: 'cold', address: 'tail' }, s.cold.log.tailAddress]);
    return out;
  });
  gauge('log_bytes', 'Log size (tail − begin) by tier, bytes.', ['tier'], ({ f2: s, hot }) => {
    const out: Sample[] = [[{ tier: 'hot' }, hot.log.tailAddress - hot.log.beginAddress]];
    if (s !== undefined) out.push([{ tier: 'cold' }, s.cold.log.bytes], [{ tier: 'cold_chunks' }, s.cold.index.chunkLogBytes]);
    return out;
  });
  counter('log_pages_flushed_total', 'Log pages flushed to the device, by tier.', ['tier'], ({ f2: s, hot }) => {
    const out: Sample[] = [[{ tier: 'hot' }, hot.log.pagesFlushed]];
    if (s !== undefined) out.push([{ tier: 'cold' }, s.cold.log.pagesFlushed]);
    return out;
  });
  counter('log_pages_evicted_total', 'Hot log pages evicted from memory.', [], ({ hot }) => [[{}, hot.log.pagesEvicted]]);
  counter('log_device_reads_total', 'Hot log records read back from the device.', [], ({ hot }) => [[{}, hot.log.deviceReads]]);
  counter('log_backpressure_waits_total', 'Times a writer waited because hot log flushes were behind.', [], ({ hot }) => [[{}, hot.log.backpressureWaits]]);
  gauge('index_entries', 'Hot index entries in use, and its buckets.', ['what'], ({ hot }) => [
    [{ what: 'entries' }, hot.index.entries], [{ what: 'buckets' }, hot.index.buckets], [{ what: 'overflow_buckets' }, hot.index.overflowBuckets],
  ]);
  gauge('index_fill_ratio', 'Hot index entries per slot (7 per bucket).', [], ({ hot }) => [
    [{}, hot.index.buckets === 0 ? 0 : hot.index.entries / (hot.index.buckets * 7)],
  ]);
  gauge('memory_bytes', 'Memory by structure, bytes.', ['structure'], ({ f2: s, hot }) => {
    if (s !== undefined) {
      const m = s.memory;
      return [
        [{ structure: 'hot_index' }, m.hotIndex], [{ structure: 'hot_log' }, m.hotLog], [{ structure: 'read_cache' }, m.readCache],
        [{ structure: 'cold_table' }, m.coldTable], [{ structure: 'chunk_cache' }, m.chunkCache], [{ structure: 'cold_log_buffer' }, m.coldLogBuffer],
      ];
    }
    return [[{ structure: 'hot_index' }, hot.index.bytes], [{ structure: 'hot_log' }, hot.log.memoryBytes], [{ structure: 'read_cache' }, hot.readCache?.memoryBytes ?? 0]];
  });
  counter('read_cache_lookups_total', 'Hot read cache lookups by result.', ['result'], ({ hot }) =>
    hot.readCache === undefined ? [] : [[{ result: 'hit' }, hot.readCache.hits], [{ result: 'miss' }, hot.readCache.misses]],
  );
  gauge('index_growths', 'Times the hot index doubled.', [], ({ hot }) => [[{}, hot.index.growths ?? 0]]);
  if (f2 !== undefined) {
    counter('cold_chunk_lookups_total', 'Cold index chunk lookups by result (hit: chunk in memory; miss: read from object storage).', ['result'], ({ f2: s }) => [
      [{ result: 'hit' }, s!.cold.index.chunkHits], [{ result: 'miss' }, s!.cold.index.chunkMisses],
    ]);
    gauge('cold_index_chunks', 'Cold index hash chunks.', [], ({ f2: s }) => [[{}, s!.cold.index.chunks]]);
  }
  counter('device_bytes_total', 'Hot log device bytes by direction.', ['direction'], ({ hot }) => [
    [{ direction: 'read' }, hot.device.bytesRead], [{ direction: 'written' }, hot.device.bytesWritten],
  ]);

  // ---------------------------------------------------------------- compaction
  counter('compaction_passes_total', 'Compaction passes: hot (hot log onto itself), hot_to_cold (migration), cold_to_cold.', ['kind'], ({ f2: s, hot }) =>
    s !== undefined
      ? [[{ kind: 'hot_to_cold' }, s.hotToCold.passes], [{ kind: 'cold_to_cold' }, s.coldToCold.passes]]
      : [[{ kind: 'hot' }, hot.compaction.passes]],
  );
  counter('compaction_records_total', 'Records handled by compaction, by kind and what happened to them.', ['kind', 'result'], ({ f2: s, hot }) =>
    s !== undefined
      ? [
          [{ kind: 'hot_to_cold', result: 'scanned' }, s.hotToCold.recordsScanned],
          [{ kind: 'hot_to_cold', result: 'moved' }, s.hotToCold.recordsMoved],
          [{ kind: 'hot_to_cold', result: 'tombstone_moved' }, s.hotToCold.tombstonesMoved],
          [{ kind: 'cold_to_cold', result: 'copied' }, s.coldToCold.recordsCopied],
          [{ kind: 'cold_to_cold', result: 'tombstone_dropped' }, s.coldToCold.tombstonesDropped],
        ]
      : [[{ kind: 'hot', result: 'copied' }, hot.compaction.recordsCopied]],
  );
  counter('compaction_reclaimed_bytes_total', 'Log bytes reclaimed by compaction, by kind.', ['kind'], ({ f2: s, hot }) =>
    s !== undefined
      ? [[{ kind: 'hot_to_cold' }, s.hotToCold.bytesReclaimed], [{ kind: 'cold_to_cold' }, s.coldToCold.bytesReclaimed]]
      : [[{ kind: 'hot' }, hot.compaction.bytesReclaimed]],
  );
  if (f2 !== undefined) {
    gauge('compaction_longest_pass_seconds', 'Longest compaction pass since open, by kind.', ['kind'], ({ f2: s }) => [
      [{ kind: 'hot_to_cold' }, s!.hotToCold.longestPassMs / MS_PER_SECOND], [{ kind: 'cold_to_cold' }, s!.coldToCold.longestPassMs / MS_PER_SECOND],
    ]);
  }

  // ---------------------------------------------------------------- checkpoints
  counter('checkpoints_total', 'Checkpoints by outcome (ok: durable; failed: threw).', ['outcome'], ({ f2: s, hot }) => {
    const c = s?.checkpoints ?? hot.checkpoints;
    return [[{ outcome: 'ok' }, c.taken], [{ outcome: 'failed' }, c.failed]];
  });
  gauge('checkpoint_last_duration_seconds', 'Duration of the newest successful checkpoint.', [], ({ f2: s, hot }) => [
    [{}, (s?.checkpoints.lastMs ?? hot.checkpoints.lastMs) / MS_PER_SECOND],
  ]);
  if (f2 === undefined) {
    counter('checkpoint_duration_seconds_total', 'Time spent in successful checkpoints.', [], ({ hot }) => [[{}, hot.checkpoints.totalMs / MS_PER_SECOND]]);
  }
  counter('checkpoint_bytes_total', 'Bytes written to the checkpoint store (hot tier index and log snapshots, manifests).', [], ({ f2: s, hot: _hot }) => [
    [{}, (s !== undefined ? s.requests.hotCheckpoints : hotStore.checkpointStoreStats())?.bytesWritten ?? 0],
  ]);

  // ---------------------------------------------------------------- object storage and cost
  const stores = (s: Snapshot): [string, ObjectStoreStats][] => {
    const out: [string, ObjectStoreStats][] = [];
    const checkpoints = s.f2 !== undefined ? s.f2.requests.hotCheckpoints : hotStore.checkpointStoreStats();
    if (checkpoints !== undefined) out.push(['checkpoints', checkpoints]);
    if (s.f2 !== undefined) out.push(['cold', s.f2.requests.cold]);
    return out;
  };
  const perKind = (field: 'requests' | 'bytes' | 'errors' | 'retries') => (s: Snapshot): Sample[] =>
    stores(s).flatMap(([tier, st]) => REQUEST_KINDS.map((kind): Sample => [{ tier, kind }, st.byKind[kind][field]]));
  counter('object_store_requests_total', 'Object-store requests (every attempt) by tier and kind.', ['tier', 'kind'], perKind('requests'));
  counter('object_store_bytes_total', 'Object-store payload bytes by tier and kind (read for GET, written for PUT).', ['tier', 'kind'], perKind('bytes'));
  counter('object_store_errors_total', 'Object-store operations that failed after retries, by tier and kind.', ['tier', 'kind'], perKind('errors'));
  counter('object_store_retries_total', 'Object-store attempts beyond the first, by tier and kind.', ['tier', 'kind'], perKind('retries'));
  gauge('object_store_request_latency_seconds', 'Object-store request latency quantiles since open (including retries), by tier and kind.', ['tier', 'kind', 'quantile'], (s) =>
    stores(s).flatMap(([tier, st]) =>
      REQUEST_KINDS.flatMap((kind): Sample[] => [
        [{ tier, kind, quantile: '0.5' }, st.byKind[kind].latencyP50Ms / MS_PER_SECOND],
        [{ tier, kind, quantile: '0.99' }, st.byKind[kind].latencyP99Ms / MS_PER_SECOND],
      ]),
    ),
  );
  if (f2 !== undefined) {
    counter('estimated_cost_dollars_total', 'Estimated object-store request cost in dollars (prices as configured).', [], ({ f2: s }) => [[{}, s!.cost.dollars]]);
    gauge('event_loop_longest_pause_seconds', 'Longest event-loop pause since open (includes migration and compaction slices).', [], ({ f2: s }) => [
      [{}, s!.longestEventLoopPauseMs / MS_PER_SECOND],
    ]);
  }
  return names;
}
