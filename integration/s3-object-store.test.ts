import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { FasterKv } from '../src/hot/faster-kv.js';
import { crc32c } from '../src/core/checksum.js';
import { AuthenticationError, BucketNotFoundError, PreconditionFailedError } from '../src/core/errors.js';
import { ObjectLogDevice } from '../src/devices/object-log-device.js';
import { openObjectStore } from '../src/devices/open-object-store.js';
import { openStorageDevice } from '../src/devices/open-storage-device.js';
import { S3ObjectStore } from '../src/devices/s3-object-store.js';
import { describeObjectLogDeviceConformance, describeObjectStoreConformance, expectSameBytes, randomBytes } from '../test/devices/object-store-conformance.js';
import { emptyStore, freshPrefix, withBackend } from './backends.js';

withBackend('s3', 'S3 (MinIO)', (s3) => {
  const base = {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    timeoutMs: 20_000,
  };

  describeObjectStoreConformance(
    `S3 (${s3.source})`,
    async ({ listPageSize }) => S3ObjectStore.open({ ...base, prefix: freshPrefix('store'), listPageSize }),
    { identicalRewriteKeepsEtag: true },
    emptyStore,
  );

  describeObjectLogDeviceConformance(`S3 (${s3.source})`, async () => {
    const prefix = freshPrefix('device');
    const store = await S3ObjectStore.open({ ...base, prefix });
    return { store, reopen: () => S3ObjectStore.open({ ...base, prefix }), destroy: () => emptyStore(store) };
  });

  it('opens by URL (s3://bucket/prefix) and as a storage device', async () => {
    const prefix = freshPrefix('url');
    const opts = { endpoint: s3.endpoint, region: s3.region, credentials: base.credentials };
    const store = await openObjectStore(`s3://${s3.bucket}/${prefix}`, opts);
    expect(store.url).toBe(`s3://${s3.bucket}/${prefix}`);
    await store.put('hello', new TextEncoder().encode('world'));
    const device = await openStorageDevice(`s3://${s3.bucket}/${prefix}`, { ...opts, objectSize: '64KiB', blockSize: '4KiB' });
    expect(device).toBeInstanceOf(ObjectLogDevice);
    const data = randomBytes(100_000, 1);
    await device.write(0, data);
    await device.sync();
    expectSameBytes(await device.read(70_000, 4096), data.subarray(70_000, 74_096));
    await device.close();
    expect(await store.list('')).toContain('hello');
    await emptyStore(store);
    await store.close();
  });

  it('takes endpoint, region and credentials from the standard AWS environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: s3.endpoint, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey });
    try {
      const store = await openObjectStore(`s3://${s3.bucket}/${freshPrefix('env')}`);
      await store.put('x', new Uint8Array([1]));
      expect(await store.list('')).toEqual(['x']);
      await emptyStore(store);
      await store.close();
    } finally {
      process.env = saved;
    }
  });

  it('wrong credentials: AuthenticationError naming the endpoint, never the secret', async () => {
    const secret = 'WRONG-secret-0123456789abcdef';
    for (const credentials of [
      { accessKeyId: s3.accessKeyId, secretAccessKey: secret },
      { accessKeyId: 'NOSUCHKEY12345', secretAccessKey: secret },
    ]) {
      const err = await S3ObjectStore.open({ ...base, credentials, prefix: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      const text = `${(err as Error).message} ${String((err as Error).cause)}`;
      expect(text).toContain(s3.endpoint);
      expect(text).toMatch(/authentication failed/);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(s3.secretAccessKey);
    }
    // the same through a store opened without verification, on a data request
    const lazy = await S3ObjectStore.open({ ...base, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: secret }, verify: false });
    await expect(lazy.put('k', new Uint8Array(1))).rejects.toBeInstanceOf(AuthenticationError);
    expect(lazy.stats().byKind.PUT.retries).toBe(0);
    await lazy.close();
  });

  it('missing bucket: BucketNotFoundError naming it', async () => {
    const err = await S3ObjectStore.open({ ...base, bucket: 'f2kv-no-such-bucket' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BucketNotFoundError);
    expect((err as BucketNotFoundError).bucket).toBe('f2kv-no-such-bucket');
    expect((err as Error).message).toContain('f2kv-no-such-bucket');
    expect((err as Error).message).toContain(s3.endpoint);
  });

  it('createIfMissing creates a missing bucket (off by default); FasterKv.open does not create one unless asked', async () => {
    const bucket = `f2kv-created-${freshPrefix('b').replace(/[^a-z0-9]/g, '').slice(-20)}`;
    const url = `s3://${bucket}/ckpt`;
    const opts = { endpoint: s3.endpoint, region: s3.region, credentials: base.credentials };
    await expect(openObjectStore(url, opts)).rejects.toBeInstanceOf(BucketNotFoundError);
    const dir = join(mkdtempSync(join(tmpdir(), 'f2kv-s3-create-')), 'hot');
    const kvOptions = { log: { device: `file://${dir}`, memorySize: 8192, pageSize: 4096 }, checkpoint: { url, store: opts } };
    await expect(FasterKv.open(kvOptions)).rejects.toBeInstanceOf(BucketNotFoundError);
    expect(existsSync(dir)).toBe(false); // the failed open took back the directory it created
    const created = await openObjectStore(url, { ...opts, createIfMissing: true });
    await created.put('k', new TextEncoder().encode('v'));
    await created.close();
    const again = await openObjectStore(url, { ...opts, createIfMissing: true }); // already there: fine
    expect(await again.head('k')).toBeDefined();
    await emptyStore(again);
    await again.close();
    const store = await FasterKv.open(kvOptions);
    await store.startSession().upsert('a', 'b');
    await store.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  });

  it('a server that is down: transient failures retried, then a clear error naming the endpoint', async () => {
    const store = await S3ObjectStore.open({ ...base, endpoint: 'http://127.0.0.1:9', verify: false, maxAttempts: 3, baseDelayMs: 1, timeoutMs: 2000 });
    const err = await store.get('k').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/127\.0\.0\.1:9.*still failing after 3 attempts/);
    expect(store.stats().byKind.GET).toMatchObject({ requests: 3, retries: 2 });
    await store.close();
  });

  it('PUTs carry a CRC-32C the service verifies: a body that does not match it is refused, not stored', async () => {
    const store = await S3ObjectStore.open({ ...base, prefix: freshPrefix('crc'), maxAttempts: 2, baseDelayMs: 1 });
    const bytes = randomBytes(3 * 1024 * 1024 + 5, 21);
    await store.put('computed', bytes); // the store computes the checksum
    await store.put('given', bytes, undefined, { crc32c: crc32c(bytes) }); // the caller knew it
    expectSameBytes(await store.get('computed'), bytes);
    expectSameBytes(await store.get('given', { offset: 1000, length: 2_000_000 }), bytes.subarray(1000, 2_001_000));
    // A checksum that does not match the bytes (as when they were damaged on the way): refused
    // on every attempt (a mismatch is retried as a transfer error), and nothing is stored.
    const err = await store.put('damaged', bytes, undefined, { crc32c: (crc32c(bytes) ^ 1) >>> 0 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/still failing after 2 attempts.*(XAmzContentChecksumMismatch|BadDigest)/);
    expect(await store.head('damaged')).toBeUndefined();
    await emptyStore(store);
    await store.close();
  });

  it("payloadChecksum 'sha256': bodies are signed instead, no CRC-32C header is sent; a bad value is a ConfigError", async () => {
    expect(() => new S3ObjectStore({ ...base, payloadChecksum: 'md5' as never })).toThrow(/payloadChecksum.*"crc32c", "sha256".*"md5"/);
    const store = await S3ObjectStore.open({ ...base, prefix: freshPrefix('sha'), maxAttempts: 1, payloadChecksum: 'sha256' });
    const bytes = randomBytes(2 * 1024 * 1024 + 3, 22);
    await store.put('signed', bytes);
    expectSameBytes(await store.get('signed'), bytes);
    // The crc32c hint is not sent in this mode: a wrong one does not make the service refuse the
    // body (in 'crc32c' mode it does, above), and the stored bytes are the ones sent.
    await store.put('hint-ignored', bytes, { ifNoneMatch: '*' }, { crc32c: (crc32c(bytes) ^ 1) >>> 0 });
    expectSameBytes(await store.get('hint-ignored'), bytes);
    await expect(store.put('hint-ignored', bytes, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    await emptyStore(store);
    await store.close();
  });
});
