/**
 * Background passes let the event loop turn: a hot → cold migration of a hot log that is all in
 * memory awaited only promises that were settled already, so the whole pass (seconds for a few
 * hundred thousand records) was one pause of the event loop; no timer, I/O callback or request of
 * the service around it ran until it ended. The pass now seals the log and scans it in time
 * slices (src/core/time-slice.ts). A 1 ms timer runs during the pass and its longest gap must be a
 * small fraction of the pass (before: the whole pass).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { F2Kv } from '../../src/index.js';

const RECORDS = 100_000;

describe('background passes and the event loop', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('compactHotLog() over a hot log in memory lets timers run all through the pass', async () => {
    dir = await mkdtemp(join(tmpdir(), 'f2kv-slices-'));
    const url = (sub: string): string => pathToFileURL(join(dir, sub)).href;
    const store = await F2Kv.open({
      hot: { index: { buckets: 1 << 15 }, log: { device: url('hot'), memorySize: '32MiB', pageSize: '1MiB' } },
      cold: { url: url('cold'), index: { expectedKeys: RECORDS } },
      checkpoint: { url: url('ckpt'), intervalMs: 0 },
      recover: false,
    });
    try {
      const s = store.startSession();
      const value = new Uint8Array(100);
      for (let i = 0; i < RECORDS; i++) {
        const key = new Uint8Array(8);
        new DataView(key.buffer).setUint32(0, i);
        expect(s.upsertSync(key, value)).toBeUndefined();
      }
      let ticks = 0;
      let last = performance.now();
      let longestGap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        ticks++;
      }, 1);
      const started = performance.now();
      last = started;
      const result = await store.compactHotLog();
      const passMs = performance.now() - started;
      clearInterval(timer);
      longestGap = Math.max(longestGap, performance.now() - last);
      console.log(`[event-loop-slices] migrated ${result.recordsCopied} records in ${passMs.toFixed(0)} ms; ${ticks} timer ticks, longest gap ${longestGap.toFixed(1)} ms`);
      expect(result.recordsCopied).toBe(RECORDS);
      expect(passMs).toBeGreaterThan(100); // long enough for the gaps to say something
      expect(ticks).toBeGreaterThan(10);
      expect(longestGap).toBeLessThan(passMs / 4);
      // Everything migrated reads back from the cold tier.
      for (const i of [0, 1, RECORDS / 2, RECORDS - 1]) {
        const key = new Uint8Array(8);
        new DataView(key.buffer).setUint32(0, i);
        expect(await s.read(key)).toEqual(value);
      }
      s.end();
    } finally {
      await store.close();
    }
  });
});
