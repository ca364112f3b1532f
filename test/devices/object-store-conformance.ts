/**
 * The conformance suites: the same tests for every ObjectStore and every StorageDevice.
 * Run under test/ (memory, local directory, file device) and integration/ (Azurite, MinIO).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, CorruptionError, ObjectNotFoundError, ObjectStoreError, PreconditionFailedError } from '../../src/core/errors.js';
import { Prng } from '../../src/core/prng.js';
import type { ObjectStore } from '../../src/devices/object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import type { StorageDevice } from '../../src/devices/storage-device.js';

export interface StoreFactoryOptions {
  /** Keys per LIST page the store should use (to force paging with few keys). */
  listPageSize: number;
}

export interface ObjectStoreConformanceOptions {
  /** S3 etags are content MD5s: an identical rewrite keeps its etag. Everything else changes it. */
  identicalRewriteKeepsEtag?: boolean;
  /** False for stores that list in one go (a local directory walk); default true. */
  pagedListing?: boolean;
  /** Number of keys for the paging test (default 60, with pages of 25). */
  pagingKeys?: number;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Fast byte comparison (deep equality of large typed arrays is slow), reporting the first difference. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (!a.equals(b)) {
    let i = 0;
    while (a[i] === b[i]) i++;
    expect.fail(`bytes differ first at offset ${i}: got ${a[i]}, expected ${b[i]}`);
  }
}

export function randomBytes(n: number, seed: number): Uint8Array {
  return new Prng(seed).fill(new Uint8Array(n));
}

/**
 * `factory` returns a fresh, empty store (e.g. a new prefix) for each test; `cleanup`, if given,
 * runs after each test with that store.
 */
