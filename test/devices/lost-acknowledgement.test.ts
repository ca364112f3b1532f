/**
 * Regressions found by integration/faults/network-faults.test.ts (Azurite outage): a put that
 * reached the store although its answer was lost (the connection dropped after the server wrote
 * it, and every retry failed while the server was unreachable) used to be taken, at its next
 * attempt, for another writer's object:
 *   - a checkpoint manifest: the writer's next checkpoint found its seq taken and fenced itself
 *     for good (FencedError with no other writer);
 *   - a log object retried by the next write or sync(): "another writer is using the log prefix".
 * Now a manifest seq taken by this very writer is skipped, and a retried log object that holds
 * exactly our bytes counts as uploaded; another writer's manifest still fences.
 */
import { describe, expect, it } from 'vitest';
import { FencedError } from '../../src/core/errors.js';
import { FaultInjectingObjectStore } from '../../src/devices/fault-injecting-object-store.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import { RetryingObjectStore } from '../../src/devices/retrying-object-store.js';
import { MANIFEST_FORMAT, ManifestStore, type Manifest, type TokenDescriptor } from '../../src/kv/checkpoint-manifest.js';
import { expectSameBytes, randomBytes } from './object-store-conformance.js';

function manifest(seq: number, writerId: string, token: string): Manifest<TokenDescriptor> {
  return { format: MANIFEST_FORMAT, kind: 'cold', seq, writerEpoch: 1, writerId, publishedAt: new Date(0).toISOString(), checkpoint: { token } };
}

describe('puts whose answer was lost', () => {
  it('a manifest seq taken by the same writer is skipped; one taken by another writer fences', async () => {
    const inner = new MemoryObjectStore();
    // The first manifest put lands, then its connection drops; with one attempt the publish fails.
    const faults = new FaultInjectingObjectStore(inner, { seed: 3, rules: [{ fault: 'drop-after', kinds: ['PUT'], nth: [1] }] });
    const store = new RetryingObjectStore(faults, { maxAttempts: 1 });
    const manifests = new ManifestStore<TokenDescriptor>(store);
    await expect(manifests.publish(manifest(1, 'writer-a', 'first'))).rejects.toThrow(/connection|socket|reset/i);
    expect((await manifests.all()).map((e) => e.manifest?.checkpoint?.token)).toEqual(['first']); // it landed
    // The writer does not know: its next checkpoint publishes at seq 1 again, and gets seq 2.
    expect(await manifests.publish(manifest(1, 'writer-a', 'second'))).toBe(2);
    expect((await manifests.all()).map((e) => e.manifest?.checkpoint?.token)).toEqual(['second', 'first']);
    // Another writer's manifest at the seq is a fence.
    await new ManifestStore<TokenDescriptor>(inner).publish(manifest(3, 'writer-b', 'theirs'));
    await expect(manifests.publish(manifest(3, 'writer-a', 'third'))).rejects.toBeInstanceOf(FencedError);
  });

  it('a taken seq whose manifest cannot be read just then fails the publish, without a fence', async () => {
    // Found by integration/faults/minio-restart.test.ts: the server was killed between the put
    // that found the seq taken (by this writer's own earlier publish, its answer lost) and the get
    // that reads who took it. That get's failure was taken for another writer: fenced for good.
    const inner = new MemoryObjectStore();
    const faults = new FaultInjectingObjectStore(inner, {
      seed: 5,
      rules: [
        { fault: 'drop-after', kinds: ['PUT'], nth: [1] },
        { fault: 'drop', kinds: ['GET'], nth: [1] },
      ],
    });
    const store = new RetryingObjectStore(faults, { maxAttempts: 1 });
    const manifests = new ManifestStore<TokenDescriptor>(store);
    await expect(manifests.publish(manifest(1, 'writer-a', 'first'))).rejects.toThrow(/connection|socket|reset/i);
    // Seq 1 is taken (412); reading it fails: the publish fails with that error, not a FencedError.
    const failed = await manifests.publish(manifest(1, 'writer-a', 'second')).catch((e: unknown) => e);
    expect(failed).not.toBeInstanceOf(FencedError);
    expect(String(failed)).toMatch(/connection|socket|reset/i);
    expect(faults.injected.map((f) => `${f.kind}:${f.fault}`)).toEqual(['PUT:drop-after', 'GET:drop']);
    // The server answers again: the next publish reads seq 1 as its own and takes seq 2.
    expect(await manifests.publish(manifest(1, 'writer-a', 'third'))).toBe(2);
    expect((await manifests.all()).map((e) => e.manifest?.checkpoint?.token)).toEqual(['third', 'first']);
  });

  it('a log object retried after its answer was lost counts as uploaded', async () => {
    const inner = new MemoryObjectStore();
    const faults = new FaultInjectingObjectStore(inner, { seed: 4, rules: [{ fault: 'drop-after', kinds: ['PUT'], nth: [1] }] });
    const store = new RetryingObjectStore(faults, { maxAttempts: 1 });
    const device = await ObjectLogDevice.open(store, { objectSize: 4096, blockSize: 1024 });
    const data = randomBytes(8192, 4);
    await device.write(0, data.subarray(0, 4096)); // its put lands, the answer is lost: a failed upload
    await new Promise((r) => setTimeout(r, 20));
    await device.write(4096, data.subarray(4096)); // retries the first upload: the object exists, with our bytes
    await device.sync();
    await device.close();
    const again = await ObjectLogDevice.open(inner, { objectSize: 4096, blockSize: 1024 });
    expectSameBytes(await again.read(0, data.length), data);
    await again.close();
  });
});
