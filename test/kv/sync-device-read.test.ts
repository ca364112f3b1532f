/**
 * The sync API reads records evicted to a file device synchronously (FileDevice.readSync), so
 * readSync / readInto / rmwSync complete without PENDING; the async API is unchanged. Checked
 * against a Map oracle, with a corrupt record on disk, and across a reopen.
 */
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptionError, FasterKv, PENDING } from '../../src/index.js';
import { FileDevice } from '../../src/devices/file-device.js';
import { makeRng, testSeed } from '../helpers/prng.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'f2kv-syncread-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const key = (i: number): Uint8Array => new TextEncoder().encode(`key-${i.toString().padStart(7, '0')}`);
function valueOf(i: number, version: number): Uint8Array {
  const v = new Uint8Array(40 + (i % 50));
  for (let j = 0; j < v.length; j++) v[j] = (i * 31 + j * 7 + version) & 0xff;
  return v;
}

async function openStore(dir: string, readCache = false): Promise<Awaited<ReturnType<typeof FasterKv.open>>> {
  return FasterKv.open({
    log: { device: `file://${dir}`, pageSize: 4096, memorySize: 4 * 4096, mutableFraction: 0.5, segmentSize: 64 * 1024 },
    index: { buckets: 256 },
    ...(readCache ? { readCache: { memorySize: 4 * 4096, pageSize: 4096 } } : {}),
    checkpoint: { onClose: false },
  });
}

describe('synchronous device reads (file device)', () => {
  it('FileDevice.readSync returns what was written, refuses ranges outside the extent, and defers to read() when it cannot answer', async () => {
    const dir = await freshDir();
    const dev = await FileDevice.open(dir, { segmentSize: 4096 });
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 13) & 0xff);
    await dev.write(0, bytes);
    const out = new Uint8Array(300);
    expect(dev.readSync(100, 300, out)).toBe(300);
    expect(out).toEqual(bytes.subarray(100, 400));
    // Past the end: the shorter written prefix, as read() does.
    expect(dev.readSync(9_900, 300, out)).toBe(100);
    expect(out.subarray(0, 100)).toEqual(bytes.subarray(9_900));
    // Across a segment boundary: not answered synchronously.
    expect(dev.readSync(4000, 200, out)).toBeUndefined();
    expect(() => dev.readSync(20_000, 10, out)).toThrow(RangeError);
    await dev.close();
    // A reopened device has no descriptor until a segment's handle opens.
    const again = await FileDevice.open(dir, { segmentSize: 4096 });
    expect(again.readSync(100, 300, out)).toBeUndefined();
    expect(await again.read(100, 300)).toEqual(bytes.subarray(100, 400));
    expect(again.readSync(100, 300, out)).toBe(300);
    expect(out).toEqual(bytes.subarray(100, 400));
    await again.truncateUntil(8192);
    expect(() => again.readSync(100, 10, out)).toThrow(RangeError);
    await again.close();
  });

  it('readSync, readInto and rmwSync complete on evicted records without PENDING, matching a Map oracle', async () => {
    const seed = testSeed('sync-device-read');
    const rng = makeRng(seed);
    for (const readCache of [false, true]) {
      const store = await openStore(await freshDir(), readCache);
      const s = store.startSession();
      const oracle = new Map<number, Uint8Array | undefined>();
      const n = 1200;
      for (let i = 0; i < n; i++) {
        await s.upsert(key(i), valueOf(i, 0));
        oracle.set(i, valueOf(i, 0));
      }
      expect(store.hlog.headAddress).toBeGreaterThan(store.hlog.beginAddress); // most records are on the device only
      const out = new Uint8Array(128);
      for (let step = 0; step < 4000; step++) {
        const i = Math.floor(rng() * n);
        const dice = rng();
        const want = oracle.get(i);
        if (dice < 0.5) {
          const v = s.readSync(key(i));
          expect(v, `readSync key ${i} seed ${seed}`).not.toBe(PENDING);
          expect(v).toEqual(want);
        } else if (dice < 0.8) {
          const len = s.readInto(key(i), out);
          expect(len, `readInto key ${i} seed ${seed}`).not.toBe(-2);
          if (want === undefined) expect(len).toBe(-1);
          else {
            expect(len).toBe(want.length);
            expect(out.subarray(0, len)).toEqual(want);
          }
        } else if (dice < 0.9) {
          const r = s.rmwSync(key(i), (old) => {
            const next = old === undefined ? new Uint8Array(1) : old.slice();
            next[0] = (next[0]! + 1) & 0xff;
            return next;
          });
          if (r === PENDING) {
            // Only a full log may refuse (the old value was read synchronously).
            continue;
          }
          const expected = want === undefined ? new Uint8Array([1]) : want.slice();
          if (want !== undefined) expected[0] = (expected[0]! + 1) & 0xff;
          expect(r).toEqual(expected);
          oracle.set(i, r);
        } else if (dice < 0.95) {
          const v = valueOf(i, step);
          await s.upsert(key(i), v);
          oracle.set(i, v);
        } else {
          await s.delete(key(i));
          oracle.set(i, undefined);
        }
      }
      const st = store.stats();
      expect(st.operations.syncDeviceReads).toBeGreaterThan(500);
      expect(st.log.deviceReads).toBeGreaterThan(500);
      if (readCache) expect(st.readCache!.hits).toBeGreaterThan(0);
      // The sync API agrees on every key, and the async API on a sample.
      for (let i = 0; i < n; i++) expect(s.readSync(key(i)), `key ${i} seed ${seed}`).toEqual(oracle.get(i));
      for (let i = 0; i < n; i += 7) expect(await s.read(key(i)), `key ${i} seed ${seed}`).toEqual(oracle.get(i));
      await store.close();
    }
  });

  it('reports a corrupt record on the device as CorruptionError, never as data', async () => {
    const dir = await freshDir();
    const store = await openStore(dir);
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(key(i), valueOf(i, 0));
    // Key 0 is the first record of the log, at address 64 of the first segment.
    await store.hlog.flushAll();
    const segment = (await readdir(dir)).filter((f) => f.endsWith('.f2log')).sort()[0]!;
    const fh = await open(join(dir, segment), 'r+');
    const b = new Uint8Array(1);
    await fh.read(b, 0, 1, 64 + 24 + 10 + 3);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, 64 + 24 + 10 + 3);
    await fh.close();
    expect(() => s.readSync(key(0))).toThrow(CorruptionError);
    await expect(s.read(key(0))).rejects.toBeInstanceOf(CorruptionError);
    expect(s.readSync(key(1999))).toEqual(valueOf(1999, 0));
    await store.close();
  });
});
