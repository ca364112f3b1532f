/**
 * Fencing of ColdKv (the cold tier on its own): a second instance opened on the same prefix
 * fences the first, at its next checkpoint or through the background claim check; the first then
 * refuses every write (sync and async), compaction and checkpoints with FencedError, keeps serving
 * reads, and closes without uploading, publishing or deleting anything. Over memory:// and file://.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import type { ColdKvOptions } from '../../src/cold/cold-options.js';
import { FencedError } from '../../src/core/errors.js';
import { expectWritesFenced, listAll, readText, text, uniqueName, until } from '../helpers/fencing.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function urlOf(kind: 'memory' | 'file'): string {
  if (kind === 'memory') return `memory://${uniqueName('fence-cold')}`;
  const d = mkdtempSync(join(tmpdir(), 'f2kv-fence-cold-'));
  dirs.push(d);
  return pathToFileURL(d).href;
}

function options(url: string, fenceCheckIntervalMs: number): ColdKvOptions {
  return {
    url,
    index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '32KiB' },
    log: { pageSize: '4KiB', memorySize: '16KiB' },
    compaction: { enabled: false },
    checkpoint: { keep: 2, fenceCheckIntervalMs },
  };
}

for (const kind of ['memory', 'file'] as const) {
  describe(`ColdKv fencing over ${kind}://`, () => {
    it('a second opener fences the first at its next checkpoint: writes fail, reads go on, close publishes nothing', async () => {
      const url = urlOf(kind);
      const a = await ColdKv.open(options(url, 0));
      const events: FencedError[] = [];
      a.onFenced((e) => events.push(e));
      const s = a.startSession('app');
      for (let i = 0; i < 300; i++) await s.upsert(`k${i}`, `v${i}`);
      await a.checkpoint();
      await s.upsert('late', 'after the checkpoint');

      const b = await ColdKv.open(options(url, 0));
      expect(a.isFenced).toBe(false);
      const afterClaim = await listAll(url);
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      expect(a.isFenced).toBe(true);
      expect(events).toHaveLength(1);
      // The refused checkpoint flushed and published nothing (the claim check comes first).
      expect(await listAll(url)).toEqual(afterClaim);

      await expectWritesFenced(s, 'k1');
      await expect(a.compact()).rejects.toThrow(FencedError);
      await expect(a.checkpoint()).rejects.toThrow(FencedError);
      // The refused checkpoint counts as failed (a checkpoint refused up front is not counted again).
      expect(a.stats().checkpoints.failed).toBe(1);
      expect(a.stats().checkpoints.lastError).toMatch(/fenced/);
      expect(text(await s.read('k7'))).toBe('v7');
      expect(await readText(s, 'late')).toBe('after the checkpoint');

      await a.close();
      // Nothing uploaded (not even the buffered log tail), published or deleted.
      expect(await listAll(url)).toEqual(afterClaim);

      const t = b.continueSession('app');
      expect(t.serial).toBe(300);
      expect(await readText(t, 'k299')).toBe('v299');
      expect(await t.read('late')).toBeUndefined();
      await t.upsert('b', 'owner');
      await b.close();
      const c = await ColdKv.open(options(url, 0));
      expect(await readText(c.startSession(), 'b')).toBe('owner');
      await c.close();
    });

    it('the background claim check fences the first without any write of its own', async () => {
      const url = urlOf(kind);
      const a = await ColdKv.open(options(url, 25));
      const s = a.startSession();
      for (let i = 0; i < 50; i++) await s.upsert(`k${i}`, `v${i}`);
      await a.checkpoint();
      const putsBefore = a.stats().requests.byKind.PUT.requests;
      const b = await ColdKv.open(options(url, 0));
      const afterClaim = await listAll(url);
      const waited = await until(() => a.isFenced, 5000, 'the background check to fence the first cold store');
      expect(waited).toBeLessThan(2000);
      await expectWritesFenced(s, 'k2');
      expect(await readText(s, 'k2')).toBe('v2');
      expect(a.stats().requests.byKind.PUT.requests).toBe(putsBefore);
      await a.close();
      expect(await listAll(url)).toEqual(afterClaim);
      await b.close();
    });
  });
}
