/**
 * F2's sync API reads records evicted to the hot tier's file device synchronously, as FasterKv's
 * does: readSync, readInto and rmwSync answer without PENDING for a key whose newest record is on the hot
 * device (a value or a tombstone), count it as a hot-device read, and readSync goes on to the
 * cold tier when the hot chain ends on the device without the key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { F2Kv, PENDING } from '../../src/index.js';
import type { F2KvOptions } from '../../src/index.js';
import { PENDING_CODE } from '../../src/kv/session.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const key = (i: number): Uint8Array => new TextEncoder().encode(`key-${i.toString().padStart(6, '0')}`);
function valueOf(i: number): Uint8Array {
  const v = new Uint8Array(30 + (i % 40));
  for (let j = 0; j < v.length; j++) v[j] = (i * 17 + j * 3) & 0xff;
  return v;
}

function options(dir: string): F2KvOptions {
  return {
    hot: {
      index: { buckets: 256 },
      log: { device: pathToFileURL(join(dir, 'hot')).href, memorySize: '16KiB', pageSize: '4KiB' },
    },
    cold: { url: pathToFileURL(join(dir, 'cold')).href, index: { expectedKeys: 4096 } },
    // Migration only when asked: the records stay on the hot device.
    compaction: { hotToCold: { maxLogSize: '64MiB' } },
    checkpoint: { url: pathToFileURL(join(dir, 'ck')).href, onClose: false },
  };
}

describe('F2 sync reads from the hot device', () => {
  it('readSync and readInto answer for records on the hot file device without PENDING', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-f2-syncread-'));
    dirs.push(dir);
    const store = await F2Kv.open(options(dir));
    const s = store.startSession();
    const n = 1500;
    for (let i = 0; i < n; i++) await s.upsert(key(i), valueOf(i));
    for (let i = 0; i < n; i += 10) await s.delete(key(i));
    // Push the deletes out of memory too.
    for (let i = n; i < n + 600; i++) await s.upsert(key(i), valueOf(i));
    const before = store.stats();
    const out = new Uint8Array(128);
    for (let i = 0; i < n; i++) {
      const want = i % 10 === 0 ? undefined : valueOf(i);
      const v = s.readSync(key(i));
      expect(v, `readSync key ${i}`).not.toBe(PENDING);
      expect(v, `readSync key ${i}`).toEqual(want);
      const len = s.readInto(key(i), out);
      expect(len, `readInto key ${i}`).not.toBe(PENDING_CODE);
      if (want === undefined) expect(len).toBe(-1);
      else expect(out.subarray(0, len)).toEqual(want);
    }
    expect(store.stats().hot.operations.pendingReads).toBe(before.hot.operations.pendingReads);
    // rmwSync reads an old value on the hot device the same way (a tombstone reads as absent).
    const bump = (old: Uint8Array | undefined): Uint8Array => {
      const next = old === undefined ? new Uint8Array([1]) : old.slice();
      next[0] = (next[0]! + 1) & 0xff;
      return next;
    };
    let synchronous = 0;
    for (let i = 0; i < 300; i++) {
      const want = bump(i % 10 === 0 ? undefined : valueOf(i));
      const r = s.rmwSync(key(i), bump);
      if (r !== PENDING) synchronous++;
      // Only a full hot log may refuse; then the async call does it.
      expect(r === PENDING ? await s.rmw(key(i), bump) : r, `rmwSync key ${i}`).toEqual(want);
      expect(await s.read(key(i))).toEqual(want);
    }
    expect(synchronous).toBeGreaterThan(250);
    const after = store.stats();
    expect(after.reads.hotDevice - before.reads.hotDevice).toBeGreaterThan(1000);
    expect(after.hot.operations.syncDeviceReads - before.hot.operations.syncDeviceReads).toBeGreaterThan(1200);
    await store.close();
  });

  it('readSync follows a hot chain that ends on the device into the cold tier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-f2-syncread-'));
    dirs.push(dir);
    const store = await F2Kv.open(options(dir));
    const s = store.startSession();
    for (let i = 0; i < 400; i++) await s.upsert(key(i), valueOf(i));
    await store.compactHotLog(); // these records now live in cold only
    expect(store.stats().hotToCold.recordsMoved).toBe(400);
    // Many new hot records, evicted to the device: some share an index entry (bucket and tag)
    // with a cold-only key, whose hot chain then ends on the device without it.
    for (let i = 10_000; i < 14_000; i++) await s.upsert(key(i), valueOf(i));
    for (let i = 0; i < 400; i++) {
      const v = s.readSync(key(i));
      // The cold tier may need a chunk read first; then the async call answers.
      expect(v === PENDING ? await s.read(key(i)) : v, `key ${i}`).toEqual(valueOf(i));
    }
    for (let i = 10_000; i < 14_000; i += 37) expect(s.readSync(key(i)), `key ${i}`).toEqual(valueOf(i));
    // An absent key reads as absent on both paths.
    const absent = s.readSync(key(99_999));
    expect(absent === PENDING ? await s.read(key(99_999)) : absent).toBeUndefined();
    await store.close();
  });
});
