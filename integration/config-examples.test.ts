/**
 * examples/minio.toml and examples/azurite.toml opened against the harness's MinIO and Azurite:
 * endpoints and credentials reach the files through their `${ENV}` references (given to
 * loadConfig as its environment). Each store is written, migrated to cold, checkpointed, closed,
 * and recovered on a "fresh machine" (its hot directory deleted), so every value must come back
 * from the bucket or container.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { F2Kv, loadConfig, openObjectStore, openStore, type StoreConfig } from '../src/index.js';
import { makeRng, testSeed } from '../test/helpers/prng.js';
import { emptyStore, freshPrefix, withBackend } from './backends.js';

const EXAMPLES = resolve(import.meta.dirname, '../examples');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openExample(path: string, env: Record<string, string>): Promise<{ config: StoreConfig; store: F2Kv }> {
  const config = await loadConfig(path, { env });
  const store = await openStore(config, { applyLog: false });
  if (!(store instanceof F2Kv)) throw new Error(`${path} should open a two-tier store`);
  return { config, store };
}

async function runExample(name: string, env: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `f2kv-config-${name}-`));
  dirs.push(dir);
  const path = join(dir, `${name}.toml`);
  copyFileSync(join(EXAMPLES, `${name}.toml`), path);
  const seed = testSeed(`config-example-${name}`);
  const rng = makeRng(seed);
  const expected = new Map<string, string>();

  const { config, store } = await openExample(path, env);
  try {
    const s = store.startSession();
    for (let i = 0; i < 2000; i++) {
      const key = `k${Math.floor(rng() * 800)}`;
      const value = `${name}-${i}-${'v'.repeat(Math.floor(rng() * 100))}`;
      await s.upsert(key, value);
      expected.set(key, value);
    }
    const migrated = await store.compactHotLog();
    expect(migrated.recordsCopied).toBeGreaterThan(0);
    await store.checkpoint();
  } finally {
    await store.close();
  }
  const hotDir = join(dir, 'data', name, 'hot');
  expect(existsSync(hotDir)).toBe(true);
  rmSync(hotDir, { recursive: true, force: true }); // a fresh machine: only the bucket is left

  const again = await openExample(path, env);
  try {
    const t = again.store.startSession();
    for (const [key, value] of expected) {
      const got = await t.read(key);
      expect(got === undefined ? undefined : Buffer.from(got).toString(), `${name} ${key} (seed ${seed})`).toBe(value);
    }
    expect(again.store.stats().reads.cold).toBeGreaterThan(0);
  } finally {
    await again.store.close();
  }

  // Remove what the test wrote under its prefix.
  if (config.store.kind !== 'f2') throw new Error('unreachable');
  const { url, store: storeOptions } = config.store.resolved.cold;
  const prefixUrl = url.replace(/\/cold$/, '');
  const o = await openObjectStore(prefixUrl, storeOptions);
  await emptyStore(o);
  await o.close();
}

withBackend('s3', 'examples/minio.toml on MinIO', (s3) => {
  it('opens, writes, migrates to the bucket, checkpoints and recovers from the bucket alone', async () => {
    await runExample('minio', {
      F2KV_S3_ENDPOINT: s3.endpoint,
      F2KV_S3_ACCESS_KEY_ID: s3.accessKeyId,
      F2KV_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      F2KV_S3_BUCKET: s3.bucket,
      F2KV_PREFIX: freshPrefix('config-minio'),
    });
  });
});

withBackend('azure', 'examples/azurite.toml on Azurite', (az) => {
  it('opens, writes, migrates to the container, checkpoints and recovers from the container alone', async () => {
    await runExample('azurite', {
      F2KV_AZURE_CONNECTION_STRING: az.connectionString,
      F2KV_AZURE_CONTAINER: az.container,
      F2KV_PREFIX: freshPrefix('config-azurite'),
    });
  });
});
