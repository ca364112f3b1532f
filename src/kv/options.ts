/**
 * FasterKv options: validation and defaults. Every rejected option throws a ConfigError that names
 * it (`log.pageSize: …`). Sizes accept bytes or strings such as "64MiB".
 */
import { ConfigError } from '../core/errors.js';
import { isPowerOfTwo, parseSize } from '../core/size.js';
import type { StorageDevice } from '../devices/storage-device.js';

export interface IndexOptions {
  /** Hash buckets (power of two); each holds 7 entries in 64 bytes. */
  buckets?: number;
}

export interface LogOptions {
  /** 'memory://' (bounded by memory), 'file:///dir', 's3://…', 'az://…', or a StorageDevice. */
  device?: string | StorageDevice;
  memorySize?: number | string;
  pageSize?: number | string;
  /** Fraction of in-memory pages updated in place (default 0.9; 1 for memory://). */
  mutableFraction?: number;
  /** Segment size of the file device (default 1GiB). */
  segmentSize?: number | string;
}

export interface FasterKvOptions {
  index?: IndexOptions;
  log?: LogOptions;
}

export interface ResolvedOptions {
  index: { buckets: number };
  log: {
    device: string | StorageDevice;
    memorySize: number;
    pageSize: number;
    mutableFraction: number;
    segmentSize: number;
  };
}

export const DEFAULT_BUCKETS = 1 << 16;
export const DEFAULT_PAGE_SIZE = 4 * 1024 * 1024;
export const DEFAULT_MEMORY_LOG_SIZE = 1024 * 1024 * 1024;
export const DEFAULT_DEVICE_LOG_MEMORY = 256 * 1024 * 1024;

const KNOWN: Record<string, readonly string[]> = {
  '': ['index', 'log', 'readCache', 'compaction', 'checkpoint', 'recover'],
  index: ['buckets', 'maxLoad', 'autoGrow'],
  log: ['device', 'memorySize', 'pageSize', 'mutableFraction', 'segmentSize'],
};

export function rejectUnknownKeys(section: string, value: object): void {
  const known = KNOWN[section];
  if (!known) return;
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const name = section === '' ? key : `${section}.${key}`;
      throw new ConfigError(name, `unknown option; known options${section ? ` of ${section}` : ''} are: ${known.join(', ')}`);
    }
  }
}

function section(options: object, name: string): Record<string, unknown> {
  const v = (options as Record<string, unknown>)[name];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(name, 'must be an object');
  rejectUnknownKeys(name, v);
  return v as Record<string, unknown>;
}

export function resolveOptions(options: FasterKvOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object');
  rejectUnknownKeys('', options);
  const index = section(options, 'index');
  const log = section(options, 'log');

  const buckets = index['buckets'] ?? DEFAULT_BUCKETS;
  if (typeof buckets !== 'number' || !isPowerOfTwo(buckets) || buckets > 2 ** 28) {
    throw new ConfigError('index.buckets', `must be a power of two between 1 and 2^28, got ${String(buckets)}`);
  }

  const device = log['device'] ?? 'memory://';
  if (typeof device !== 'string' && (typeof device !== 'object' || device === null || !('read' in device))) {
    throw new ConfigError('log.device', 'must be a URL string (memory://, file:///dir, s3://…, az://…) or a StorageDevice');
  }
  const inMemory = typeof device === 'string' ? device.startsWith('memory:') : !(device as StorageDevice).persistent;

  const pageSize = parseSize('log.pageSize', log['pageSize'] ?? DEFAULT_PAGE_SIZE);
  if (!isPowerOfTwo(pageSize) || pageSize < 512) {
    throw new ConfigError('log.pageSize', `must be a power of two of at least 512 bytes, got ${pageSize}`);
  }
  const memorySize = parseSize('log.memorySize', log['memorySize'] ?? (inMemory ? DEFAULT_MEMORY_LOG_SIZE : DEFAULT_DEVICE_LOG_MEMORY));
  if (memorySize < 2 * pageSize) {
    throw new ConfigError('log.memorySize', `must hold at least two pages (${2 * pageSize} bytes with log.pageSize ${pageSize}), got ${memorySize}`);
  }
  const mutableFraction = log['mutableFraction'] ?? (inMemory ? 1 : 0.9);
  if (typeof mutableFraction !== 'number' || !(mutableFraction > 0 && mutableFraction <= 1)) {
    throw new ConfigError('log.mutableFraction', `must be a number in (0, 1], got ${String(mutableFraction)}`);
  }
  const segmentSize = parseSize('log.segmentSize', log['segmentSize'] ?? 1024 * 1024 * 1024);
  if (segmentSize < pageSize || segmentSize % pageSize !== 0) {
    throw new ConfigError('log.segmentSize', `must be a multiple of log.pageSize (${pageSize}), got ${segmentSize}`);
  }
  return {
    index: { buckets },
    log: { device: device as string | StorageDevice, memorySize, pageSize, mutableFraction, segmentSize },
  };
}
