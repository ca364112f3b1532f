/**
 * ObjectLogDevice on its bulk-transfer paths (checkpoint uploads, fresh-machine recoveries):
 * whole objects encoded straight from the caller's bytes into reused buffers, their checksums
 * derived from one CRC pass and handed to the store, and a read that one stored object serves
 * answered with its fetched blocks compacted in place. Each is checked against the bytes written.
 */
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/core/checksum.js';
import { CorruptionError } from '../../src/core/errors.js';
import { Prng } from '../../src/core/prng.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import type { ByteRange, ObjectStore, PutCondition, PutOptions, PutResult } from '../../src/devices/object-store.js';
import { expectSameBytes, randomBytes } from './object-store-conformance.js';

/** A store that records what put() was told and answers each put after a seeded random delay (uploads overlap and finish out of order). */
class SlowRecordingStore implements ObjectStore {
  readonly puts: { key: string; bytes: number; crc32c: number | undefined; actual: number }[] = [];
  private readonly rng: Prng;

  constructor(
    readonly inner: MemoryObjectStore,
    seed: number,
  ) {
    this.rng = new Prng(seed);
  }

  get url(): string {
    return this.inner.url;
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition, options?: PutOptions): Promise<PutResult> {
    await new Promise((r) => setTimeout(r, this.rng.nextInt(4)));
    // What the service would verify: the CRC of the bytes as they are when they are sent.
    this.puts.push({ key, bytes: bytes.length, crc32c: options?.crc32c, actual: crc32c(bytes) });
    return this.inner.put(key, bytes, condition);
  }

  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return this.inner.get(key, range);
  }

  head(key: string) {
    return this.inner.head(key);
  }

  list(prefix: string) {
    return this.inner.list(prefix);
  }

  delete(keys: readonly string[]) {
    return this.inner.delete(keys);
  }

  stats() {
    return this.inner.stats();
  }

  close() {
    return this.inner.close();
  }
}

describe('ObjectLogDevice bulk transfers', () => {
  const objectSize = 64 * 1024;
  const blockSize = 4096;

  it('uploads whole objects from the caller’s bytes with their CRC-32C, reusing buffers, byte-exact (seeded)', async () => {
    const seed = Number(process.env['F2KV_TEST_SEED'] ?? 4242);
    console.log(`object-log transfer seed=${seed} (set F2KV_TEST_SEED to reproduce)`);
    const rng = new Prng(seed);
    const inner = new MemoryObjectStore();
    const store = new SlowRecordingStore(inner, seed);
    const device = await ObjectLogDevice.open(store, { objectSize, blockSize, maxPendingUploads: 3 });
    const total = objectSize * 24 + 777;
    const data = randomBytes(total, seed);
    // Sequential writes of random sizes (some cover several objects, some a part of one), from a
    // scratch buffer that is overwritten after every write: the device must have copied.
    const scratch = new Uint8Array(objectSize * 3);
    for (let at = 64; at < total; ) {
      const n = Math.min(total - at, 1 + rng.nextInt(objectSize * 3));
      scratch.set(data.subarray(at, at + n));
      await device.write(at, scratch.subarray(0, n));
      scratch.fill(0xee);
      at += n;
    }
    await device.sync();
    expect(store.puts.length).toBeGreaterThanOrEqual(24);
    for (const p of store.puts) expect(p.crc32c, `put ${p.key}`).toBe(p.actual);
    // Read back through a fresh device (every byte from the store, each read one object or several).
    const again = await ObjectLogDevice.open(inner, { objectSize, blockSize });
    expectSameBytes(await again.read(64, total - 64), data.subarray(64));
    for (let i = 0; i < 40; i++) {
      const at = 64 + rng.nextInt(total - 64);
      const n = 1 + rng.nextInt(Math.min(total - at, objectSize * 2));
      expectSameBytes(await again.read(at, n), data.subarray(at, at + n));
    }
    await again.close();
    await device.close();
  });

  it('knows the checksum of the whole objects a write created, and of nothing else', async () => {
    const device = await ObjectLogDevice.open(new MemoryObjectStore(), { objectSize, blockSize });
    const data = randomBytes(objectSize * 2 + 100, 7);
    await device.write(objectSize, data.subarray(0, objectSize)); // exactly one object
    expect(device.writtenChecksum(objectSize, 2 * objectSize)).toBe(crc32c(data, 0, objectSize));
    await device.write(2 * objectSize, data.subarray(objectSize, objectSize + 100)); // buffered: no object yet
    expect(device.writtenChecksum(2 * objectSize, 2 * objectSize + 100)).toBeUndefined();
    expect(device.writtenChecksum(objectSize, objectSize + 100)).toBeUndefined(); // part of an object
    await device.sync(); // the buffered part becomes an object now
    expect(device.writtenChecksum(2 * objectSize, 2 * objectSize + 100)).toBe(crc32c(data, objectSize, objectSize + 100));
    await device.write(objectSize + 10, data.subarray(0, 20)); // a newer object shadows part of the first
    await device.sync();
    expect(device.writtenChecksum(objectSize, 2 * objectSize)).toBeUndefined();
    await device.close();
  });

  it('returns bytes the caller may change, and still detects a damaged block on a one-object read', async () => {
    const inner = new MemoryObjectStore();
    const device = await ObjectLogDevice.open(inner, { objectSize, blockSize });
    const data = randomBytes(objectSize, 9);
    await device.write(0, data);
    await device.sync();
    const first = await device.read(100, objectSize - 200);
    expectSameBytes(first, data.subarray(100, objectSize - 100));
    first.fill(0); // the caller's to keep or change
    expectSameBytes(await device.read(100, objectSize - 200), data.subarray(100, objectSize - 100));
    // Damage one byte of the stored object: the read that touches its block fails, others do not.
    const [key] = await inner.list('log/');
    const stored = await inner.get(key!);
    stored[3 * (blockSize + 4) + 17]! ^= 0x40;
    await inner.put(key!, stored);
    const fresh = await ObjectLogDevice.open(inner, { objectSize, blockSize });
    await expect(fresh.read(0, objectSize)).rejects.toThrow(CorruptionError);
    await expect(fresh.read(3 * blockSize + 10, 20)).rejects.toThrow(/block 3 .* failed its CRC-32C check/);
    expectSameBytes(await fresh.read(4 * blockSize, blockSize), data.subarray(4 * blockSize, 5 * blockSize));
    await fresh.close();
    await device.close();
  });
});
