import type { StorageDevice } from '../devices/storage-device.js';

/**
 * The log's device: the given StorageDevice, or one opened from its URL. The device module is
 * loaded on first use so that an in-memory store does not load the cloud SDKs.
 */
export async function openLogDevice(device: string | StorageDevice, segmentSize: number): Promise<StorageDevice> {
  if (typeof device !== 'string') return device;
  const { openStorageDevice } = await import('../devices/open-storage-device.js');
  return openStorageDevice(device, { segmentSize });
}
