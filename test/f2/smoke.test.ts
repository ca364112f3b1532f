import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { F2Kv } from '../../src/f2/f2-kv.js';

describe('f2 smoke', () => {
  it('moves records to cold and reads them back across a recovery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2-smoke-'));
    const opts = {
      hot: { log: { device: pathToFileURL(join(dir, 'hot')).href, memorySize: '64KiB', pageSize: '4KiB' }, readCache: { memorySize: '16KiB', pageSize: '4KiB' }, index: { buckets: 256 } },
      cold: { url: `memory://f2-smoke-${Date.now()}/cold`, index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '32KiB' }, log: { pageSize: '4KiB', memorySize: '16KiB' } },
      compaction: { hotToCold: { maxLogSize: '128KiB' } },
      checkpoint: { url: `memory://f2-smoke-${Date.now()}/ck` },
    };
    const kv = await F2Kv.open(opts);
    const s = kv.startSession('a');
    const N = 5000;
    for (let i = 0; i < N; i++) await s.upsert(`k${i}`, `v${i}-${'x'.repeat(40)}`);
    for (let i = 0; i < N; i += 5) await s.delete(`k${i}`);
    for (let i = 1; i < N; i += 5) await s.rmw(`k${i}`, (o) => `${o === undefined ? 'none' : new TextDecoder().decode(o)}+1`);
    const expected = (i: number): string | undefined => (i % 5 === 0 ? undefined : i % 5 === 1 ? `v${i}-${'x'.repeat(40)}+1` : `v${i}-${'x'.repeat(40)}`);
    const check = async (sess: typeof s): Promise<void> => {
      for (let i = 0; i < N; i++) {
        const v = await sess.read(`k${i}`);
        expect(v === undefined ? undefined : new TextDecoder().decode(v), `k${i}`).toBe(expected(i));
      }
    };
    await check(s);
    console.log(JSON.stringify({ reads: kv.stats().reads, h2c: kv.stats().hotToCold, cold: kv.stats().cold.log, memory: kv.stats().memory }));
    const token = await kv.checkpoint();
    await kv.close();
    const again = await F2Kv.open(opts);
    expect(again.recoveredToken).toBeDefined();
    const s2 = again.continueSession('a');
    await check(s2);
    console.log(token, JSON.stringify(again.stats().reads));
    await again.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
