/**
 * FasterKv options: validation and defaults. Every rejected option throws a ConfigError that names
 * it (`log.pageSize: …`). Sizes accept bytes or strings such as "64MiB".
 */
import { ConfigError } from '../core/errors.js';
import { isPowerOfTwo, parseSize } from '../core/size.js';
import type { StorageDevice } from '../devices/storage-device.js';
import { checkObjectStoreOptions, type OpenObjectStoreOptions } from '../devices/open-object-store.js';
import { optionSection } from '../core/option-keys.js';
import { resolveDurability, type DurabilityOptions, type ResolvedDurability } from './durability-options.js';

/** Hash index sizing and growth (FasterKvOptions.index). */
export interface IndexOptions {
  /** Hash buckets (power of two); each holds 7 entries in 64 bytes. */
  buckets?: number;
  /** Grow (double) the index automatically when entries / slots exceeds maxLoad (default true). */
  autoGrow?: boolean;
  /** Load factor that triggers automatic growth (default 0.75). */
  maxLoad?: number;
}

/** Read cache of records read from the device (FasterKvOptions.readCache). */
export interface ReadCacheOptions {
  /** Enable the read cache (default true when the section is given). */
  enabled?: boolean;
  /** Bytes of read-cache pages (at most log.memorySize). */
  memorySize?: number | string;
  /** Page size of the read cache (default: log.pageSize, at most memorySize / 4). */
  pageSize?: number | string;
}

/** Automatic log compaction (FasterKvOptions.compaction). */
export interface CompactionOptions {
  /** Run compaction automatically in the background (default false). */
  enabled?: boolean;
  /** Log size budget (tail - begin) in bytes; compaction triggers at triggerFraction of it. */
  maxLogSize?: number | string;
  /** Fraction of maxLogSize at which a pass starts (default 0.8). */
  triggerFraction?: number;
  /** Fraction of the log (from begin) that one pass compacts (default 0.2). */
  compactFraction?: number;
  /** Upper bound of bytes compacted in one pass (default: no bound). */
  maxBytesPerPass?: number | string;
  /** 'lookup' (conditional insert per record) or 'scan' (dedupe the range first). Default 'lookup'. */
  mode?: 'lookup' | 'scan';
}

/** Log device, memory and page sizes (FasterKvOptions.log). */
export interface LogOptions {
  /** 'memory://' (bounded by memory), 'file:///dir', 's3://…', 'az://…', or a StorageDevice. */
  device?: string | StorageDevice;
  /** Bytes of page frames in memory (default 1 GiB for memory://, 256 MiB otherwise). */
  memorySize?: number | string;
  /** Bytes per page, a power of two (default 4 MiB); a record must fit in a page. */
  pageSize?: number | string;
  /** Fraction of in-memory pages updated in place (default 0.9; 1 for memory://). */
  mutableFraction?: number;
  /** Segment size of the file device (default 1GiB). */
  segmentSize?: number | string;
}

/** Checkpoint store, mode, retention and schedule (FasterKvOptions.checkpoint). */
export interface CheckpointOptions {
  /**
   * Object store URL for checkpoints (memory://, file:///dir, s3://bucket/prefix, az://container/prefix).
   * Default: file://<log dir>/checkpoints for a file:// log; none for other devices.
   */
  url?: string;
  /**
   * 'snapshot' (default for file:// and memory:// logs): each checkpoint also uploads the log written
   * since the previous one, so the checkpoint store alone can rebuild the store on a fresh machine.
   * 'fold-over' (default for s3:// and az:// logs): the log is flushed to its device and stays there;
   * the checkpoint holds the index and metadata only.
   */
  mode?: 'snapshot' | 'fold-over';
  /** Checkpoints kept (default 3). Older ones are deleted once a newer one is durable. */
  keep?: number;
  /** close() takes a final checkpoint when anything changed (default true). */
  onClose?: boolean;
  /**
   * Take a checkpoint by itself every intervalMs milliseconds (default 0: off). A tick is skipped
   * when nothing changed since the last checkpoint or while one is in progress; failures are
   * logged and counted in stats().checkpoints, never thrown.
   */
  intervalMs?: number;
  /**
   * Every fenceCheckIntervalMs milliseconds, look whether another writer has claimed the
   * checkpoint store (one LIST of its manifests) and fence this store if so: its writes then fail
   * with FencedError without waiting for its next checkpoint. Default 5000 when the store has a
   * checkpoint store; 0 turns it off.
   */
  fenceCheckIntervalMs?: number;
  /** Options of the checkpoint object store (endpoint, region, credentials, …). */
  store?: OpenObjectStoreOptions;
}

