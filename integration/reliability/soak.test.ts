/**
 * The short soak (bench/lib/soak.ts; `npm run soak -- --duration 2h` for long runs): 75 s of a
 * mixed F2 load with migrations and checkpoints against MinIO on a 128 KiB hot log (512 KiB budget) and a 768 KiB cold log budget (3,000 keys, about 400 KB live), a line every
 * 10 s; no wrong read, no acknowledged write lost at the final fresh-machine recovery, and after
 * warm-up the bucket's object count and RSS stay within their bounds.
 */
import { expect, it } from 'vitest';
import { openObjectStore } from '../../src/devices/open-object-store.js';
import { runSoak } from '../../bench/lib/soak.js';
import { testSeed } from '../../test/helpers/prng.js';
import { emptyStore, freshPrefix, minioStoreOptions, withBackend } from '../backends.js';

const DURATION_SEC = Number(process.env['F2KV_SOAK_SECONDS'] ?? 75);

withBackend('s3', 'soak on MinIO', (s3) => {
  it(`runs ${DURATION_SEC} s of mixed F2 load with bounded objects and RSS, and loses nothing`, async () => {
    const store = minioStoreOptions(s3);
    const url = `s3://${s3.bucket}/${freshPrefix('soak')}`;
    const seed = testSeed('soak');
    try {
      const r = await runSoak({
        url, store, durationSec: DURATION_SEC, reportEverySec: 10, checkpointEverySec: 10, keys: 3000, valueBytes: 100,
        hotMemory: 128 * 1024, coldLogBudget: 768 * 1024, seed, warmupFraction: 0.35, print: (line) => console.log(line),
      });
      console.log(
        `[soak] acknowledged=${r.acknowledged} wrong reads=${r.wrongReads} lost=${r.lost} checkpoints=${r.checkpoints} ` +
          `objects after warm-up max ${r.bounds.maxObjectsAfterWarmup} (bound ${r.bounds.objects}), RSS max ${r.bounds.maxRssMiBAfterWarmup} MiB (bound ${r.bounds.rssMiB})`,
      );
      expect(r.errors).toEqual([]);
      expect(r.wrongReads).toBe(0);
      expect(r.lost).toBe(0);
      expect(r.acknowledged).toBeGreaterThan(1000);
      expect(r.samples.at(-1)!.migrationPasses).toBeGreaterThan(0);
      expect(r.checkpoints).toBeGreaterThan(3);
      expect(r.withinBounds, JSON.stringify(r.bounds)).toBe(true);
    } finally {
      const o = await openObjectStore(url, store);
      await emptyStore(o);
      await o.close();
    }
  }, (DURATION_SEC + 120) * 1000);
});
