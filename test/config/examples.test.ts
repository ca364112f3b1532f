/**
 * The example configuration files: each one parses and validates; the local one (the embedded
 * default) is opened, written, checkpointed and reopened from a copy in a temporary directory.
 * (MinIO and Azurite are opened against real servers in integration/config-examples.test.ts.)
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { F2Kv, FasterKv, loadConfig, openStore, parseConfig } from '../../src/index.js';
import { makeRng, testSeed } from '../helpers/prng.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('examples/*.toml parse and validate', () => {
  it('local.toml: a two-tier store on local directories beside the file, periodic checkpoints', async () => {
    const c = await loadConfig(join(EXAMPLES, 'local.toml'), { env: {} });
    expect(c.store.kind).toBe('f2');
    if (c.store.kind !== 'f2') return;
    expect(c.store.resolved.hot.log.device).toBe(`file://${EXAMPLES}/data/hot`);
    expect(c.store.resolved.cold.url).toBe(`file://${EXAMPLES}/data/cold`);
    expect(c.store.resolved.checkpoint.url).toBe(`file://${EXAMPLES}/data/checkpoints`);
    expect(c.store.options.cold.store).toEqual({ createIfMissing: true });
    expect(c.checkpointIntervalMs).toBe(30_000);
    expect(c.warnings).toEqual([]);
  });

  it('minio.toml: S3 with a path-style endpoint and credentials from the environment', async () => {
    const env = { F2KV_S3_ACCESS_KEY_ID: 'id', F2KV_S3_SECRET_ACCESS_KEY: 'secret', F2KV_S3_BUCKET: 'bkt' };
    const c = await loadConfig(join(EXAMPLES, 'minio.toml'), { env });
    if (c.store.kind !== 'f2') throw new Error('expected a two-tier store');
    expect(c.store.resolved.cold.url).toBe('s3://bkt/demo/cold');
    expect(c.store.resolved.cold.store).toEqual({
      endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true, createIfMissing: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' }, timeoutMs: 10_000, maxAttempts: 5, concurrency: 16,
    });
    expect(c.store.resolved.checkpoint.store).toEqual(c.store.resolved.cold.store);
    expect(c.warnings).toEqual([]);
    await expect(loadConfig(join(EXAMPLES, 'minio.toml'), { env: {} })).rejects.toThrow(/minio\.toml: object_store\.s3\.access_key_id: environment variable F2KV_S3_ACCESS_KEY_ID is not set/);
  });

  it('azurite.toml: Azure with a connection string from the environment (development storage by default)', async () => {
    const c = await loadConfig(join(EXAMPLES, 'azurite.toml'), { env: {} });
    if (c.store.kind !== 'f2') throw new Error('expected a two-tier store');
    expect(c.store.resolved.cold.url).toBe('az://f2kv/demo/cold');
    expect(c.store.resolved.cold.store.connectionString).toBe('UseDevelopmentStorage=true');
    const conn = 'DefaultEndpointsProtocol=http;AccountName=x;AccountKey=eHl6;BlobEndpoint=http://127.0.0.1:1/x;';
    const d = await loadConfig(join(EXAMPLES, 'azurite.toml'), { env: { F2KV_AZURE_CONNECTION_STRING: conn, F2KV_PREFIX: 'p1' } });
    if (d.store.kind !== 'f2') throw new Error('expected a two-tier store');
    expect(d.store.resolved.checkpoint.url).toBe('az://f2kv/p1/checkpoints');
    expect(d.store.resolved.checkpoint.store.connectionString).toBe(conn);
  });

  it('aws-s3.toml: production sizes, the standard AWS credential chain, metrics on', async () => {
    const c = await loadConfig(join(EXAMPLES, 'aws-s3.toml'), { env: { F2KV_BUCKET: 'my-company-f2kv', AWS_REGION: 'eu-west-1' } });
    if (c.store.kind !== 'f2') throw new Error('expected a two-tier store');
    expect(c.store.resolved.cold.url).toBe('s3://my-company-f2kv/prod/cold');
    expect(c.store.resolved.cold.store.region).toBe('eu-west-1');
    expect(c.store.resolved.cold.store.credentials).toBeUndefined();
    expect(c.store.resolved.hot.log.memorySize).toBe(2 ** 30);
    expect(c.store.resolved.cold.compaction.maxLogSize).toBe(2 * 2 ** 40);
    expect(c.metrics).toEqual({ enabled: true, port: 9464, path: '/metrics', prefix: 'f2kv_' });
    expect(c.log.destination).toEqual({ kind: 'file', path: '/var/log/f2kv/f2kv.log' });
    await expect(loadConfig(join(EXAMPLES, 'aws-s3.toml'), { env: {} })).rejects.toThrow(/aws-s3\.toml: cold\.url: environment variable F2KV_BUCKET is not set/);
  });

  it('azure-blob.toml: an account name and DefaultAzureCredential', async () => {
    const c = await loadConfig(join(EXAMPLES, 'azure-blob.toml'), { env: { AZURE_STORAGE_ACCOUNT: 'acct' } });
    if (c.store.kind !== 'f2') throw new Error('expected a two-tier store');
    expect(c.store.resolved.cold.store).toEqual({ accountName: 'acct', timeoutMs: 30_000, maxAttempts: 8, concurrency: 64 });
    expect(c.checkpointIntervalMs).toBe(300_000);
  });
});

describe('examples/local.toml opens', () => {
  it('is opened, written, checkpointed, closed and reopened with every value intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-local-example-'));
    dirs.push(dir);
    const path = join(dir, 'local.toml');
    copyFileSync(join(EXAMPLES, 'local.toml'), path);
    const seed = testSeed('local-example');
    const rng = makeRng(seed);
    const expected = new Map<string, string>();
    const config = await loadConfig(path, { env: {} });
    const store = await openStore(config, { applyLog: false });
    expect(store).toBeInstanceOf(F2Kv);
    const s = store.startSession();
    for (let i = 0; i < 3000; i++) {
      const key = `k${Math.floor(rng() * 1000)}`;
      const value = `v${i}-${'x'.repeat(Math.floor(rng() * 200))}`;
      await s.upsert(key, value);
      expected.set(key, value);
    }
    const token = await store.checkpoint();
    expect(typeof token).toBe('string');
    await store.close();
    for (const sub of ['hot', 'cold', 'checkpoints']) expect(existsSync(join(dir, 'data', sub)), sub).toBe(true);

    const again = await openStore(await loadConfig(path, { env: {} }), { applyLog: false });
    const t = again.startSession();
    for (const [key, value] of expected) {
      const got = await t.read(key);
      expect(got === undefined ? undefined : Buffer.from(got).toString(), `${key} (seed ${seed})`).toBe(value);
    }
    expect(await t.read('absent')).toBeUndefined();
    await again.close();
  });
});

describe('openStore', () => {
  it('opens a FasterKv for a file without [cold]', async () => {
    const store = await openStore(parseConfig('[hot.log]\nmemory_size = "1MiB"\npage_size = "64KiB"\n[checkpoint]\nurl = "memory://config-open"', 'one-tier.toml'), { applyLog: false });
    expect(store).toBeInstanceOf(FasterKv);
    const s = store.startSession();
    await s.upsert('a', 'b');
    expect(Buffer.from((await s.read('a'))!).toString()).toBe('b');
    await store.close();
  });
});

describe('openStore errors', () => {
  it('an error raised while opening names the file and TOML key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-open-error-'));
    dirs.push(dir);
    const config = parseConfig('[hot.log]\ndevice = "file://./missing/hot"\n[cold]\nurl = "file://./cold"\n[checkpoint]\nurl = "file://./ck"', join(dir, 'c.toml'), { baseDir: dir });
    await expect(openStore(config, { applyLog: false })).rejects.toThrow(`${join(dir, 'c.toml')}: hot.log.device: the parent directory of ${join(dir, 'missing', 'hot')} does not exist; create it first`);
  });
});
