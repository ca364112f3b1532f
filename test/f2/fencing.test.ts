/**
 * Fencing of F2Kv: a second F2Kv opened on the same checkpoint and cold prefixes fences the
 * first (at its next checkpoint, or through the background claim check of the F2 manifests);
 * a fence found in either tier fences the whole store. The fenced store refuses every write,
 * compaction and checkpoint with FencedError, keeps serving reads from both tiers, and closes
 * without publishing anything. Over memory:// and file://.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ColdKv, F2Kv, FencedError } from '../../src/index.js';
import type { F2KvOptions } from '../../src/index.js';
import { expectWritesFenced, listAll, readText, uniqueName, until } from '../helpers/fencing.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Layout {
  coldUrl: string;
  ckUrl: string;
  options(who: string, checkpoint?: Partial<F2KvOptions['checkpoint']>): F2KvOptions;
}

function layout(kind: 'memory' | 'file'): Layout {
  const dir = mkdtempSync(join(tmpdir(), 'f2kv-fence-f2-'));
  dirs.push(dir);
  const name = uniqueName('fence-f2');
  const coldUrl = kind === 'memory' ? `memory://${name}-cold` : pathToFileURL(join(dir, 'cold')).href;
  const ckUrl = kind === 'memory' ? `memory://${name}-ck` : pathToFileURL(join(dir, 'ck')).href;
  return {
    coldUrl,
    ckUrl,
    options: (who, checkpoint = {}) => ({
      hot: {
        index: { buckets: 512 },
        log: { device: kind === 'memory' ? 'memory://' : pathToFileURL(join(dir, `hot-${who}`)).href, memorySize: '64KiB', pageSize: '4KiB' },
      },
      cold: { url: coldUrl, index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' }, log: { pageSize: '4KiB', memorySize: '12KiB' } },
      compaction: { hotToCold: { enabled: false } },
      checkpoint: { url: ckUrl, keep: 2, ...checkpoint },
    }),
  };
}

/** Every object of both prefixes. */
async function objects(l: Layout): Promise<string[]> {
  return [...(await listAll(l.coldUrl)).map((k) => `cold/${k}`), ...(await listAll(l.ckUrl)).map((k) => `ck/${k}`)];
}

for (const kind of ['memory', 'file'] as const) {
  describe(`F2Kv fencing over ${kind}://`, () => {
    it('a second opener fences the first at its next checkpoint: both tiers refuse writes, reads go on, close publishes nothing', async () => {
      const l = layout(kind);
      const a = await F2Kv.open(l.options('a', { fenceCheckIntervalMs: 0 }));
      const events: FencedError[] = [];
      a.onFenced((e) => events.push(e));
      const s = a.startSession('app');
      for (let i = 0; i < 300; i++) await s.upsert(`k${i}`, `v${i}`);
      await a.compactHotLog(); // part of the data in the cold tier
      expect(a.stats().hotToCold.recordsMoved).toBeGreaterThan(0);
      await s.upsert('hot-only', 'in hot memory');
      await a.checkpoint();
      await s.upsert('late', 'after the checkpoint');

      const b = await F2Kv.open(l.options('b', { fenceCheckIntervalMs: 0 }));
      expect(a.isFenced).toBe(false);
      const afterClaim = await objects(l);
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      expect(a.isFenced).toBe(true);
      expect(a.hot.isFenced).toBe(true);
      expect(a.cold.isFenced).toBe(true);
      expect(events).toHaveLength(1);
      expect(await objects(l)).toEqual(afterClaim);

      await expectWritesFenced(s, 'k1');
      await expect(a.compactHotLog()).rejects.toThrow(FencedError);
      await expect(a.compactColdLog()).rejects.toThrow(FencedError);
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      expect(await readText(s, 'k5')).toBe('v5'); // from cold
      expect(await readText(s, 'hot-only')).toBe('in hot memory');
      expect(await readText(s, 'late')).toBe('after the checkpoint');

      await a.close();
      expect(await objects(l)).toEqual(afterClaim);

      const t = b.continueSession('app');
      expect(await readText(t, 'k5')).toBe('v5');
      expect(await readText(t, 'hot-only')).toBe('in hot memory');
      expect(await t.read('late')).toBeUndefined();
      await t.upsert('b', 'owner');
      await b.close();
      const c = await F2Kv.open(l.options('c', { fenceCheckIntervalMs: 0 }));
      expect(await readText(c.startSession(), 'b')).toBe('owner');
      await c.close();
    });

    it('the background claim check fences the first without any write of its own', async () => {
      const l = layout(kind);
      const a = await F2Kv.open(l.options('a', { fenceCheckIntervalMs: 25 }));
      const s = a.startSession();
      for (let i = 0; i < 100; i++) await s.upsert(`k${i}`, `v${i}`);
      await a.checkpoint();
      const b = await F2Kv.open(l.options('b', { fenceCheckIntervalMs: 0 }));
      const afterClaim = await objects(l);
      const waited = await until(() => a.isFenced, 5000, 'the background check to fence the first F2 store');
      expect(waited).toBeLessThan(2000);
      expect(a.hot.isFenced && a.cold.isFenced).toBe(true);
      await expectWritesFenced(s, 'k9');
      expect(await readText(s, 'k9')).toBe('v9');
      await a.close();
      expect(await objects(l)).toEqual(afterClaim);
      expect(await readText(b.startSession(), 'k99')).toBe('v99');
      await b.close();
    });

    it('a fence found in one tier (another writer claimed the cold prefix) fences the whole store', async () => {
      const l = layout(kind);
      const a = await F2Kv.open(l.options('a', { fenceCheckIntervalMs: 0 }));
      const s = a.startSession();
      for (let i = 0; i < 50; i++) await s.upsert(`k${i}`, `v${i}`);
      await a.checkpoint();
      const intruder = await ColdKv.open({ url: l.coldUrl, index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' }, checkpoint: { fenceCheckIntervalMs: 0 } });
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      expect(a.cold.isFenced).toBe(true);
      expect(a.hot.isFenced).toBe(true);
      expect(a.isFenced).toBe(true);
      await expectWritesFenced(s, 'k1');
      expect(await readText(s, 'k1')).toBe('v1');
      await a.close();
      await intruder.close();
    });
  });
}