export function describeObjectStoreConformance(
  name: string,
  factory: (o: StoreFactoryOptions) => Promise<ObjectStore>,
  options: ObjectStoreConformanceOptions = {},
  cleanup?: (store: ObjectStore) => Promise<void>,
): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let store: ObjectStore;
    beforeEach(async () => {
      store = await factory({ listPageSize: 25 });
    });
    afterEach(async () => {
      if (cleanup) await cleanup(store);
      await store.close();
    });

    it('puts and gets whole objects, including empty ones, and copies bytes in and out', async () => {
      const data = randomBytes(10_000, 1);
      const { etag } = await store.put('a/b/one.bin', data);
      expect(typeof etag).toBe('string');
      expect(etag.length).toBeGreaterThan(0);
      data[0] = data[0]! ^ 0xff; // caller reuses its buffer
      const got = await store.get('a/b/one.bin');
      expect(got.length).toBe(10_000);
      expect(got[0]).toBe(data[0]! ^ 0xff);
      expectSameBytes(got.subarray(1), data.subarray(1));
      await store.put('empty', new Uint8Array(0));
      expect((await store.get('empty')).length).toBe(0);
      expect(await store.head('empty')).toMatchObject({ size: 0 });
    });

    it('serves ranged gets, clipping ranges that reach past the end', async () => {
      const data = randomBytes(5000, 2);
      await store.put('r', data);
      expectSameBytes(await store.get('r', { offset: 100, length: 200 }), data.subarray(100, 300));
      expectSameBytes(await store.get('r', { offset: 0, length: 5000 }), data);
      expect(await store.get('r', { offset: 4990, length: 100 })).toEqual(data.subarray(4990));
      expect((await store.get('r', { offset: 5000, length: 10 })).length).toBe(0);
      expect((await store.get('r', { offset: 9000, length: 10 })).length).toBe(0);
      expect((await store.get('r', { offset: 10, length: 0 })).length).toBe(0);
      await expect(store.get('r', { offset: -1, length: 2 })).rejects.toBeInstanceOf(ObjectStoreError);
    });

    it('gets into a buffer the caller offers (or a new one), whole or ranged, too small or large enough', async () => {
      const data = randomBytes(70_000, 3);
      await store.put('into', data);
      const roomy = new Uint8Array(100_000).fill(0xaa);
      expectSameBytes(await store.get('into', undefined, { into: roomy }), data);
      expectSameBytes(await store.get('into', { offset: 1000, length: 5000 }, { into: roomy }), data.subarray(1000, 6000));
      expectSameBytes(await store.get('into', { offset: 69_990, length: 100 }, { into: roomy }), data.subarray(69_990));
      expectSameBytes(await store.get('into', undefined, { into: new Uint8Array(10) }), data);
      await expect(store.get('missing', undefined, { into: roomy })).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('reports a missing object as ObjectNotFoundError (get) and undefined (head)', async () => {
      const err = await store.get('missing/key').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as ObjectNotFoundError).key).toBe('missing/key');
      await expect(store.get('missing/key', { offset: 0, length: 10 })).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.head('missing/key')).toBeUndefined();
    });

    it('head reports size and the etag put returned; a rewrite changes content and etag', async () => {
      const first = await store.put('h', enc('first'));
      expect(await store.head('h')).toEqual({ size: 5, etag: first.etag });
      const second = await store.put('h', enc('second!'));
      expect(second.etag).not.toBe(first.etag);
      expect(await store.head('h')).toEqual({ size: 7, etag: second.etag });
      expect(dec(await store.get('h'))).toBe('second!');
      const third = await store.put('h', enc('second!'));
      if (options.identicalRewriteKeepsEtag) expect(third.etag).toBe(second.etag);
      else expect(third.etag).not.toBe(second.etag);
    });

    it('rejects invalid keys', async () => {
      for (const bad of ['', '/abs', 'a//b', 'a/../b', 'dir/', 'a\\b']) {
        await expect(store.put(bad, enc('x'))).rejects.toBeInstanceOf(ObjectStoreError);
      }
    });

    it('create-if-absent: the first wins, a second fails with PreconditionFailedError', async () => {
      await store.put('c', enc('one'), { ifNoneMatch: '*' });
      const err = await store.put('c', enc('two'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreconditionFailedError);
      expect((err as PreconditionFailedError).key).toBe('c');
      expect(dec(await store.get('c'))).toBe('one');
    });

    it('compare-and-swap: the current etag wins, a stale or absent one fails', async () => {
      const v1 = await store.put('cas', enc('v1'));
      const v2 = await store.put('cas', enc('v2'), { ifMatch: v1.etag });
      await expect(store.put('cas', enc('v3'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(dec(await store.get('cas'))).toBe('v2');
      const v3 = await store.put('cas', enc('v3'), { ifMatch: v2.etag });
      expect((await store.head('cas'))?.etag).toBe(v3.etag);
      await expect(store.put('never-written', enc('x'), { ifMatch: v3.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await store.head('never-written')).toBeUndefined();
    });

    it('concurrent create-if-absent: exactly one of many writers wins', async () => {
      const n = 12;
      const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => store.put('race', enc(`writer-${i}`), { ifNoneMatch: '*' })));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      expect(dec(await store.get('race'))).toBe(`writer-${winner}`);
    });

    it('concurrent compare-and-swap from one etag: exactly one wins', async () => {
      const base = await store.put('swap', enc('base'));
      const n = 8;
      const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => store.put('swap', enc(`next-${i}`), { ifMatch: base.etag })));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
    });

    it('a counter incremented by racing compare-and-swap loops loses no update', async () => {
      await store.put('counter', enc('0'));
      const workers = 4;
      const perWorker = 5;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let done = 0; done < perWorker; ) {
            const info = (await store.head('counter'))!;
            const value = Number(dec(await store.get('counter')));
            try {
              await store.put('counter', enc(String(value + 1)), { ifMatch: info.etag });
              done++;
            } catch (e) {
              if (!(e instanceof PreconditionFailedError)) throw e;
            }
          }
        }),
      );
      expect(Number(dec(await store.get('counter')))).toBe(workers * perWorker);
    });

    it('lists every key under a prefix, sorted, across pages', async () => {
      const n = options.pagingKeys ?? 60;
      const keys = Array.from({ length: n }, (_, i) => `p/k-${String((i * 7919) % n).padStart(4, '0')}`);
      await Promise.all(keys.map((k) => store.put(k, enc(k))));
      await store.put('p-sibling', enc('x'));
      await store.put('q/other', enc('x'));
      await store.put('p/deep/er/key', enc('x'));
      const before = store.stats().byKind.LIST.requests;
      const listed = await store.list('p/');
      expect(listed).toEqual([...keys, 'p/deep/er/key'].sort());
      const pages = store.stats().byKind.LIST.requests - before;
      expect(pages).toBeGreaterThanOrEqual(options.pagedListing === false ? 1 : Math.ceil((n + 1) / 25));
      expect(await store.list('p/k-000')).toEqual(keys.filter((k) => k.startsWith('p/k-000')).sort());
      expect(await store.list('p')).toEqual([...keys, 'p/deep/er/key', 'p-sibling'].sort());
      expect(await store.list('nothing/')).toEqual([]);
      const all = await store.list('');
      expect(all).toContain('q/other');
      expect(all).toHaveLength(n + 3);
    });

    it('deletes batches, ignoring absent keys', async () => {
      await Promise.all(['d/1', 'd/2', 'd/3'].map((k) => store.put(k, enc(k))));
      await store.delete(['d/1', 'd/3', 'd/absent']);
      await store.delete([]);
      expect(await store.list('d/')).toEqual(['d/2']);
      await expect(store.get('d/1')).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.head('d/3')).toBeUndefined();
      await store.put('d/1', enc('again'), { ifNoneMatch: '*' });
      expect(dec(await store.get('d/1'))).toBe('again');
    });

    it('makes a rewrite visible atomically: readers see the old or the new object, never a mix', async () => {
      const a = new Uint8Array(512 * 1024).fill(0xaa);
      const b = new Uint8Array(512 * 1024).fill(0xbb);
      await store.put('atomic', a);
      let stop = false;
      let reads = 0;
      const readers = Array.from({ length: 3 }, async () => {
        while (!stop) {
          const got = await store.get('atomic');
          reads++;
          expect(got.length).toBe(a.length);
          const first = got[0];
          expect(first === 0xaa || first === 0xbb).toBe(true);
          expect(got.every((x) => x === first)).toBe(true);
        }
      });
      for (let i = 0; i < 6; i++) await store.put('atomic', i % 2 === 0 ? b : a);
      stop = true;
      await Promise.all(readers);
      expect(reads).toBeGreaterThan(0);
    });

    it('counts requests, bytes and latency by kind', async () => {
      const s0 = store.stats();
      await store.put('s', new Uint8Array(1000));
      await store.get('s', { offset: 0, length: 100 });
      await store.head('s');
      await store.list('s');
      await store.delete(['s']);
      const s1 = store.stats();
      expect(s1.byKind.PUT.requests - s0.byKind.PUT.requests).toBe(1);
      expect(s1.byKind.PUT.bytes - s0.byKind.PUT.bytes).toBe(1000);
      expect(s1.byKind.GET.bytes - s0.byKind.GET.bytes).toBe(100);
      expect(s1.byKind.HEAD.requests - s0.byKind.HEAD.requests).toBe(1);
      expect(s1.byKind.LIST.requests - s0.byKind.LIST.requests).toBeGreaterThanOrEqual(1);
      expect(s1.byKind.DELETE.requests - s0.byKind.DELETE.requests).toBeGreaterThanOrEqual(1);
      expect(s1.byKind.PUT.latencyP50Ms).toBeGreaterThan(0);
      expect(s1.byKind.PUT.latencyP99Ms).toBeGreaterThanOrEqual(s1.byKind.PUT.latencyP50Ms);
      expect(s1.bytesWritten).toBe(s1.byKind.PUT.bytes);
    });

    it('url carries no secret', () => {
      expect(store.url).not.toMatch(/AccountKey|sig=|secret|password/i);
    });
  });

  describe(`ObjectStore conformance: ${name} (closed)`, () => {
    it('refuses calls after close with ClosedError', async () => {
      const s = await factory({ listPageSize: 25 });
      await s.close();
      await expect(s.put('x', enc('x'))).rejects.toBeInstanceOf(ClosedError);
      await expect(s.get('x')).rejects.toBeInstanceOf(ClosedError);
    });
  });
}

