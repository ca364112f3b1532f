import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import type { StorageDevice } from '../devices/storage-device.js';

/**
 * The log's device: the given StorageDevice, or one opened from its URL. The device module is
 * loaded on first use so that an in-memory store does not load the cloud SDKs.
 *
 * A file:// log directory is created when its parent exists (a store's first start, or recovery
 * on a fresh machine); a missing parent is reported with the path, since it usually means a typo.
 */
export async function openLogDevice(device: string | StorageDevice, segmentSize: number): Promise<StorageDevice> {
  if (typeof device !== 'string') return device;
  const createIfMissing = fileLogDirectory(device) !== undefined;
  const { openStorageDevice } = await import('../devices/open-storage-device.js');
  return openStorageDevice(device, { segmentSize, createIfMissing });
}

/**
 * The local directory of a file:// log device (undefined for other devices). A malformed URL or
 * a missing parent directory is a ConfigError naming `log.device`.
 */
export function fileLogDirectory(device: string | StorageDevice): string | undefined {
  if (typeof device !== 'string' || !device.startsWith('file://')) return undefined;
  let path: string;
  try {
    path = fileURLToPath(device);
  } catch (err) {
    throw new ConfigError('log.device', `"${device}" is not a valid file:// URL (use file:///absolute/path)`, { cause: err });
  }
  if (!existsSync(dirname(path))) {
    throw new ConfigError('log.device', `the parent directory of ${path} does not exist; create it first`);
  }
  return path.replace(/(?<=.)\/+$/, '');
}
