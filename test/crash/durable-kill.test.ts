/**
 * Durable acknowledgements survive SIGKILL at random moments, on a local directory: a FasterKv
 * whose every write waits for its commit (mode 'commit'), and an F2Kv whose writes ask for
 * `{ durable: true }` half of the time (mode 'checkpoint'). See durable-harness.ts.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDurableWorker, durableKillLoop } from './durable-harness.js';
import type { StoreLocation } from './store-api.js';

const SEED = process.env['F2KV_SEED'] !== undefined ? Number(process.env['F2KV_SEED']) : (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0;
const KILLS = Number(process.env['F2KV_DURABLE_LOCAL_KILLS'] ?? 30);

describe('durable acknowledgements: SIGKILL on a local directory', () => {
  let dir = '';
  let workerJs = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'f2kv-durable-kill-'));
    workerJs = await buildDurableWorker();
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('FasterKv, mode "commit": every acknowledged write is recovered, each session an exact prefix', async () => {
    const base = join(dir, 'kv');
    await mkdir(join(base, 'hot'), { recursive: true });
    const loc: StoreLocation = {
      logUrl: pathToFileURL(join(base, 'hot')).href,
      checkpointUrl: pathToFileURL(join(base, 'ckpt')).href,
      keep: 2,
      pageSize: '16KiB',
      memorySize: '128KiB',
      buckets: 1024,
    };
    const t = await durableKillLoop('local-kv', workerJs, loc, {
      seed: SEED, keySpace: 256, sessions: ['w0', 'w1', 'w2'], maxWindow: 64,
      durability: { mode: 'commit', commitIntervalMs: 2 }, durableShare: 1, checkpointEveryMs: 300,
    }, Math.ceil(KILLS / 2), SEED, 30_000);
    expect(t.acks).toBeGreaterThan(0);
  }, 240_000);

  it('F2Kv, mode "checkpoint" with { durable: true } on half of the writes', async () => {
    const base = join(dir, 'f2');
    await mkdir(join(base, 'hot'), { recursive: true });
    const loc: StoreLocation = {
      logUrl: pathToFileURL(join(base, 'hot')).href,
      checkpointUrl: pathToFileURL(join(base, 'ckpt')).href,
      keep: 2,
      pageSize: '16KiB',
      memorySize: '128KiB',
      buckets: 1024,
      cold: {
        url: pathToFileURL(join(base, 'cold')).href,
        hotBudget: '256KiB', logPageSize: '16KiB', logMemorySize: '64KiB',
        expectedKeys: 2048, chunkSize: '256B', chunkCacheSize: '32KiB', coldBudget: '2MiB', readCacheSize: '64KiB',
      },
    };
    const t = await durableKillLoop('local-f2', workerJs, loc, {
      seed: SEED + 1, keySpace: 256, sessions: ['f0', 'f1'], maxWindow: 32,
      durability: { mode: 'checkpoint', commitIntervalMs: 2 }, durableShare: 0.5, checkpointEveryMs: 400,
    }, Math.floor(KILLS / 2), SEED + 1, 30_000);
    expect(t.acks).toBeGreaterThan(0);
  }, 240_000);
});