export interface DeviceHarness {
  /** Opens the device (again) over the same backing storage. */
  open(): Promise<StorageDevice>;
  /** Removes the backing storage. */
  destroy?(): Promise<void>;
}

export interface DeviceConformanceOptions {
  /** Address granularity at which the device frees space (segment or object size). */
  truncationUnit: number;
}

/** The same tests for every persistent StorageDevice. `harness` returns fresh, empty storage. */
export function describeStorageDeviceConformance(name: string, harness: () => Promise<DeviceHarness>, options: DeviceConformanceOptions): void {
  describe(`StorageDevice conformance: ${name}`, () => {
    let h: DeviceHarness;
    let device: StorageDevice;
    const toDestroy: DeviceHarness[] = [];
    beforeEach(async () => {
      h = await harness();
      toDestroy.push(h);
      device = await h.open();
    });
    afterEach(async () => {
      await device.close().catch(() => undefined);
    });
    afterAll(async () => {
      for (const x of toDestroy) await x.destroy?.();
    });

    it('reads back what was written, whole and in sub-ranges', async () => {
      expect(device.persistent).toBe(true);
      const a = randomBytes(3000, 10);
      await device.write(64, a);
      expectSameBytes(await device.read(64, 3000), a);
      expectSameBytes(await device.read(100, 50), a.subarray(36, 86));
      expect(device.extent()).toEqual({ begin: 64, end: 3064 });
    });

    it('reads right after write resolves, before sync (read-your-writes)', async () => {
      const a = randomBytes(4096, 11);
      await device.write(4096, a);
      expectSameBytes(await device.read(4096 + 1000, 2000), a.subarray(1000, 3000));
    });

    it('copies written bytes: the caller may reuse its buffer once write resolves', async () => {
      const a = randomBytes(4096, 12);
      const copy = a.slice();
      await device.write(0, a);
      a.fill(0);
      expectSameBytes(await device.read(0, 4096), copy);
      await device.sync();
      expectSameBytes(await device.read(0, 4096), copy);
    });

    it('a later overlapping write wins (a partial page flushed again)', async () => {
      const first = randomBytes(1000, 13);
      const full = randomBytes(4096, 14);
      await device.write(8192, first);
      await device.sync();
      await device.write(8192, full);
      expectSameBytes(await device.read(8192, 4096), full);
      await device.sync();
      expectSameBytes(await device.read(8192, 4096), full);
      const patch = randomBytes(100, 15);
      await device.write(8192 + 50, patch);
      const expected = full.slice();
      expected.set(patch, 50);
      expectSameBytes(await device.read(8192, 4096), expected);
      await device.sync();
      expectSameBytes(await device.read(8192, 4096), expected);
    });

    it('stitches reads that span many writes and objects/segments', async () => {
      const unit = options.truncationUnit;
      const total = unit * 3 + 1234;
      const data = randomBytes(total, 16);
      for (let off = 0; off < total; off += 4096) await device.write(off, data.subarray(off, Math.min(total, off + 4096)));
      await device.sync();
      expectSameBytes(await device.read(0, total), data);
      expectSameBytes(await device.read(unit - 10, unit + 20), data.subarray(unit - 10, 2 * unit + 10));
    });

    it('refuses to read what was never written instead of returning zeros', async () => {
      await device.write(4096, randomBytes(100, 17));
      await expect(device.read(0, 10)).rejects.toThrow(/never written|truncated|outside/);
      await expect(device.read(1_000_000, 10)).rejects.toThrow(/never written|truncated|outside/);
    });

    it('returns the written prefix when a read reaches past the end', async () => {
      const a = randomBytes(500, 18);
      await device.write(0, a);
      expectSameBytes(await device.read(400, 1000), a.subarray(400));
    });

    it('truncateUntil frees whole units below and refuses reads there', async () => {
      const unit = options.truncationUnit;
      const data = randomBytes(unit * 4, 19);
      await device.write(0, data);
      await device.sync();
      await device.truncateUntil(unit * 2 + 100);
      expect(device.extent().begin).toBeGreaterThanOrEqual(unit * 2);
      await expect(device.read(10, 10)).rejects.toThrow(/never written|truncated|outside/);
      expectSameBytes(await device.read(unit * 3, 100), data.subarray(unit * 3, unit * 3 + 100));
      expect(device.stats().truncations).toBe(1);
      await device.close();
      device = await h.open();
      expect(device.extent().begin).toBeGreaterThanOrEqual(unit * 2);
      expect(device.extent().begin).toBeLessThanOrEqual(unit * 2 + 100);
      expect(device.extent().end).toBe(unit * 4);
      expectSameBytes(await device.read(unit * 3, 100), data.subarray(unit * 3, unit * 3 + 100));
    });

    it('finds its data again after sync, close and reopen, newest write winning', async () => {
      const data = randomBytes(20_000, 20);
      await device.write(64, data);
      const patch = randomBytes(3000, 21);
      await device.write(64 + 5000, patch);
      await device.sync();
      await device.close();
      device = await h.open();
      // a file device finds whole segments again, an object device the exact first address
      expect(device.extent().begin).toBeLessThanOrEqual(64);
      expect(device.extent().end).toBe(20_064);
      const expected = data.slice();
      expected.set(patch, 5000);
      expectSameBytes(await device.read(64, 20_000), expected);
      // and it keeps writing after reopen
      const more = randomBytes(1000, 22);
      await device.write(20_064, more);
      await device.sync();
      await device.close();
      device = await h.open();
      expect(device.extent().end).toBe(21_064);
      expectSameBytes(await device.read(20_000, 1064), Uint8Array.from([...expected.subarray(19_936), ...more]));
    });

    it('matches a byte-array oracle under a seeded random workload', async () => {
      const seed = Number(process.env['F2KV_TEST_SEED'] ?? 20260212);
      console.info(`device oracle workload seed=${seed} (set F2KV_TEST_SEED to reproduce)`);
      const rng = new Prng(seed);
      const size = options.truncationUnit * 3;
      const oracle = new Uint8Array(size);
      let written = 0;
      for (let op = 0; op < 60; op++) {
        const r = rng.nextInt(10);
        if (r < 6) {
          // mostly sequential appends, sometimes a rewrite of an earlier range
          const len = 1 + rng.nextInt(5000);
          const at = r < 4 || written === 0 ? written : rng.nextInt(written);
          const n = Math.min(len, size - at);
          if (n <= 0) continue;
          const bytes = rng.fill(new Uint8Array(n));
          oracle.set(bytes, at);
          await device.write(at, bytes);
          written = Math.max(written, at + n);
        } else if (r < 9 && written > 0) {
          const at = rng.nextInt(written);
          const n = 1 + rng.nextInt(Math.min(8192, written - at));
          expectSameBytes(await device.read(at, n), oracle.subarray(at, at + n));
        } else {
          await device.sync();
        }
      }
      await device.close();
      device = await h.open();
      expect(device.extent().end).toBe(written);
      if (written > 0) expectSameBytes(await device.read(0, written), oracle.subarray(0, written));
    });

    it('counts writes and reads; refuses calls after close', async () => {
      await device.write(0, new Uint8Array(100));
      await device.read(0, 50);
      expect(device.stats()).toMatchObject({ writes: 1, bytesWritten: 100, reads: 1, bytesRead: 50 });
      await device.close();
      await expect(device.write(0, new Uint8Array(1))).rejects.toBeInstanceOf(ClosedError);
      await expect(device.read(0, 1)).rejects.toBeInstanceOf(ClosedError);
    });
  });
}

