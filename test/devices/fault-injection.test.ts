import { describe, expect, it } from 'vitest';
import { AccessDeniedError, TransientObjectStoreError } from '../../src/core/errors.js';
import { Prng } from '../../src/core/prng.js';
import { FaultInjectingObjectStore, type FaultSchedule } from '../../src/devices/fault-injecting-object-store.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import type { ObjectStore } from '../../src/devices/object-store.js';
import { RequestPolicy } from '../../src/devices/request-policy.js';
import { RetryingObjectStore } from '../../src/devices/retrying-object-store.js';
import { StatsRecorder } from '../../src/devices/object-store-stats.js';
import { expectSameBytes, randomBytes } from './object-store-conformance.js';

const enc = (s: string) => new TextEncoder().encode(s);
const fast = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 };

function stack(schedule: FaultSchedule, policy = {}): { faults: FaultInjectingObjectStore; store: RetryingObjectStore; inner: MemoryObjectStore } {
  const inner = new MemoryObjectStore();
  const faults = new FaultInjectingObjectStore(inner, schedule);
  return { inner, faults, store: new RetryingObjectStore(faults, { ...fast, ...policy }) };
}

describe('fault injection under the request policy', () => {
  it('retries transient faults (5xx, throttling, dropped connections) until they succeed, and counts them', async () => {
    const { store, faults } = stack({
      seed: 1,
      rules: [
        { fault: 'transient', kinds: ['PUT'], nth: [1, 2] },
        { fault: 'throttle', kinds: ['GET'], nth: [1] },
        { fault: 'drop', kinds: ['HEAD'], nth: [1] },
        { fault: 'transient', kinds: ['LIST'], nth: [1] },
        { fault: 'throttle', kinds: ['DELETE'], nth: [1] },
      ],
    });
    await store.put('k', enc('value'));
    expect(new TextDecoder().decode(await store.get('k'))).toBe('value');
    expect(await store.head('k')).toMatchObject({ size: 5 });
    expect(await store.list('')).toEqual(['k']);
    await store.delete(['k']);
    const s = store.stats();
    expect(s.byKind.PUT).toMatchObject({ requests: 3, retries: 2, errors: 0 });
    expect(s.byKind.GET).toMatchObject({ requests: 2, retries: 1, errors: 0 });
    expect(s.byKind.HEAD).toMatchObject({ requests: 2, retries: 1 });
    expect(s.byKind.LIST).toMatchObject({ requests: 2, retries: 1 });
    expect(s.byKind.DELETE).toMatchObject({ requests: 2, retries: 1 });
    expect(s.retries).toBe(6);
    expect(faults.injected.map((f) => `${f.kind}#${f.nth}:${f.fault}`)).toEqual([
      'PUT#1:transient', 'PUT#2:transient', 'GET#1:throttle', 'HEAD#1:drop', 'LIST#1:transient', 'DELETE#1:throttle',
    ]);
  });

  it('fails permanent faults at once with a clean typed error, without retrying', async () => {
    const { store } = stack({ seed: 2, rules: [{ fault: 'permanent', kinds: ['PUT'], nth: [1] }] });
    const err = await store.put('k', enc('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/access denied for PUT k on memory:\/\/; check/);
    expect(store.stats().byKind.PUT).toMatchObject({ requests: 1, retries: 0, errors: 1 });
  });

  it('gives up after maxAttempts with a TransientObjectStoreError that says so', async () => {
    const { store } = stack({ seed: 3, rules: [{ fault: 'throttle', kinds: ['GET'], probability: 1 }] }, { maxAttempts: 3 });
    await store.put('k', enc('v'));
    const err = await store.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientObjectStoreError);
    expect((err as Error).message).toMatch(/still failing after 3 attempts.*throttling/);
    expect(store.stats().byKind.GET).toMatchObject({ requests: 3, retries: 2, errors: 1 });
  });

  it('abandons a hung request at the timeout and retries it', async () => {
    const { store } = stack({ seed: 4, rules: [{ fault: 'timeout', kinds: ['GET'], nth: [1], latencyMs: 10_000 }] }, { timeoutMs: 50 });
    await store.put('k', enc('v'));
    const t0 = performance.now();
    expect(new TextDecoder().decode(await store.get('k'))).toBe('v');
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(store.stats().byKind.GET).toMatchObject({ requests: 2, retries: 1 });
  });

  it('a conditional put whose response was lost is recognised as won on retry', async () => {
    const { store, inner } = stack({ seed: 5, rules: [{ fault: 'drop-after', kinds: ['PUT'], nth: [1, 3] }] });
    const created = await store.put('manifest', enc('m1'), { ifNoneMatch: '*' });
    expect(created.etag).toBe((await inner.head('manifest'))!.etag);
    const swapped = await store.put('manifest', enc('m2'), { ifMatch: created.etag });
    expect(new TextDecoder().decode(await inner.get('manifest'))).toBe('m2');
    expect(swapped.etag).toBe((await inner.head('manifest'))!.etag);
    // someone else's object is still a lost race
    await expect(store.put('manifest', enc('other'), { ifNoneMatch: '*' })).rejects.toThrow(/lost/);
  });

  it('adds latency without failing', async () => {
    const { store } = stack({ seed: 6, rules: [{ fault: 'latency', kinds: ['HEAD'], probability: 1, latencyMs: 30 }] });
    const t0 = performance.now();
    await store.head('x');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(store.stats().retries).toBe(0);
  });

  it('is deterministic: the same seed injects the same faults into the same request sequence', async () => {
    const run = async (seed: number) => {
      const { store, faults } = stack({
        seed,
        rules: [
          { fault: 'transient', probability: 0.15 },
          { fault: 'throttle', kinds: ['GET'], probability: 0.1 },
          { fault: 'drop', kinds: ['PUT'], probability: 0.1 },
        ],
      });
      for (let i = 0; i < 60; i++) {
        await store.put(`k${i % 7}`, enc(String(i)));
        await store.get(`k${i % 7}`);
      }
      return faults.injected.map((f) => `${f.request}:${f.kind}:${f.fault}`);
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('bounds concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const inner = new MemoryObjectStore();
    const probe: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      get: async (key: string) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return inner.get(key);
      },
    });
    await inner.put('k', enc('v'));
    const store = new RetryingObjectStore(probe, { ...fast, concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, () => store.get('k')));
    expect(peak).toBe(3);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = new RequestPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 }, (e) => e as Error, new StatsRecorder(), 'test');
    expect(policy.backoffMs(2)).toBeCloseTo(99.9, 0);
    expect(policy.backoffMs(3)).toBeCloseTo(199.8, 0);
    expect(policy.backoffMs(10)).toBeLessThanOrEqual(1000);
    const zero = new RequestPolicy({ random: () => 0 }, (e) => e as Error, new StatsRecorder(), 'test');
    expect(zero.backoffMs(5)).toBe(0);
  });
});

