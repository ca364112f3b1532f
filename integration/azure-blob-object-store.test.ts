import { expect, it } from 'vitest';
import { AuthenticationError, BucketNotFoundError } from '../src/core/errors.js';
import { AzureBlobObjectStore } from '../src/devices/azure-blob-object-store.js';
import { ObjectLogDevice } from '../src/devices/object-log-device.js';
import { openObjectStore } from '../src/devices/open-object-store.js';
import { openStorageDevice } from '../src/devices/open-storage-device.js';
import { describeObjectLogDeviceConformance, describeObjectStoreConformance, expectSameBytes, randomBytes } from '../test/devices/object-store-conformance.js';
import { emptyStore, freshPrefix, withBackend } from './backends.js';

withBackend('azure', 'Azure Blob (Azurite)', (az) => {
  const base = { container: az.container, connectionString: az.connectionString, timeoutMs: 20_000 };

  describeObjectStoreConformance(
    `Azure Blob (${az.source})`,
    async ({ listPageSize }) => AzureBlobObjectStore.open({ ...base, prefix: freshPrefix('store'), listPageSize }),
    {},
    emptyStore,
  );

  describeObjectLogDeviceConformance(`Azure Blob (${az.source})`, async () => {
    const prefix = freshPrefix('device');
    const store = await AzureBlobObjectStore.open({ ...base, prefix });
    return { store, reopen: () => AzureBlobObjectStore.open({ ...base, prefix }), destroy: () => emptyStore(store) };
  });

  it('opens by URL with a connection string, an account key, or the environment; and as a storage device', async () => {
    const prefix = freshPrefix('url');
    const byCs = await openObjectStore(`az://${az.container}/${prefix}`, { connectionString: az.connectionString });
    expect(byCs.url).toBe(`az://${az.container}/${prefix}`);
    await byCs.put('a', new Uint8Array([1]));
    const byKey = await openObjectStore(`az://${az.container}/${prefix}`, { accountName: az.accountName, accountKey: az.accountKey, endpoint: az.blobEndpoint });
    expect(await byKey.list('')).toEqual(['a']);
    const saved = { ...process.env };
    process.env['AZURE_STORAGE_CONNECTION_STRING'] = az.connectionString;
    try {
      const byEnv = await openObjectStore(`az://${az.container}/${prefix}`);
      expect(await byEnv.list('')).toEqual(['a']);
      await byEnv.close();
    } finally {
      process.env = saved;
    }
    const device = await openStorageDevice(`az://${az.container}/${prefix}`, { connectionString: az.connectionString, objectSize: '64KiB', blockSize: '4KiB' });
    expect(device).toBeInstanceOf(ObjectLogDevice);
    const data = randomBytes(100_000, 2);
    await device.write(0, data);
    await device.sync();
    expectSameBytes(await device.read(65_000, 4096), data.subarray(65_000, 69_096));
    await device.close();
    await emptyStore(byCs);
    await byCs.close();
    await byKey.close();
  });

  it('opens with a SAS token', async () => {
    const { BlobServiceClient, AccountSASPermissions } = await import('@azure/storage-blob');
    const sasUrl = BlobServiceClient.fromConnectionString(az.connectionString).generateAccountSasUrl(
      new Date(Date.now() + 3600_000),
      AccountSASPermissions.parse('rwdlac'),
      'sco',
    );
    const sas = new URL(sasUrl).search.slice(1);
    const store = await openObjectStore(`az://${az.container}/${freshPrefix('sas')}`, { sasToken: sas, endpoint: az.blobEndpoint, accountName: az.accountName });
    await store.put('s', new Uint8Array([7]));
    expect(await store.get('s')).toEqual(new Uint8Array([7]));
    await emptyStore(store);
    await store.close();
  });

  it('wrong credentials: AuthenticationError naming the endpoint, never the key', async () => {
    const wrongKey = Buffer.from('definitely-not-the-key-0123456789abcdef').toString('base64');
    const cs = az.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`);
    const err = await AzureBlobObjectStore.open({ ...base, connectionString: cs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    const text = `${(err as Error).message} ${String((err as Error).cause)}`;
    expect(text).toMatch(/authentication failed/);
    expect(text).toContain(az.blobEndpoint);
    expect(text).not.toContain(wrongKey);
    expect(text).not.toContain(az.accountKey);
    const lazy = await AzureBlobObjectStore.open({ ...base, connectionString: cs, verify: false });
    await expect(lazy.put('k', new Uint8Array(1))).rejects.toBeInstanceOf(AuthenticationError);
    expect(lazy.stats().byKind.PUT.retries).toBe(0);
    await lazy.close();
  });

  it('createIfMissing creates a missing container (off by default)', async () => {
    const container = `f2kv-created-${freshPrefix('c').replace(/[^a-z0-9]/g, '').slice(-20)}`;
    const url = `az://${container}/ckpt`;
    await expect(openObjectStore(url, { connectionString: az.connectionString })).rejects.toBeInstanceOf(BucketNotFoundError);
    const created = await openObjectStore(url, { connectionString: az.connectionString, createIfMissing: true });
    await created.put('k', new Uint8Array([1]));
    await created.close();
    const again = await openObjectStore(url, { connectionString: az.connectionString, createIfMissing: true });
    expect(await again.head('k')).toBeDefined();
    await emptyStore(again);
    await again.close();
  });

  it('missing container: BucketNotFoundError naming it', async () => {
    const err = await AzureBlobObjectStore.open({ ...base, container: 'f2kv-no-such-container' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BucketNotFoundError);
    expect((err as BucketNotFoundError).bucket).toBe('f2kv-no-such-container');
    expect((err as Error).message).toContain('f2kv-no-such-container');
    const lazy = await AzureBlobObjectStore.open({ ...base, container: 'f2kv-no-such-container', verify: false });
    await expect(lazy.put('k', new Uint8Array(1))).rejects.toBeInstanceOf(BucketNotFoundError);
    await lazy.close();
  });
});
