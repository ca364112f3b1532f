/**
 * Fencing of FasterKv: a second instance opened on the same checkpoint prefix claims it; the
 * first learns it at its next object-store interaction (a checkpoint) or from the background
 * claim check, and from then on refuses every write with FencedError (sync and async, all
 * kinds), keeps serving reads, and closes without publishing anything. Over memory:// and
 * file:// checkpoint stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FasterKv, FencedError, MemoryObjectStore, ObjectLogDevice, PreconditionFailedError } from '../../src/index.js';
import type { FasterKvOptions } from '../../src/index.js';
import type { ObjectStore, PutCondition, PutResult, ByteRange, ObjectInfo } from '../../src/devices/object-store.js';
import { expectWritesFenced, listAll, readText, text, uniqueName, until } from '../helpers/fencing.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-fence-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Backend {
  name: string;
  /** Options of instance `who` (its own log; the checkpoint store is shared). */
  options(who: string, checkpoint?: FasterKvOptions['checkpoint']): FasterKvOptions;
  checkpointUrl: string;
}

function memoryBackend(): Backend {
  const url = `memory://${uniqueName('fence-hot')}`;
  return {
    name: 'memory://',
    checkpointUrl: url,
    options: (_who, checkpoint = {}) => ({
      index: { buckets: 256 },
      log: { device: 'memory://', pageSize: 4096, memorySize: 64 * 4096 },
      checkpoint: { url, ...checkpoint },
    }),
  };
}

function fileBackend(): Backend {
  const dir = tmp();
  const url = `file://${dir}/ckpt`;
  return {
    name: 'file://',
    checkpointUrl: url,
    options: (who, checkpoint = {}) => ({
      index: { buckets: 256 },
      log: { device: `file://${dir}/${who}`, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.5 },
      checkpoint: { url, ...checkpoint },
    }),
  };
}

for (const makeBackend of [memoryBackend, fileBackend]) {
  describe(`FasterKv fencing over ${makeBackend === memoryBackend ? 'memory://' : 'file://'}`, () => {
    it('a second opener fences the first at its next checkpoint: writes fail, reads go on, close publishes nothing', async () => {
      const backend = makeBackend();
      const a = await FasterKv.open(backend.options('a', { fenceCheckIntervalMs: 0 }));
      const events: FencedError[] = [];
      a.onFenced((e) => events.push(e));
      const s = a.startSession('app');
      for (let i = 0; i < 500; i++) await s.upsert(`k${i}`, `v${i}`);
      await a.checkpoint();
      await s.upsert('late', 'after the checkpoint');

      const b = await FasterKv.open(backend.options('b', { fenceCheckIntervalMs: 0 }));
      // a has not talked to the store since: it does not know yet.
      expect(a.isFenced).toBe(false);
      const afterClaim = await listAll(backend.checkpointUrl);
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      expect(a.isFenced).toBe(true);
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(FencedError);
      expect(events[0]!.message).toMatch(/another writer/);
      // The refused checkpoint uploaded nothing (the claim check runs before any data is written).
      expect(await listAll(backend.checkpointUrl)).toEqual(afterClaim);

      await expectWritesFenced(s, 'k1');
      await expectWritesFenced(a.startSession('another'), 'k2');
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      await expect(a.compact(a.hlog.readOnlyAddress)).rejects.toThrow(FencedError);
      expect(a.stats().checkpoints?.failed).toBe(2);
      expect(a.stats().checkpoints?.lastError).toMatch(/fenced/);
      // Reads continue, including what only this instance holds.
      expect(text(s.readSync('k7'))).toBe('v7');
      expect(await readText(s, 'k499')).toBe('v499');
      expect(await readText(s, 'late')).toBe('after the checkpoint');
      // A listener added now is called once, on a microtask.
      const late: FencedError[] = [];
      a.onFenced((e) => late.push(e));
      await Promise.resolve();
      expect(late).toHaveLength(1);

      await a.close();
      expect(await listAll(backend.checkpointUrl)).toEqual(afterClaim);
      expect(events).toHaveLength(1);

      // The new owner holds the checkpointed state, not the fenced writer's later write.
      const t = b.continueSession('app');
      expect(t.serial).toBe(500);
      expect(await readText(t, 'k42')).toBe('v42');
      expect(await t.read('late')).toBeUndefined();
      await t.upsert('b', 'owner');
      await b.checkpoint();
      await b.close();
      const c = await FasterKv.open(backend.options('c', { fenceCheckIntervalMs: 0 }));
      expect(await readText(c.startSession(), 'b')).toBe('owner');
      await c.close();
    });

    it('the background claim check fences the first without any write of its own, then stops', async () => {
      const backend = makeBackend();
      const a = await FasterKv.open(backend.options('a', { fenceCheckIntervalMs: 25 }));
      const s = a.startSession();
      for (let i = 0; i < 100; i++) s.upsertSync(`k${i}`, `v${i}`);
      await a.checkpoint();
      let fencedAt = 0;
      a.onFenced(() => (fencedAt = performance.now()));
      const putsBefore = a.checkpointStoreStats()!.byKind.PUT.requests;

      const claimedAt = performance.now();
      const b = await FasterKv.open(backend.options('b', { fenceCheckIntervalMs: 0 }));
      const afterClaim = await listAll(backend.checkpointUrl);
      await until(() => a.isFenced, 5000, 'the background check to fence the first instance');
      // Within a few check intervals (generous: the machine is shared).
      expect(fencedAt - claimedAt).toBeLessThan(2000);
      await expectWritesFenced(s, 'k3');
      expect(await readText(s, 'k3')).toBe('v3');
      // The check only reads (LIST, GET): the fenced instance wrote nothing.
      expect(a.checkpointStoreStats()!.byKind.PUT.requests).toBe(putsBefore);
      // The check stops once fenced: no more LISTs.
      const lists = a.checkpointStoreStats()!.byKind.LIST.requests;
      await new Promise((r) => setTimeout(r, 120));
      expect(a.checkpointStoreStats()!.byKind.LIST.requests).toBe(lists);
      await a.close();
      expect(await listAll(backend.checkpointUrl)).toEqual(afterClaim);
      expect(await readText(b.startSession(), 'k99')).toBe('v99');
      await b.close();
    });

    it('close() stops the background claim check of an instance that was never fenced', async () => {
      const backend = makeBackend();
      const a = await FasterKv.open(backend.options('a', { fenceCheckIntervalMs: 10 }));
      const stats = () => a.checkpointStoreStats()!.byKind.LIST.requests;
      await until(() => stats() >= 3, 5000, 'a few claim checks');
      expect(a.isFenced).toBe(false);
      await a.close();
      const lists = stats();
      await new Promise((r) => setTimeout(r, 100));
      expect(stats()).toBe(lists);
    });
  });
}