/** Options of FasterKv.open. Invalid options throw a ConfigError naming the option (`log.pageSize: …`). */
export interface FasterKvOptions {
  /** Hash index sizing and growth. */
  index?: IndexOptions;
  /** Log device, memory and page sizes (default: memory://). */
  log?: LogOptions;
  /** Read cache of records read from the device (off unless given). */
  readCache?: ReadCacheOptions;
  /** Automatic log compaction (off by default). */
  compaction?: CompactionOptions;
  /** Checkpoint store, mode, retention and schedule. */
  checkpoint?: CheckpointOptions;
  /** true (default): recover the newest checkpoint; false: start a new store; a token: recover that checkpoint. */
  recover?: boolean | string;
  /** An operation log with group commit, for writes acknowledged only once durable (see durability-options.ts). */
  durability?: DurabilityOptions;
}

export interface ResolvedOptions {
  index: { buckets: number; autoGrow: boolean; maxLoad: number };
  readCache: { enabled: boolean; memorySize: number; pageSize: number };
  checkpoint: {
    url: string | undefined;
    mode: 'snapshot' | 'fold-over';
    keep: number;
    onClose: boolean;
    /** 0: no periodic checkpoints. */
    intervalMs: number;
    /** 0: no background claim check. */
    fenceCheckIntervalMs: number;
    store: OpenObjectStoreOptions;
  };
  recover: boolean | string;
  /** Undefined without a `durability` section (no operation log). */
  durability: ResolvedDurability | undefined;
  compaction: {
    enabled: boolean;
    maxLogSize: number;
    triggerFraction: number;
    compactFraction: number;
    maxBytesPerPass: number;
    mode: 'lookup' | 'scan';
  };
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
/** Default period of the background claim check (checkpoint.fenceCheckIntervalMs). */
export const DEFAULT_FENCE_CHECK_INTERVAL_MS = 5000;
/** Longest timer period Node accepts (setInterval clamps longer ones to 1 ms). */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** Keys of each section; the compiler checks each list against its interface. */
type Keys<T> = { readonly [K in keyof Required<T>]: true };
const TOP_KEYS: Keys<FasterKvOptions> = { index: true, log: true, readCache: true, compaction: true, checkpoint: true, recover: true, durability: true };
const INDEX_KEYS: Keys<IndexOptions> = { buckets: true, autoGrow: true, maxLoad: true };
const LOG_KEYS: Keys<LogOptions> = { device: true, memorySize: true, pageSize: true, mutableFraction: true, segmentSize: true };
const READ_CACHE_KEYS: Keys<ReadCacheOptions> = { enabled: true, memorySize: true, pageSize: true };
const COMPACTION_KEYS: Keys<CompactionOptions> = {
  enabled: true,
  maxLogSize: true,
  triggerFraction: true,
  compactFraction: true,
  maxBytesPerPass: true,
  mode: true,
};
const CHECKPOINT_KEYS: Keys<CheckpointOptions> = {
  url: true,
  mode: true,
  keep: true,
  onClose: true,
  intervalMs: true,
  fenceCheckIntervalMs: true,
  store: true,
};

function section(options: object, name: string, keys: object): Record<string, unknown> {
  return optionSection(name, (options as Record<string, unknown>)[name], Object.keys(keys));
}

export function resolveOptions(options: FasterKvOptions = {}): ResolvedOptions {
  optionSection('', options, Object.keys(TOP_KEYS));
  const index = section(options, 'index', INDEX_KEYS);
  const log = section(options, 'log', LOG_KEYS);

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
  const autoGrow = index['autoGrow'] ?? true;
  if (typeof autoGrow !== 'boolean') throw new ConfigError('index.autoGrow', 'must be true or false');
  const maxLoad = fraction('index.maxLoad', index['maxLoad'] ?? 0.75);

  const rc = section(options, 'readCache', READ_CACHE_KEYS);
  const rcGiven = (options as Record<string, unknown>)['readCache'] !== undefined;
  const rcEnabled = rc['enabled'] ?? rcGiven;
  if (typeof rcEnabled !== 'boolean') throw new ConfigError('readCache.enabled', 'must be true or false');
  const rcMemory = parseSize('readCache.memorySize', rc['memorySize'] ?? Math.min(memorySize, 64 * 1024 * 1024));
  if (rcEnabled && rcMemory > memorySize) {
    throw new ConfigError('readCache.memorySize', `must not exceed log.memorySize (${memorySize} bytes), got ${rcMemory}`);
  }
  const rcPage = parseSize('readCache.pageSize', rc['pageSize'] ?? Math.min(pageSize, floorPowerOfTwo(Math.max(512, rcMemory / 4))));
  if (!isPowerOfTwo(rcPage) || rcPage < 512) throw new ConfigError('readCache.pageSize', `must be a power of two of at least 512 bytes, got ${rcPage}`);
  if (rcEnabled && rcMemory < 3 * rcPage) {
    throw new ConfigError('readCache.memorySize', `must hold at least three read-cache pages (${3 * rcPage} bytes), got ${rcMemory}`);
  }

  const c = section(options, 'compaction', COMPACTION_KEYS);
  const cEnabled = c['enabled'] ?? false;
  if (typeof cEnabled !== 'boolean') throw new ConfigError('compaction.enabled', 'must be true or false');
  const maxLogSize = parseSize('compaction.maxLogSize', c['maxLogSize'] ?? memorySize * 4);
  if (cEnabled && maxLogSize < 4 * pageSize) {
    throw new ConfigError('compaction.maxLogSize', `must be at least four pages (${4 * pageSize} bytes), got ${maxLogSize}`);
  }
  const mode = c['mode'] ?? 'lookup';
  if (mode !== 'lookup' && mode !== 'scan') throw new ConfigError('compaction.mode', `must be "lookup" or "scan", got ${String(mode)}`);

  const ck = section(options, 'checkpoint', CHECKPOINT_KEYS);
  let ckUrl = ck['url'];
  if (ckUrl !== undefined && typeof ckUrl !== 'string') throw new ConfigError('checkpoint.url', 'must be an object store URL string');
  if (ckUrl === undefined && typeof device === 'string' && device.startsWith('file://')) {
    ckUrl = `${device.replace(/\/+$/, '')}/checkpoints`;
  }
  const onObjectStorage = typeof device === 'string' && /^(s3|az):/.test(device);
  const ckMode = ck['mode'] ?? (onObjectStorage ? 'fold-over' : 'snapshot');
  if (ckMode !== 'snapshot' && ckMode !== 'fold-over') throw new ConfigError('checkpoint.mode', `must be "snapshot" or "fold-over", got ${String(ckMode)}`);
  if (ckMode === 'fold-over' && inMemory) throw new ConfigError('checkpoint.mode', 'fold-over needs a persistent log device; use "snapshot" with memory://');
  const keep = ck['keep'] ?? 3;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) throw new ConfigError('checkpoint.keep', `must be a whole number >= 1, got ${String(keep)}`);
  const onClose = ck['onClose'] ?? true;
  if (typeof onClose !== 'boolean') throw new ConfigError('checkpoint.onClose', 'must be true or false');
  const storeOptions = checkObjectStoreOptions('checkpoint.store', ck['store']);
  const intervalMs = checkIntervalMs('checkpoint.intervalMs', ck['intervalMs'] ?? 0);
  if (intervalMs > 0 && ckUrl === undefined) {
    throw new ConfigError('checkpoint.intervalMs', 'periodic checkpoints need a checkpoint store; set checkpoint.url (e.g. "file:///var/lib/f2kv/checkpoints")');
  }
  const fenceCheckIntervalMs = checkIntervalMs(
    'checkpoint.fenceCheckIntervalMs',
    ck['fenceCheckIntervalMs'] ?? (ckUrl === undefined ? 0 : DEFAULT_FENCE_CHECK_INTERVAL_MS),
  );
  const recover = (options as Record<string, unknown>)['recover'] ?? true;
  if (typeof recover !== 'boolean' && typeof recover !== 'string') throw new ConfigError('recover', 'must be true, false or a checkpoint token');

