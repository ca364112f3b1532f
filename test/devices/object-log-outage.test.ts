/**
 * Regression (found by integration/faults/network-faults.test.ts, outage scenario): an upload
 * that failed only because the object store was unavailable for longer than the request policy
 * retries used to fail every later write() of the device — and the hybrid log above it then
 * refused all appends until the store was reopened. Now the next write() starts such uploads
 * again (their bytes are still in memory) and the device carries on once the service is back;
 * failures of other kinds are still reported at the next write.
 */
import { describe, expect, it } from 'vitest';
import { FaultInjectingObjectStore } from '../../src/devices/fault-injecting-object-store.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import { RetryingObjectStore } from '../../src/devices/retrying-object-store.js';
import { expectSameBytes, randomBytes } from './object-store-conformance.js';

describe('ObjectLogDevice through an outage', () => {
  it('retries uploads that failed transiently at the next write, and keeps every byte', async () => {
    const inner = new MemoryObjectStore();
    // Every PUT fails transiently while the "outage" lasts (3 attempts per upload).
    const faults = new FaultInjectingObjectStore(inner, { seed: 11, rules: [{ fault: 'transient', kinds: ['PUT'], probability: 1 }] });
    const store = new RetryingObjectStore(faults, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 1000 });
    const device = await ObjectLogDevice.open(store, { objectSize: 4096, blockSize: 1024 });
    const data = randomBytes(4 * 4096, 11);
    await device.write(0, data.subarray(0, 4096)); // one object: its upload fails (after 3 attempts)
    await new Promise((r) => setTimeout(r, 50));
    // During the outage: the next write is accepted (the failed upload is started again and fails again).
    await device.write(4096, data.subarray(4096, 8192));
    await new Promise((r) => setTimeout(r, 50));
    expectSameBytes(await device.read(0, 8192), data.subarray(0, 8192)); // served from memory
    await expect(device.sync()).rejects.toThrow(/upload of log\/.* failed/);
    // The service comes back: writes go on, and sync makes everything durable.
    faults.pause();
    await device.write(8192, data.subarray(8192));
    await device.sync();
    expectSameBytes(await device.read(0, data.length), data);
    await device.close();
    const again = await ObjectLogDevice.open(inner, { objectSize: 4096, blockSize: 1024 });
    expectSameBytes(await again.read(0, data.length), data);
    await again.close();
  });

  it('still reports a failure that is not transient at the next write', async () => {
    const inner = new MemoryObjectStore();
    const faults = new FaultInjectingObjectStore(inner, { seed: 12, rules: [{ fault: 'permanent', kinds: ['PUT'], nth: [1] }] });
    const store = new RetryingObjectStore(faults, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 });
    const device = await ObjectLogDevice.open(store, { objectSize: 4096, blockSize: 1024 });
    const data = randomBytes(8192, 12);
    await device.write(0, data.subarray(0, 4096));
    await new Promise((r) => setTimeout(r, 20));
    await expect(device.write(4096, data.subarray(4096))).rejects.toThrow(/upload of log\/.* failed/);
    await device.close();
  });
});
