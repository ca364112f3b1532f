import { describe, expect, it } from 'vitest';
import { FasterKv, CompactionRangeError, ConfigError } from '../../src/index.js';
import { RamDevice, NullTestDevice } from '../helpers/ram-device.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const key = (i: number) => enc.encode(`key-${i}`);
const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : dec.decode(v));

async function deviceStore(extra: Record<string, unknown> = {}) {
  return FasterKv.open({
    index: { buckets: 256 },
    log: { device: new RamDevice(), pageSize: 4096, memorySize: 4 * 4096, mutableFraction: 0.5 },
    ...extra,
  });
}

describe('read cache', () => {
  it('serves repeated reads of evicted records from memory, and counts hits and misses', async () => {
    const store = await deviceStore({ readCache: { memorySize: 4 * 4096, pageSize: 4096 } });
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(key(i), `value-${i}`);
    expect(text(await s.read(key(3)))).toBe('value-3'); // from the device: a miss, now cached
    const before = store.stats().log.deviceReads;
    for (let r = 0; r < 5; r++) expect(text(await s.read(key(3)))).toBe('value-3');
    expect(store.stats().log.deviceReads).toBe(before);
    const rc = store.stats().readCache!;
    expect(rc.hits).toBe(5);
    expect(rc.misses).toBeGreaterThanOrEqual(1);
    // The sync path sees cached copies too.
    expect(text(s.readSync(key(3)) as Uint8Array)).toBe('value-3');
    await store.close();
  });

  it('invalidates a cached copy on upsert, rmw and delete', async () => {
    const store = await deviceStore({ readCache: { memorySize: 4 * 4096, pageSize: 4096 } });
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(key(i), `value-${i}`);
    for (const i of [1, 2, 3]) await s.read(key(i));
    await s.upsert(key(1), 'new-1');
    expect(text(await s.read(key(1)))).toBe('new-1');
    expect(text(await s.rmw(key(2), (old) => enc.encode(`${text(old)}!`)))).toBe('value-2!');
    expect(text(await s.read(key(2)))).toBe('value-2!');
    await s.delete(key(3));
    expect(await s.read(key(3))).toBeUndefined();
    await store.close();
  });

  it('evicts old copies (unlinking them) and gives recently read ones a second chance', async () => {
    const store = await deviceStore({ readCache: { memorySize: 3 * 4096, pageSize: 4096 } });
    const s = store.startSession();
    for (let i = 0; i < 3000; i++) await s.upsert(key(i), `value-${i}`);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1500; i++) {
        expect(text(await s.read(key(i)))).toBe(`value-${i}`);
        expect(text(await s.read(key(7)))).toBe('value-7');
      }
    }
    const rc = store.stats().readCache!;
    expect(rc.evicted).toBeGreaterThan(100);
    expect(rc.secondChance).toBeGreaterThan(0);
    for (let i = 0; i < 3000; i += 13) expect(text(await s.read(key(i)))).toBe(`value-${i}`);
    await store.close();
  });

  it('rejects a read cache larger than the log memory', async () => {
    await expect(deviceStore({ readCache: { memorySize: 1 << 20 } })).rejects.toThrow(ConfigError);
    await expect(deviceStore({ readCache: { memorySize: 1 << 20 } })).rejects.toThrow(/readCache\.memorySize/);
  });
});

describe('conditional insert', () => {
  it('inserts only when no newer version exists above the given address, in memory or on the device', async () => {
    const store = await deviceStore();
    const s = store.startSession();
    await s.upsert(key(1), 'old');
    const oldAddress = await store.latestAddress(key(1));
    await s.upsert(key(1), 'newer-and-longer-so-it-appends');
    expect(await store.conditionalInsert(key(1), enc.encode('stale copy'), oldAddress)).toBe(false);
    expect(text(await s.read(key(1)))).toBe('newer-and-longer-so-it-appends');
    const newest = await store.latestAddress(key(1));
    // Push the newest version to the device, then the check must follow the chain there.
    for (let i = 100; i < 2000; i++) await s.upsert(key(i), `filler-${i}`);
    expect(newest).toBeLessThan(store.stats().log.headAddress);
    expect(await store.conditionalInsert(key(1), enc.encode('stale copy'), oldAddress)).toBe(false);
    expect(await store.conditionalInsert(key(1), enc.encode('copy of newest'), newest)).toBe(true);
    expect(text(await s.read(key(1)))).toBe('copy of newest');
    expect(await store.conditionalInsert(key(99999), enc.encode('fresh'), 64)).toBe(true);
    expect(text(await s.read(key(99999)))).toBe('fresh');
    await store.close();
  });
});

