import { describe, expect, it } from 'vitest';
import { FasterKv, PENDING, PENDING_CODE, ClosedError, RecordTooLargeError, ConfigError } from '../../src/index.js';
import { RamDevice, NullTestDevice } from '../helpers/ram-device.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

function smallDeviceStore(memoryPages = 4, pageSize = 4096, device = new RamDevice()) {
  return FasterKv.open({
    index: { buckets: 64 },
    log: { device, pageSize, memorySize: memoryPages * pageSize, mutableFraction: 0.5 },
  });
}

describe('FasterKv basics (in memory)', () => {
  it('upserts, reads, updates in place, deletes', async () => {
    const store = await FasterKv.open({ index: { buckets: 16 }, log: { device: new NullTestDevice(), pageSize: 4096, memorySize: 1 << 20 } });
    const s = store.startSession();
    expect(await s.read('a')).toBeUndefined();
    await s.upsert('a', 'one');
    expect(dec.decode(await s.read('a'))).toBe('one');
    await s.upsert('a', 'two');
    expect(dec.decode(await s.read('a'))).toBe('two');
    expect(store.stats().operations.inPlaceUpdates).toBe(1);
    await s.upsert('a', 'a much longer value than before');
    expect(dec.decode(await s.read('a'))).toBe('a much longer value than before');
    await s.delete('a');
    expect(await s.read('a')).toBeUndefined();
    await s.upsert('a', 'back');
    expect(dec.decode(await s.read('a'))).toBe('back');
    expect(s.serial).toBe(11);
    await store.close();
  });

  it('keeps many keys apart through tag collisions and overflow buckets', async () => {
    const store = await FasterKv.open({ index: { buckets: 2 }, log: { device: new NullTestDevice(), pageSize: 4096, memorySize: 1 << 22 } });
    const s = store.startSession();
    for (let i = 0; i < 5000; i++) await s.upsert(u64(i), u64(i * 7));
    for (let i = 0; i < 5000; i++) expect(await s.read(u64(i))).toEqual(u64(i * 7));
    expect(await s.read(u64(5000))).toBeUndefined();
    expect(store.stats().index.overflowBuckets).toBeGreaterThan(0);
    await store.close();
  });

  it('rmw creates, updates and sees deletes', async () => {
    const store = await FasterKv.open({ log: { device: new NullTestDevice(), pageSize: 4096, memorySize: 1 << 20 } });
    const s = store.startSession();
    const inc = (old: Uint8Array | undefined) => u64((old ? Number(new DataView(old.buffer, old.byteOffset).getBigUint64(0, true)) : 0) + 1);
    for (let i = 0; i < 5; i++) await s.rmw('counter', inc);
    expect(await s.read('counter')).toEqual(u64(5));
    await s.delete('counter');
    expect(await s.rmw('counter', inc)).toEqual(u64(1));
    expect(s.rmwSync('counter', inc)).toEqual(u64(2));
    await store.close();
  });

  it('sync fast path: readSync, readInto, upsertSync, deleteSync', async () => {
    const store = await FasterKv.open({ log: { device: new NullTestDevice(), pageSize: 4096, memorySize: 1 << 20 } });
    const s = store.startSession();
    expect(s.upsertSync('k', 'value')).toBeUndefined();
    expect(dec.decode(s.readSync('k') as Uint8Array)).toBe('value');
    const out = new Uint8Array(16);
    expect(s.readInto('k', out)).toBe(5);
    expect(dec.decode(out.subarray(0, 5))).toBe('value');
    expect(s.readInto('k', new Uint8Array(2))).toBe(5);
    expect(s.readInto('missing', out)).toBe(-1);
    s.deleteSync('k');
    expect(s.readSync('k')).toBeUndefined();
    await store.close();
  });

  it('rejects bad input with clear errors and stays usable', async () => {
    const store = await FasterKv.open({ log: { device: new NullTestDevice(), pageSize: 4096, memorySize: 1 << 20 } });
    const s = store.startSession();
    // @ts-expect-error wrong type on purpose
    await expect(s.upsert(42, 'x')).rejects.toThrow(TypeError);
    // @ts-expect-error wrong type on purpose
    expect(() => s.readSync({})).toThrow(/key must be a Uint8Array or a string/);
    await expect(s.upsert('big', new Uint8Array(5000))).rejects.toThrow(RecordTooLargeError);
    await expect(s.rmw('k', () => 5 as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await s.upsert('ok', 'fine');
    expect(dec.decode(await s.read('ok'))).toBe('fine');
    await store.close();
    await expect(s.read('ok')).rejects.toThrow(ClosedError);
    expect(() => s.upsertSync('ok', 'x')).toThrow(/store is closed/);
    expect(() => store.startSession()).toThrow(ClosedError);
  });

  it('validates options, naming the option', async () => {
    await expect(FasterKv.open({ index: { buckets: 3 } })).rejects.toThrow(/index\.buckets/);
    await expect(FasterKv.open({ log: { pageSize: '3KiB' } })).rejects.toThrow(/log\.pageSize/);
    await expect(FasterKv.open({ log: { pageSize: 4096, memorySize: 4096 } })).rejects.toThrow(/log\.memorySize/);
    await expect(FasterKv.open({ log: { mutableFraction: 0 } })).rejects.toThrow(/log\.mutableFraction/);
    await expect(FasterKv.open({ log: { memorySize: 'lots' } })).rejects.toThrow(ConfigError);
    // @ts-expect-error unknown option on purpose
    await expect(FasterKv.open({ log: { pagesize: 4096 } })).rejects.toThrow(/log\.pagesize: unknown option/);
  });
});

describe('FasterKv larger than memory', () => {
  it('flushes, evicts and reads evicted records back through pending I/O', async () => {
    const device = new RamDevice();
    const store = await smallDeviceStore(4, 4096, device);
    const s = store.startSession();
    const n = 3000;
    for (let i = 0; i < n; i++) await s.upsert(u64(i), enc.encode(`value-${i}`));
    const st = store.stats();
    expect(st.log.headAddress).toBeGreaterThan(64);
    expect(st.log.pagesEvicted).toBeGreaterThan(10);
    const serial = s.serial;
    expect(s.readSync(u64(0))).toBe(PENDING);
    expect(s.readInto(u64(0), new Uint8Array(32))).toBe(PENDING_CODE);
    expect(s.serial).toBe(serial); // a PENDING sync call did nothing and uses no serial number
    for (let i = 0; i < n; i += 7) expect(dec.decode(await s.read(u64(i)))).toBe(`value-${i}`);
    expect(await s.read(u64(n + 1))).toBeUndefined();
    expect(store.stats().operations.pendingReads).toBeGreaterThan(0);
    // RMW of an evicted record reads its old value from the device.
    const r = await s.rmw(u64(1), (old) => enc.encode(dec.decode(old) + '+'));
    expect(dec.decode(r)).toBe('value-1+');
    expect(dec.decode(await s.read(u64(1)))).toBe('value-1+');
    // Delete of an evicted record shadows it.
    await s.delete(u64(2));
    expect(await s.read(u64(2))).toBeUndefined();
    await store.close();
  });

  it('runs many concurrent async operations under backpressure', async () => {
    const store = await smallDeviceStore(3, 1024, new RamDevice(3));
    const s = store.startSession();
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 2000; i++) ops.push(s.upsert(u64(i % 500), enc.encode(`v${i}`)));
    await Promise.all(ops);
    expect(store.stats().operations.pendingRoomWaits).toBeGreaterThan(0);
    const reads = await Promise.all(Array.from({ length: 500 }, (_, k) => s.read(u64(k))));
    reads.forEach((v, k) => expect(dec.decode(v)).toBe(`v${1500 + k}`));
    await store.close();
  });

  it('detects a corrupted record on the device', async () => {
    const device = new RamDevice();
    const store = await smallDeviceStore(4, 4096, device);
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(u64(i), enc.encode(`value-${i}`));
    // Record for key 0 is the first record of the log, at address 64; flip a byte of its value.
    device.corrupt(64 + 24 + 8 + 2);
    await expect(s.read(u64(0))).rejects.toThrow(/checksum/);
    expect(dec.decode(await s.read(u64(1)))).toBe('value-1');
    await store.close();
  });

  it('raises LogFullError for a full memory-only log', async () => {
    const store = await FasterKv.open({ log: { device: new NullTestDevice(), pageSize: 1024, memorySize: 4096 } });
    const s = store.startSession();
    await expect(async () => {
      for (let i = 0; i < 1000; i++) await s.upsert(u64(i), new Uint8Array(100));
    }).rejects.toThrow(/in-memory log is full/);
    await store.close();
  });
});