  const durability = resolveDurability('durability', (options as Record<string, unknown>)['durability'], ckUrl as string | undefined, storeOptions, pageSize);

  return {
    checkpoint: { url: ckUrl as string | undefined, mode: ckMode, keep, onClose, intervalMs, fenceCheckIntervalMs, store: storeOptions },
    recover,
    durability,
    index: { buckets, autoGrow, maxLoad },
    readCache: { enabled: rcEnabled, memorySize: rcMemory, pageSize: rcPage },
    compaction: {
      enabled: cEnabled,
      maxLogSize,
      triggerFraction: fraction('compaction.triggerFraction', c['triggerFraction'] ?? 0.8),
      compactFraction: fraction('compaction.compactFraction', c['compactFraction'] ?? 0.2),
      maxBytesPerPass: parseSize('compaction.maxBytesPerPass', c['maxBytesPerPass'] ?? Number.MAX_SAFE_INTEGER),
      mode,
    },
    log: { device: device as string | StorageDevice, memorySize, pageSize, mutableFraction, segmentSize },
  };
}

/**
 * A timer period in milliseconds: a whole number from 0 (off) to 2^31 − 1 (Node's limit). A
 * string such as "30s" is refused here (configuration files convert durations before).
 */
export function checkIntervalMs(option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INTERVAL_MS) {
    throw new ConfigError(option, `must be a whole number of milliseconds from 0 (off) to ${MAX_INTERVAL_MS}, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  }
  return v;
}

function fraction(option: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ConfigError(option, `must be a number in (0, 1], got ${String(v)}`);
  return v;
}

function floorPowerOfTwo(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}