describe('log scan', () => {
  it('yields every version, or only live records', async () => {
    const store = await FasterKv.open({ log: { device: new NullTestDevice(), pageSize: 1024, memorySize: 1 << 20, mutableFraction: 0.5 } });
    const s = store.startSession();
    for (let i = 0; i < 100; i++) await s.upsert(key(i), `v1-${i}`);
    store.hlog.shiftReadOnly(store.hlog.tailAddress);
    for (let i = 0; i < 50; i++) await s.upsert(key(i), `v2-${i}`);
    for (let i = 90; i < 100; i++) await s.delete(key(i));
    const all = [];
    for await (const r of store.scan()) all.push(r);
    expect(all.length).toBe(160);
    expect(all.filter((r) => r.tombstone).length).toBe(10);
    const live = new Map<string, string>();
    for await (const r of store.scan({ liveOnly: true })) live.set(dec.decode(r.key), dec.decode(r.value));
    expect(live.size).toBe(90);
    expect(live.get('key-3')).toBe('v2-3');
    expect(live.get('key-60')).toBe('v1-60');
    expect(live.has('key-95')).toBe(false);
    await store.close();
  });

  it('scans records on the device, verifying checksums', async () => {
    const device = new RamDevice();
    const store = await deviceStore({ log: { device, pageSize: 4096, memorySize: 4 * 4096, mutableFraction: 0.5 } });
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(key(i), `value-${i}`);
    let n = 0;
    for await (const r of store.scan()) {
      expect(dec.decode(r.value)).toBe(`value-${dec.decode(r.key).slice(4)}`);
      n++;
    }
    expect(n).toBe(2000);
    device.corrupt(64 + 30);
    await expect(async () => {
      for await (const r of store.scan()) void r;
    }).rejects.toThrow(/checksum/);
    await store.close();
  });
});

