/**
 * registerMetrics on a real F2Kv (cold tier and checkpoints in a temp directory, budgets small
 * enough that records migrate to cold) and on a FasterKv: the scraped text must carry the
 * store's own counts, by kind, tier and outcome.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { F2Kv, FasterKv, registerMetrics } from '../../src/index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-metrics-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The value of one sample line `name{labels} value` in Prometheus text (labels in any order). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = /^([^{ ]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = Object.fromEntries((m[2] ?? '').split(',').filter((p) => p !== '').map((p) => {
      const [k, v] = p.split('=');
      return [k!, v!.replace(/^"|"$/g, '')];
    }));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)} in\n${text}`);
}

describe('registerMetrics', () => {
  it('exports an F2Kv: operations by kind, reads by tier, migration, checkpoints, cold requests and cost', async () => {
    const dir = tmp();
    const store = await F2Kv.open({
      hot: {
        index: { buckets: 512 },
        log: { device: pathToFileURL(join(dir, 'hot')).href, memorySize: '32KiB', pageSize: '4KiB' },
        readCache: { memorySize: '16KiB', pageSize: '4KiB' },
      },
      cold: {
        url: pathToFileURL(join(dir, 'cold')).href,
        index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '32KiB' },
        log: { pageSize: '4KiB', memorySize: '12KiB' },
      },
      compaction: { hotToCold: { maxLogSize: '96KiB', triggerFraction: 0.7, compactFraction: 0.3 } },
      checkpoint: { url: pathToFileURL(join(dir, 'ck')).href },
    });
    const registry = new Registry();
    const names = registerMetrics(store, registry);
    expect(names).toContain('f2kv_reads_total');
    const s = store.startSession();
    const value = new Uint8Array(100).fill(7);
    const KEYS = 3000;
    for (let i = 0; i < KEYS; i++) await s.upsert(`key-${i}`, value);
    for (let i = 0; i < KEYS; i += 3) expect(await s.read(`key-${i}`)).toEqual(value);
    expect(await s.read('absent')).toBeUndefined();
    await s.delete('key-1');
    await store.checkpoint();

    const st = store.stats();
    const text = await registry.metrics();
    expect(sample(text, 'f2kv_operations_total', { kind: 'upsert' })).toBe(KEYS);
    expect(sample(text, 'f2kv_operations_total', { kind: 'read' })).toBe(st.operations.reads);
    expect(sample(text, 'f2kv_operations_total', { kind: 'delete' })).toBe(1);
    expect(sample(text, 'f2kv_reads_total', { tier: 'cold' })).toBe(st.reads.cold);
    expect(st.reads.cold).toBeGreaterThan(0);
    expect(sample(text, 'f2kv_reads_total', { tier: 'not_found' })).toBe(1);
    expect(sample(text, 'f2kv_compaction_passes_total', { kind: 'hot_to_cold' })).toBe(st.hotToCold.passes);
    expect(st.hotToCold.passes).toBeGreaterThan(0);
    expect(sample(text, 'f2kv_compaction_records_total', { kind: 'hot_to_cold', result: 'moved' })).toBe(st.hotToCold.recordsMoved);
    expect(sample(text, 'f2kv_checkpoints_total', { outcome: 'ok' })).toBe(1);
    expect(sample(text, 'f2kv_checkpoints_total', { outcome: 'failed' })).toBe(0);
    expect(sample(text, 'f2kv_checkpoint_last_duration_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'f2kv_checkpoint_bytes_total')).toBeGreaterThan(0);
    expect(sample(text, 'f2kv_object_store_requests_total', { tier: 'cold', kind: 'GET' })).toBe(st.requests.cold.byKind.GET.requests);
    expect(sample(text, 'f2kv_object_store_requests_total', { tier: 'cold', kind: 'PUT' })).toBeGreaterThan(0);
    expect(sample(text, 'f2kv_object_store_bytes_total', { tier: 'cold', kind: 'PUT' })).toBe(st.requests.cold.bytesWritten);
    expect(sample(text, 'f2kv_object_store_request_latency_seconds', { tier: 'cold', kind: 'PUT', quantile: '0.99' })).toBeGreaterThan(0);
    expect(sample(text, 'f2kv_log_bytes', { tier: 'cold' })).toBe(st.cold.log.bytes);
    expect(sample(text, 'f2kv_log_address', { tier: 'hot', address: 'tail' })).toBe(st.hot.log.tailAddress);
    expect(sample(text, 'f2kv_memory_bytes', { structure: 'cold_table' })).toBe(st.memory.coldTable);
    expect(sample(text, 'f2kv_estimated_cost_dollars_total')).toBeCloseTo(st.cost.dollars, 12);
    expect(text).toContain('# TYPE f2kv_operations_total counter');
    expect(text).toContain('# TYPE f2kv_log_bytes gauge');

    // A second scrape sees new operations (nothing is cached across scrapes).
    for (let i = 0; i < 10; i++) await s.upsert(`more-${i}`, value);
    await new Promise((r) => setImmediate(r));
    expect(sample(await registry.metrics(), 'f2kv_operations_total', { kind: 'upsert' })).toBe(KEYS + 10);
    await store.close();
  });

  it('exports a FasterKv: operations, log, index fill, compaction and checkpoints', async () => {
    const dir = tmp();
    const store = await FasterKv.open({
      index: { buckets: 256 },
      log: { device: pathToFileURL(join(dir, 'hot')).href, pageSize: 4096, memorySize: 8 * 4096 },
      checkpoint: { url: pathToFileURL(join(dir, 'ck')).href },
    });
    const registry = new Registry();
    registerMetrics(store, registry, { prefix: 'hot_' });
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(`k${i % 500}`, `value-${i}`);
    for (let i = 0; i < 500; i++) await s.read(`k${i}`);
    await store.checkpoint();
    await store.checkpoint();
    await store.compact(store.hlog.readOnlyAddress);

    const st = store.stats();
    const text = await registry.metrics();
    expect(sample(text, 'hot_operations_total', { kind: 'upsert' })).toBe(2000);
    expect(sample(text, 'hot_operations_total', { kind: 'read' })).toBe(500);
    expect(sample(text, 'hot_hot_operation_outcomes_total', { outcome: 'pending_read' })).toBe(st.operations.pendingReads);
    expect(sample(text, 'hot_checkpoints_total', { outcome: 'ok' })).toBe(2);
    expect(sample(text, 'hot_checkpoint_duration_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'hot_compaction_passes_total', { kind: 'hot' })).toBe(1);
    expect(sample(text, 'hot_index_entries', { what: 'entries' })).toBe(st.index.entries);
    expect(sample(text, 'hot_index_fill_ratio')).toBeCloseTo(st.index.entries / (st.index.buckets * 7), 9);
    expect(sample(text, 'hot_log_pages_evicted_total')).toBeGreaterThan(0);
    expect(sample(text, 'hot_object_store_requests_total', { tier: 'checkpoints', kind: 'PUT' })).toBe(st.checkpoints.taken > 0 ? store.checkpointStoreStats()!.byKind.PUT.requests : 0);
    expect(text).not.toContain('hot_reads_total');
    await store.close();
  });
});
