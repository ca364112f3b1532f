/**
 * Regression test found by the crash test: a checkpoint taken while automatic compaction runs with
 * the log over its budget never completes, and writers stop with it. The cycle: writers that need
 * room wait for the compaction pass (backpressure); the checkpoint waits for those writers (drain
 * of its version); the compaction pass waits for the checkpoint (checkpointIdle) before it moves
 * begin.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { FasterKv } from '../../src/index.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms).unref())]);

it('a checkpoint completes while automatic compaction throttles writers', async () => {
  dir = await mkdtemp(join(tmpdir(), 'f2kv-ckpt-compaction-'));
  const store = await FasterKv.open({
    index: { buckets: 1024 },
    log: { device: pathToFileURL(dir).href, pageSize: '64KiB', memorySize: '1MiB' },
    compaction: { enabled: true, maxLogSize: '1MiB' },
    checkpoint: { url: pathToFileURL(join(dir, 'ckpt')).href, mode: 'fold-over' },
    recover: false,
  });
  const s = store.startSession('w');
  const value = 'v'.repeat(200);
  // A log well over its budget: the first compaction pass is long and throttles writers.
  for (let i = 0; i < 60_000; i++) await s.upsert(`k${i % 5000}`, value);
  let stop = false;
  let written = 0;
  const writer = (async () => {
    while (!stop) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => s.upsert(`k${(written + i) % 5000}`, value)));
      written += 8;
      if (written % 256 === 0) await new Promise<void>((r) => setImmediate(r));
    }
  })();
  try {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((r) => setTimeout(r, 20));
      await within(store.checkpoint(), 5000, `checkpoint ${i + 1} (${written} writes so far)`);
    }
  } finally {
    stop = true;
    await within(writer, 5000, 'the writer').catch(() => undefined);
  }
  expect(written).toBeGreaterThan(0);
  await within(store.close(), 5000, 'close');
}, 60_000);