describe('ObjectLogDevice under injected faults', () => {
  it('keeps every byte through a storm of transient faults (seeded), and reopens intact', async () => {
    const seed = 7;
    const { store, faults, inner } = stack({
      seed,
      rules: [
        { fault: 'transient', probability: 0.1 },
        { fault: 'throttle', probability: 0.1 },
        { fault: 'drop', probability: 0.05 },
        { fault: 'drop-after', kinds: ['PUT', 'DELETE'], probability: 0.1 },
      ],
    }, { maxAttempts: 12 });
    const device = await ObjectLogDevice.open(store, { objectSize: 16 * 1024, blockSize: 1024 });
    const data = randomBytes(200 * 1024, seed);
    const rng = new Prng(seed);
    for (let off = 0; off < data.length; ) {
      const n = Math.min(data.length - off, 1 + rng.nextInt(9000));
      await device.write(off, data.subarray(off, off + n));
      off += n;
      if (rng.nextInt(8) === 0) await device.sync();
    }
    await device.sync();
    expectSameBytes(await device.read(0, data.length), data);
    await device.truncateUntil(64 * 1024);
    await device.close();
    expect(faults.injected.length).toBeGreaterThan(5);
    expect(store.stats().retries).toBeGreaterThan(5);
    const again = await ObjectLogDevice.open(inner, { objectSize: 16 * 1024, blockSize: 1024 });
    expect(again.extent()).toEqual({ begin: 64 * 1024, end: data.length });
    expectSameBytes(await again.read(64 * 1024, data.length - 64 * 1024), data.subarray(64 * 1024));
  });

  it('reports a permanent upload failure at the next write and sync, and recovers when sync succeeds later', async () => {
    const { store, faults } = stack({ seed: 8, rules: [{ fault: 'permanent', kinds: ['PUT'], nth: [1] }] });
    const device = await ObjectLogDevice.open(store, { objectSize: 4096, blockSize: 1024 });
    const data = randomBytes(4096, 8);
    await device.write(0, data); // fills one object: its upload starts and fails
    await new Promise((r) => setTimeout(r, 10));
    await expect(device.write(4096, data)).rejects.toThrow(/upload of log\/.* failed: injected permanent failure/);
    expectSameBytes(await device.read(0, 4096), data); // still readable from memory
    faults.pause();
    await device.sync(); // retries the failed upload
    await device.write(4096, data);
    await device.sync();
    expect(await store.list('log/')).toHaveLength(2);
    await device.close();
  });
});