/** ObjectLogDevice over a store: the device conformance plus object-specific checks. */
export function describeObjectLogDeviceConformance(name: string, storeFactory: () => Promise<{ store: ObjectStore; reopen(): Promise<ObjectStore>; destroy?(): Promise<void> }>): void {
  const objectSize = 64 * 1024;
  const blockSize = 4096;
  describeStorageDeviceConformance(
    `ObjectLogDevice over ${name}`,
    async () => {
      const s = await storeFactory();
      return {
        open: async () => ObjectLogDevice.open(await s.reopen(), { objectSize, blockSize, ownsStore: true }),
        destroy: async () => {
          await s.destroy?.();
          await s.store.close();
        },
      };
    },
    { truncationUnit: objectSize },
  );

  describe(`ObjectLogDevice specifics over ${name}`, () => {
    let s: { store: ObjectStore; reopen(): Promise<ObjectStore>; destroy?(): Promise<void> };
    beforeEach(async () => {
      s = await storeFactory();
    });
    afterEach(async () => {
      await s.destroy?.();
      await s.store.close();
    });

    it('buffers sequential writes into objects of objectSize: few PUTs per MiB, one GET per read', async () => {
      const device = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      const mib = 1024 * 1024;
      const data = randomBytes(mib, 30);
      const puts0 = s.store.stats().byKind.PUT.requests;
      for (let off = 0; off < mib; off += 4096) await device.write(off, data.subarray(off, off + 4096));
      await device.sync();
      const puts = s.store.stats().byKind.PUT.requests - puts0;
      expect(puts).toBe(mib / objectSize);
      const gets0 = s.store.stats().byKind.GET.requests;
      const bytes0 = s.store.stats().byKind.GET.bytes;
      expectSameBytes(await device.read(5 * 4096 + 17, 4096), data.subarray(5 * 4096 + 17, 6 * 4096 + 17));
      expect(s.store.stats().byKind.GET.requests - gets0).toBe(1);
      // a read of 4 KiB fetches the two 4 KiB blocks it touches plus their checksums
      expect(s.store.stats().byKind.GET.bytes - bytes0).toBe(2 * (4096 + 4));
      await device.close();
    });

    it('names objects so they sort by address and carry the range', async () => {
      const device = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      await device.write(64, randomBytes(objectSize * 2, 31));
      await device.sync();
      const keys = await s.store.list('log/');
      expect(keys).toEqual([...keys].sort());
      expect(keys[0]).toMatch(/^log\/0000000000000040-0000000000010000-[0-9a-f]{12}\.b12\.seg$/);
      await device.close();
    });

    it('deletes objects shadowed by a newer full rewrite after sync, keeping the data', async () => {
      const device = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      await device.write(0, randomBytes(1000, 32));
      await device.sync();
      const full = randomBytes(4096, 33);
      await device.write(0, full);
      await device.sync();
      expect(await s.store.list('log/')).toHaveLength(1);
      expectSameBytes(await device.read(0, 4096), full);
      await device.close();
    });

    it('truncateUntil deletes whole objects below the address', async () => {
      const device = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      await device.write(0, randomBytes(objectSize * 4, 34));
      await device.sync();
      expect(await s.store.list('log/')).toHaveLength(4);
      await device.truncateUntil(objectSize * 2 + 10);
      expect(await s.store.list('log/')).toHaveLength(2);
      await device.close();
    });

    it('reports a damaged object as CorruptionError naming it, never wrong bytes', async () => {
      const device = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      const data = randomBytes(objectSize, 35);
      await device.write(0, data);
      await device.sync();
      const [key] = await s.store.list('log/');
      const raw = await s.store.get(key!);
      const flipped = raw.slice();
      flipped[5000] = flipped[5000]! ^ 0x01;
      await s.store.put(key!, flipped);
      const err = await device.read(4096, 4096).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as CorruptionError).object).toBe(key);
      expect((err as Error).message).toContain(key!);
      // untouched blocks still verify and read
      expectSameBytes(await device.read(20_000, 100), data.subarray(20_000, 20_100));
      // a truncated object
      await s.store.put(key!, raw.subarray(0, 10_000));
      const err2 = await device.read(30_000, 100).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(CorruptionError);
      expect((err2 as Error).message).toMatch(/truncated/);
      // and after reopening too
      await device.close();
      const again = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      await expect(again.read(30_000, 100)).rejects.toBeInstanceOf(CorruptionError);
      // a block copied from another position fails too (checksums are seeded with the address)
      const moved = raw.slice();
      moved.copyWithin(0, 4100, 8200);
      await s.store.put(key!, moved);
      await expect(again.read(0, 100)).rejects.toBeInstanceOf(CorruptionError);
      // an object deleted underneath
      await s.store.delete([key!]);
      await expect(again.read(0, 100)).rejects.toBeInstanceOf(CorruptionError);
      await again.close();
    });

    it('ignores foreign objects under its prefix', async () => {
      await s.store.put('log/README.txt', new TextEncoder().encode('not a segment'));
      const device = await ObjectLogDevice.open(s.store, { objectSize, blockSize });
      expect(device.extent()).toEqual({ begin: 0, end: 0 });
      await device.close();
    });
  });
}
