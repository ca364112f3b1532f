import type { ObjectLogDeviceOptions } from './object-log-device.js';
import { OBJECT_STORE_OPTION_KEYS, checkObjectStoreOptions, type OpenObjectStoreOptions } from './open-object-store.js';
import { parseObjectStoreUrl } from './object-store-url.js';
import type { StorageDevice } from './storage-device.js';

/** Options of openStorageDevice: the object store's options, the ObjectLogDevice's for s3:// and az://, and the segment size for file://. */
export interface OpenStorageDeviceOptions extends OpenObjectStoreOptions, Omit<ObjectLogDeviceOptions, 'ownsStore' | 'seqBase' | 'mayDelete'> {
  /** file://: bytes per segment file (default 1 GiB). */
  segmentSize?: number | string;
}

/** The device's own options, beside those of its object store. */
const DEVICE_KEYS: { readonly [K in keyof Required<Omit<OpenStorageDeviceOptions, keyof OpenObjectStoreOptions>>]: true } = {
  segmentSize: true,
  prefix: true,
  objectSize: true,
  blockSize: true,
  maxPendingUploads: true,
};

/**
 * Opens the log's device by URL: `memory://` → NullDevice (memory-only log), `file:///dir` →
 * FileDevice (segment files), `s3://bucket/prefix` and `az://container/prefix` → ObjectLogDevice
 * over the object store. The cloud SDKs are loaded only when a cloud URL is opened.
 */
export async function openStorageDevice(url: string, options: OpenStorageDeviceOptions = {}): Promise<StorageDevice> {
  checkObjectStoreOptions('', options, Object.keys(DEVICE_KEYS));
  const p = parseObjectStoreUrl(url);
  switch (p.scheme) {
    case 'memory': {
      const { NullDevice } = await import('./null-device.js');
      return new NullDevice();
    }
    case 'file': {
      const { FileDevice } = await import('./file-device.js');
      return FileDevice.open(p.path, { segmentSize: options.segmentSize, createIfMissing: options.createIfMissing });
    }
    case 's3':
    case 'az': {
      const [{ openObjectStore }, { ObjectLogDevice }] = await Promise.all([import('./open-object-store.js'), import('./object-log-device.js')]);
      const storeOptions: Record<string, unknown> = {};
      for (const key of OBJECT_STORE_OPTION_KEYS) {
        const v = (options as Record<string, unknown>)[key];
        if (v !== undefined) storeOptions[key] = v;
      }
      const store = await openObjectStore(url, storeOptions as OpenObjectStoreOptions);
      try {
        return await ObjectLogDevice.open(store, { ...options, ownsStore: true });
      } catch (e) {
        await store.close();
        throw e;
      }
    }
  }
}
