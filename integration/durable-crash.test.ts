/**
 * Durable acknowledgements survive SIGKILL at random moments with the checkpoints and the
 * operation log on MinIO (the hot log stays local): what a lost machine leaves is in the bucket.
 * The worker writes with every write acknowledged as durable (mode 'commit', group commit over
 * S3 PUTs) and is killed by PID at seeded random moments; each restart checks exact per-session
 * prefixes and that every acknowledged write is there (see test/crash/durable-harness.ts).
 * Kills: F2KV_DURABLE_S3_KILLS (default 20; with the 30 local kills of test/crash/durable-kill.test.ts, 50 in all).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { buildDurableWorker, durableKillLoop } from '../test/crash/durable-harness.js';
import type { StoreLocation } from '../test/crash/store-api.js';
import { testSeed } from '../test/helpers/prng.js';
import { freshPrefix, minioStoreOptions, scratchDirAndStore, withBackend } from './backends.js';

const SEED = testSeed('durable-crash');
const KILLS = Number(process.env['F2KV_DURABLE_S3_KILLS'] ?? 20);

withBackend('s3', 'durable acknowledgements: SIGKILL with checkpoints and the operation log on MinIO', (s3) => {
  let workerJs = '';
  const prefix = freshPrefix('durable-crash');
  const storeOptions = minioStoreOptions(s3, { timeoutMs: 20_000 });
  const scratch = scratchDirAndStore('durable-s3', `s3://${s3.bucket}/${prefix}`, storeOptions);
  beforeAll(async () => {
    workerJs = await buildDurableWorker();
  }, 120_000);

  it('FasterKv, mode "commit": every acknowledged write is recovered from the bucket, each session an exact prefix', async () => {
    await mkdir(join(scratch.dir(), 'hot'), { recursive: true });
    const loc: StoreLocation = {
      logUrl: pathToFileURL(join(scratch.dir(), 'hot')).href,
      checkpointUrl: `s3://${s3.bucket}/${prefix}`,
      checkpointStore: storeOptions,
      mode: 'snapshot',
      keep: 2,
      pageSize: '16KiB',
      memorySize: '128KiB',
      buckets: 1024,
    };
    // The operation log goes beside the checkpoints (s3://…/aof) with the checkpoint store's options.
    const t = await durableKillLoop('minio-kv', workerJs, loc, {
      seed: SEED, keySpace: 256, sessions: ['m0', 'm1'], maxWindow: 64,
      durability: { mode: 'commit', commitIntervalMs: 2 }, durableShare: 1, checkpointEveryMs: 500,
    }, KILLS, SEED, 60_000);
    expect(t.acks).toBeGreaterThan(0);
  }, 400_000);
});