/**
 * An object store in which another writer can be made to create an object a moment before this
 * one does: the next create-only PUT under `prefix` is raced by a real PUT of the same key through
 * a second handle on the same memory bucket, so this writer's PUT fails its condition.
 */
class RacedStore implements ObjectStore {
  raceNextUnder: string | undefined;
  raced: string[] = [];
  constructor(
    private readonly inner: MemoryObjectStore,
    private readonly other: MemoryObjectStore,
  ) {}
  get url(): string {
    return this.inner.url;
  }
  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<PutResult> {
    const prefix = this.raceNextUnder;
    if (prefix !== undefined && key.startsWith(prefix) && condition !== undefined && 'ifNoneMatch' in condition) {
      this.raceNextUnder = undefined;
      this.raced.push(key);
      await this.other.put(key, new TextEncoder().encode('the other writer'), { ifNoneMatch: '*' });
    }
    return this.inner.put(key, bytes, condition);
  }
  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return this.inner.get(key, range);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  delete(keys: readonly string[]): Promise<void> {
    return this.inner.delete(keys);
  }
  stats(): ReturnType<ObjectStore['stats']> {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('FasterKv fencing by its log on object storage', () => {
  it('an upload that finds its object already there (another writer) fences the store at once', async () => {
    const bucket = uniqueName('fence-log');
    const store = new RacedStore(new MemoryObjectStore(bucket), new MemoryObjectStore(bucket));
    const device = await ObjectLogDevice.open(store, { prefix: 'log/', objectSize: 4096, blockSize: 512 });
    const kv = await FasterKv.open({ index: { buckets: 256 }, log: { device, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.5 } });
    const s = kv.startSession();
    for (let i = 0; i < 50; i++) await s.upsert(`k${i}`, `v${i}`);
    expect(kv.isFenced).toBe(false);
    store.raceNextUnder = 'log/';
    // Enough writes to flush pages to the device: its next upload loses the race.
    // (A write already waiting for room when the flush failed may fail too; the fence is set first.)
    for (let i = 50; !kv.isFenced && i < 5000; i++) await s.upsert(`k${i}`, `value-${i}`.padEnd(100, '.')).catch(() => undefined);
    expect(store.raced).toHaveLength(1);
    expect(kv.isFenced).toBe(true);
    await expectWritesFenced(s, 'k1');
    expect(await readText(s, 'k1')).toBe('v1');
    // The device says "another writer", not "retry": a fenced upload is not retried.
    await expect(device.sync()).rejects.toThrow(FencedError);
    const objects = await store.list('');
    await kv.close();
    // The fenced close uploads nothing more (the buffered tail is dropped).
    expect(await store.list('')).toEqual(objects);
    await expect(new MemoryObjectStore(bucket).get(store.raced[0]!)).resolves.toEqual(new TextEncoder().encode('the other writer'));
    MemoryObjectStore.drop(bucket);
  });

  it('a checkpoint after another writer claimed the prefix fails with FencedError (never a bare PreconditionFailedError)', async () => {
    const url = `memory://${uniqueName('fence-publish')}`;
    const a = await FasterKv.open({ log: { device: 'memory://', pageSize: 4096, memorySize: 16 * 4096 }, checkpoint: { url, fenceCheckIntervalMs: 0 } });
    await a.startSession().upsert('x', '1');
    const b = await FasterKv.open({ log: { device: 'memory://', pageSize: 4096, memorySize: 16 * 4096 }, checkpoint: { url, fenceCheckIntervalMs: 0 } });
    const err = await a.checkpoint().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect(err).not.toBeInstanceOf(PreconditionFailedError);
    expect(a.isFenced).toBe(true);
    await a.close();
    await b.close();
  });
});
