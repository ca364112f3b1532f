import { ConfigError } from '../core/errors.js';
import { isPowerOfTwo, parseSize } from '../core/size.js';
import type { ObjectStore } from '../devices/object-store.js';
import type { StorageDevice } from '../devices/storage-device.js';

/** Where FasterLog keeps its commit records (see faster-log-commit.ts). */
export interface FasterLogCommitOptions {
  /**
   * Object-store URL for the commit records (memory://name, file:///dir, s3://…, az://…).
   * Default: the device's own place (the FileDevice's directory, the ObjectLogDevice's store).
   */
  url?: string;
  /** An already open store for the commit records (not closed by the log). Wins over `url`. */
  store?: ObjectStore;
  /** Key of the records; the two slots are `<key>.0` and `<key>.1` (default "faster-log-commit"). */
  key?: string;
}

/** Options of FasterLog.open. Invalid options throw a ConfigError naming the option. */
export interface FasterLogOptions {
  /**
   * The log's device: a URL (`file:///dir`, `s3://bucket/prefix`, `az://container/prefix`, or
   * `memory://` for a memory-only log that nothing survives) or an open StorageDevice. A device
   * opened from a URL is closed by the log; a device passed in is not.
   */
  device: string | StorageDevice;
  /** Bytes per page, a power of two ≥ 512 (default 4 MiB). An entry must fit in a page. A recovered log keeps the page size it was written with. */
  pageSize?: number | string;
  /** Bytes of page frames in memory (whole pages, at least 2; default 32 MiB). */
  memorySize?: number | string;
  /** file:// devices opened from a URL: bytes per segment file, a multiple of the page size (default 1 GiB). */
  segmentSize?: number | string;
  /** Where and how commit records are written. */
  commit?: FasterLogCommitOptions;
}

export interface ResolvedFasterLogOptions {
  pageSize: number;
  memorySize: number;
  segmentSize: number;
  commitKey: string;
}

const KNOWN = new Set(['device', 'pageSize', 'memorySize', 'segmentSize', 'commit']);

export function resolveFasterLogOptions(options: FasterLogOptions): ResolvedFasterLogOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'expected an options object with at least { device }');
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new ConfigError(k, `unknown FasterLog option; known options are ${[...KNOWN].join(', ')}`);
  }
  if (typeof options.device !== 'string' && (typeof options.device !== 'object' || options.device === null)) {
    throw new ConfigError('device', 'expected a URL (file:///dir, s3://bucket/prefix, az://container/prefix, memory://) or a StorageDevice');
  }
  const pageSize = parseSize('pageSize', options.pageSize ?? 4 * 1024 * 1024);
  if (!isPowerOfTwo(pageSize) || pageSize < 512) throw new ConfigError('pageSize', `must be a power of two between 512 bytes and 1 GiB, got ${pageSize}`);
  const memorySize = parseSize('memorySize', options.memorySize ?? 32 * 1024 * 1024);
  if (memorySize < 2 * pageSize) {
    throw new ConfigError('memorySize', `must hold at least 2 pages (${2 * pageSize} bytes with pageSize ${pageSize}), got ${memorySize}`);
  }
  const segmentSize = parseSize('segmentSize', options.segmentSize ?? 1024 ** 3);
  if (segmentSize < pageSize || segmentSize % pageSize !== 0) {
    throw new ConfigError('segmentSize', `must be a multiple of pageSize (${pageSize}), got ${segmentSize}`);
  }
  const commitKey = options.commit?.key ?? 'faster-log-commit';
  if (typeof commitKey !== 'string' || commitKey === '' || commitKey.endsWith('/')) {
    throw new ConfigError('commit.key', `expected an object key such as "faster-log-commit", got ${JSON.stringify(commitKey)}`);
  }
  return { pageSize, memorySize, segmentSize, commitKey };
}