describe('compaction', () => {
  for (const mode of ['lookup', 'scan'] as const) {
    it(`${mode} mode copies live records, drops shadowed ones and tombstones, and frees the device`, async () => {
      const device = new RamDevice();
      const store = await FasterKv.open({
        index: { buckets: 256 },
        log: { device, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.25 },
      });
      const s = store.startSession();
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 500; i++) await s.upsert(key(i), `r${round}-${i}`);
      }
      for (let i = 0; i < 50; i++) await s.delete(key(i));
      const before = store.stats().log;
      const until = before.readOnlyAddress;
      const r = await store.compact(until, { mode });
      expect(r.recordsScanned).toBeGreaterThan(1000);
      expect(r.bytesReclaimed).toBe(until - before.beginAddress);
      expect(store.stats().log.beginAddress).toBe(until);
      expect(device.extent().begin).toBeGreaterThan(0);
      for (let i = 0; i < 50; i++) expect(await s.read(key(i))).toBeUndefined();
      for (let i = 50; i < 500; i++) expect(text(await s.read(key(i)))).toBe(`r3-${i}`);
      // Compacting again over the now-live tail keeps everything.
      store.hlog.shiftReadOnly(store.hlog.tailAddress);
      await store.compact(store.hlog.readOnlyAddress, { mode });
      for (let i = 50; i < 500; i++) expect(text(await s.read(key(i)))).toBe(`r3-${i}`);
      await store.close();
    });
  }

  it('keeps serving operations while compacting', async () => {
    const store = await deviceStore();
    const s = store.startSession();
    for (let i = 0; i < 1500; i++) await s.upsert(key(i), `a-${i}`);
    const until = store.hlog.readOnlyAddress;
    const compaction = store.compact(until);
    const writes = [];
    for (let i = 0; i < 1500; i += 3) writes.push(s.upsert(key(i), `b-${i}`));
    await Promise.all([compaction, ...writes]);
    for (let i = 0; i < 1500; i++) expect(text(await s.read(key(i)))).toBe(i % 3 === 0 ? `b-${i}` : `a-${i}`);
    await store.close();
  });

  it('refuses ranges beyond the safe read-only address or below begin', async () => {
    const store = await deviceStore();
    const s = store.startSession();
    for (let i = 0; i < 1000; i++) await s.upsert(key(i), `v-${i}`);
    await expect(store.compact(store.hlog.tailAddress)).rejects.toThrow(CompactionRangeError);
    await expect(store.compact(store.hlog.tailAddress)).rejects.toThrow(/beyond the safe read-only address/);
    await expect(store.compact(10)).rejects.toThrow(/rounds down/);
    await store.close();
  });

  it('frees device space only up to the truncation limit (what a durable checkpoint still needs)', async () => {
    const device = new RamDevice();
    const store = await deviceStore({ log: { device, pageSize: 4096, memorySize: 4 * 4096, mutableFraction: 0.5 } });
    const s = store.startSession();
    for (let i = 0; i < 1500; i++) await s.upsert(key(i), `v-${i}`);
    store.truncationLimit = () => 4096 * 2;
    const until = store.hlog.readOnlyAddress;
    await store.compact(until);
    expect(store.stats().log.beginAddress).toBe(until);
    expect(device.extent().begin).toBe(4096 * 2);
    for (let i = 0; i < 1500; i++) expect(text(await s.read(key(i)))).toBe(`v-${i}`);
    await store.close();
  });

  it('runs automatically on a log-size budget', async () => {
    const store = await FasterKv.open({
      index: { buckets: 256 },
      log: { device: new RamDevice(), pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.25 },
      compaction: { enabled: true, maxLogSize: 64 * 4096, triggerFraction: 0.8, compactFraction: 0.5 },
    });
    const s = store.startSession();
    // 1000 keys of ~90-byte records: ~22 pages of live data, rewritten 20 times (~440 pages written).
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) await s.upsert(key(i), `r${round}-${i}-${'x'.repeat(40)}`);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    const st = store.stats();
    expect(st.operations.appends).toBeGreaterThan(15000);
    expect(st.compaction.passes).toBeGreaterThan(3);
    expect(st.log.tailAddress - st.log.beginAddress).toBeLessThan(80 * 4096);
    for (let i = 0; i < 1000; i++) expect(text(await s.read(key(i)))).toBe(`r19-${i}-${'x'.repeat(40)}`);
    await store.close();
  });
});

describe('index growth', () => {
  it('doubles the table while operations continue; concurrent calls share one growth', async () => {
    const store = await FasterKv.open({
      index: { buckets: 64, autoGrow: false },
      log: { device: new RamDevice(), pageSize: 4096, memorySize: 16 * 4096, mutableFraction: 0.5 },
    });
    const s = store.startSession();
    for (let i = 0; i < 5000; i++) await s.upsert(key(i), `v-${i}`);
    const g1 = store.growIndex();
    const g2 = store.growIndex();
    const ops = [];
    for (let i = 0; i < 5000; i += 2) ops.push(s.upsert(key(i), `w-${i}`));
    await Promise.all([g1, g2, ...ops]);
    expect(store.stats().index.buckets).toBe(128);
    expect(store.stats().index.growths).toBe(1);
    for (let i = 0; i < 5000; i++) expect(text(await s.read(key(i)))).toBe(i % 2 === 0 ? `w-${i}` : `v-${i}`);
    await store.close();
  });

  it('grows automatically past index.maxLoad', async () => {
    const store = await FasterKv.open({ index: { buckets: 16, maxLoad: 0.5 }, log: { device: new NullTestDevice(), pageSize: 4096, memorySize: 1 << 22 } });
    const s = store.startSession();
    for (let i = 0; i < 20000; i++) await s.upsert(key(i), `v-${i}`);
    const st = store.stats().index;
    expect(st.buckets).toBeGreaterThanOrEqual(2048);
    expect(st.load).toBeLessThanOrEqual(0.5);
    for (let i = 0; i < 20000; i += 7) expect(text(await s.read(key(i)))).toBe(`v-${i}`);
    await store.close();
  });
});
