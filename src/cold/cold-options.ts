/**
 * ColdKv options: validation and defaults. As for the hot tier, every rejected option throws a
 * ConfigError naming it (`index.chunkSize: …`); sizes accept bytes or strings such as "64MiB".
 */
import { ConfigError } from '../core/errors.js';
import { checkOptionKeys, optionSection } from '../core/option-keys.js';
import { isPowerOfTwo, parseSize } from '../core/size.js';
import { checkObjectStoreOptions, type OpenObjectStoreOptions } from '../devices/open-object-store.js';
import { checkIntervalMs, DEFAULT_FENCE_CHECK_INTERVAL_MS } from '../kv/options.js';
import { RECORD_HEADER_BYTES } from '../core/record-layout.js';

/** Sizing of the cold tier's hash index (ColdKvOptions.index). */
export interface ColdIndexOptions {
  /**
   * Keys the cold tier is expected to hold (default 1,000,000). Sizes the table: 1.4 to 2.8 chunk
   * slots per expected key. More keys than this still work; their hash chains grow longer (more GETs).
   */
  expectedKeys?: number;
  /** Hash chunks, a power of two (instead of expectedKeys). */
  chunks?: number;
  /** Bytes per hash chunk: a power of two from 64 B to 4 KiB, 8 bytes per slot (default 256 B). */
  chunkSize?: number | string;
  /** Memory for hash chunks (chunk log pages + chunk read cache; default 64 MiB). */
  chunkCacheSize?: number | string;
  /** Page size of the chunk log (default: min(1 MiB, chunkCacheSize / 8)). */
  chunkPageSize?: number | string;
}

/** Cold log memory and object sizes (ColdKvOptions.log). */
export interface ColdLogOptions {
  /** Memory for the cold log's write buffer pages (default 4 pages). */
  memorySize?: number | string;
  /** Page size of the cold log = size of its objects (default 4 MiB). */
  pageSize?: number | string;
  /** Checksummed block size of log objects; a read fetches whole blocks (default 4 KiB). */
  blockSize?: number | string;
}

/** Automatic compaction of the cold log (ColdKvOptions.compaction). */
export interface ColdCompactionOptions {
  /** Compact the cold log automatically on its size budget (default true). */
  enabled?: boolean;
  /** Budget for the cold log (tail − begin); default 8 GiB. */
  maxLogSize?: number | string;
  /** A pass starts when the log passes this fraction of maxLogSize (default 0.9). */
  triggerFraction?: number;
  /** Fraction of the log (from begin) one pass compacts (default 0.1). */
  compactFraction?: number;
  /** Upper bound of bytes one pass compacts (default 1 GiB). */
  maxBytesPerPass?: number | string;
}

/** Cold tier checkpoints and fencing (ColdKvOptions.checkpoint). */
export interface ColdCheckpointOptions {
  /** Checkpoints kept (default 3). */
  keep?: number;
  /** close() takes a final checkpoint when anything changed (default true). */
  onClose?: boolean;
  /** Take a checkpoint by itself every intervalMs milliseconds when anything changed (default 0: off). */
  intervalMs?: number;
  /**
   * Look every fenceCheckIntervalMs milliseconds whether another writer has claimed the prefix
   * (one LIST) and fence this store if so (default 5000; 0 turns it off).
   */
  fenceCheckIntervalMs?: number;
}

/** Options of ColdKv.open. Invalid options throw a ConfigError naming the option. */
export interface ColdKvOptions {
  /** Object store URL holding the cold log, the hash chunks and the checkpoints. */
  url: string;
  /** Options of that object store (endpoint, region, credentials, request policy, …). */
  store?: OpenObjectStoreOptions;
  /** Hash index sizing. */
  index?: ColdIndexOptions;
  /** Cold log memory, page and block sizes. */
  log?: ColdLogOptions;
  /** Automatic compaction of the cold log. */
  compaction?: ColdCompactionOptions;
  /** Checkpoint retention, checkpoint on close, periodic checkpoints and fencing checks. */
  checkpoint?: ColdCheckpointOptions;
  /** true (default): recover the newest checkpoint; false: a new store; a token: that checkpoint. */
  recover?: boolean | string;
}

export interface ResolvedColdOptions {
  url: string;
  store: OpenObjectStoreOptions;
  index: { chunks: number; chunkSlots: number; chunkCacheSize: number; chunkPageSize: number; expectedKeys: number };
  log: { memorySize: number; pageSize: number; blockSize: number };
  compaction: { enabled: boolean; maxLogSize: number; triggerFraction: number; compactFraction: number; maxBytesPerPass: number };
  checkpoint: { keep: number; onClose: boolean; intervalMs: number; fenceCheckIntervalMs: number };
  recover: boolean | string;
}

const KNOWN: Record<string, readonly string[]> = {
  '': ['url', 'store', 'index', 'log', 'compaction', 'checkpoint', 'recover'],
  index: ['expectedKeys', 'chunks', 'chunkSize', 'chunkCacheSize', 'chunkPageSize'],
  log: ['memorySize', 'pageSize', 'blockSize'],
  compaction: ['enabled', 'maxLogSize', 'triggerFraction', 'compactFraction', 'maxBytesPerPass'],
  checkpoint: ['keep', 'onClose', 'intervalMs', 'fenceCheckIntervalMs'],
};

const MIB = 1024 * 1024;

/** Chunk id key bytes in the chunk store. */
export const CHUNK_KEY_BYTES = 8;

/** Bytes a chunk takes in the chunk log (record header, chunk id key, slots). */
export function chunkRecordBytes(chunkSlots: number): number {
  return (RECORD_HEADER_BYTES + CHUNK_KEY_BYTES + chunkSlots * 8 + 7) & ~7;
}

/**
 * Validates cold-tier options. `prefix` names the section in messages ("cold." inside an F2Kv).
 */
export function resolveColdOptions(options: ColdKvOptions, prefix = ''): ResolvedColdOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError(prefix || 'options', 'must be an object');
  const name = (s: string): string => `${prefix}${s}`;
  checkOptionKeys(prefix.replace(/\.$/, ''), options, KNOWN['']!);
  const section = (s: string): Record<string, unknown> => optionSection(name(s), (options as unknown as Record<string, unknown>)[s], KNOWN[s]!);
  const url = options.url;
  if (typeof url !== 'string' || !/^(memory|file|s3|az):\/\//.test(url)) {
    throw new ConfigError(name('url'), `must be an object store URL (memory://name, file:///dir, s3://bucket/prefix, az://container/prefix), got ${String(url)}`);
  }
  const store = options.store ?? {};
  if (typeof store !== 'object' || store === null) throw new ConfigError(name('store'), 'must be an object');
  checkObjectStoreOptions(name('store'), store);

  const index = section('index');
  const chunkBytes = parseSize(name('index.chunkSize'), index['chunkSize'] ?? 256);
  if (!isPowerOfTwo(chunkBytes) || chunkBytes < 64 || chunkBytes > 4096) {
    throw new ConfigError(name('index.chunkSize'), `must be a power of two from 64 B to 4 KiB, got ${chunkBytes}`);
  }
  const chunkSlots = chunkBytes / 8;
  let chunks: number;
  let expectedKeys: number;
  if (index['chunks'] !== undefined) {
    if (index['expectedKeys'] !== undefined) throw new ConfigError(name('index.chunks'), 'give either index.chunks or index.expectedKeys, not both');
    const c = index['chunks'];
    if (typeof c !== 'number' || !isPowerOfTwo(c) || c > 2 ** 26) throw new ConfigError(name('index.chunks'), `must be a power of two up to 2^26, got ${String(c)}`);
    chunks = c;
    expectedKeys = c * chunkSlots;
  } else {
    const expected = index['expectedKeys'] ?? 1_000_000;
    if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 1) {
      throw new ConfigError(name('index.expectedKeys'), `must be a whole number >= 1, got ${String(expected)}`);
    }
    // 1.4 to 2.8 slots per expected key (a power of two of chunks): few keys share a slot, so a
    // read rarely walks through another key's record (each such step is a GET), and the table
    // still costs 64 / (4 × slots per chunk) bytes per slot, 0.7–1.4 B per key with 32-slot chunks.
    chunks = Math.min(2 ** 26, 2 ** Math.max(0, Math.ceil(Math.log2((1.4 * expected) / chunkSlots))));
    expectedKeys = expected;
  }
  if (chunks * chunkSlots > 2 ** 32) throw new ConfigError(name('index.chunks'), 'chunks × slots per chunk must not exceed 2^32');
  const recordBytes = chunkRecordBytes(chunkSlots);
  const cache = parseSize(name('index.chunkCacheSize'), index['chunkCacheSize'] ?? 64 * MIB);
  const minPage = Math.max(4096, 2 ** Math.ceil(Math.log2(2 * recordBytes)));
  const chunkPageSize = parseSize(name('index.chunkPageSize'), index['chunkPageSize'] ?? Math.max(minPage, Math.min(MIB, floorPowerOfTwo(cache / 8))));
  if (!isPowerOfTwo(chunkPageSize) || chunkPageSize < minPage) {
    throw new ConfigError(name('index.chunkPageSize'), `must be a power of two of at least ${minPage} bytes (two chunk records), got ${chunkPageSize}`);
  }
  if (cache < 8 * chunkPageSize) {
    throw new ConfigError(
      name('index.chunkCacheSize'),
      `must hold at least eight chunk pages (${8 * chunkPageSize} bytes with chunk pages of ${chunkPageSize}), got ${cache}`,
    );
  }

  const log = section('log');
  const pageSize = parseSize(name('log.pageSize'), log['pageSize'] ?? 4 * MIB);
  if (!isPowerOfTwo(pageSize) || pageSize < 4096) throw new ConfigError(name('log.pageSize'), `must be a power of two of at least 4 KiB, got ${pageSize}`);
  const memorySize = parseSize(name('log.memorySize'), log['memorySize'] ?? 4 * pageSize);
  if (memorySize < 3 * pageSize) {
    throw new ConfigError(name('log.memorySize'), `must hold at least three pages (${3 * pageSize} bytes with log.pageSize ${pageSize}), got ${memorySize}`);
  }
  const blockSize = parseSize(name('log.blockSize'), log['blockSize'] ?? 4096);
  if (!isPowerOfTwo(blockSize) || blockSize < 512 || blockSize > pageSize) {
    throw new ConfigError(name('log.blockSize'), `must be a power of two from 512 bytes to log.pageSize (${pageSize}), got ${blockSize}`);
  }

  const c = section('compaction');
  const enabled = c['enabled'] ?? true;
  if (typeof enabled !== 'boolean') throw new ConfigError(name('compaction.enabled'), 'must be true or false');
  const maxLogSize = parseSize(name('compaction.maxLogSize'), c['maxLogSize'] ?? 8 * 1024 * MIB);
  if (maxLogSize < 4 * pageSize) throw new ConfigError(name('compaction.maxLogSize'), `must be at least four log pages (${4 * pageSize} bytes), got ${maxLogSize}`);
  const maxBytesPerPass = parseSize(name('compaction.maxBytesPerPass'), c['maxBytesPerPass'] ?? 1024 * MIB);
  if (maxBytesPerPass < pageSize) throw new ConfigError(name('compaction.maxBytesPerPass'), `must be at least one log page (${pageSize} bytes), got ${maxBytesPerPass}`);

  const ck = section('checkpoint');
  const keep = ck['keep'] ?? 3;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) throw new ConfigError(name('checkpoint.keep'), `must be a whole number >= 1, got ${String(keep)}`);
  const onClose = ck['onClose'] ?? true;
  if (typeof onClose !== 'boolean') throw new ConfigError(name('checkpoint.onClose'), 'must be true or false');
  const intervalMs = checkIntervalMs(name('checkpoint.intervalMs'), ck['intervalMs'] ?? 0);
  const fenceCheckIntervalMs = checkIntervalMs(name('checkpoint.fenceCheckIntervalMs'), ck['fenceCheckIntervalMs'] ?? DEFAULT_FENCE_CHECK_INTERVAL_MS);
  const recover = options.recover ?? true;
  if (typeof recover !== 'boolean' && typeof recover !== 'string') throw new ConfigError(name('recover'), 'must be true, false or a checkpoint token');

  return {
    url,
    store,
    index: { chunks, chunkSlots, chunkCacheSize: cache, chunkPageSize, expectedKeys },
    log: { memorySize, pageSize, blockSize },
    compaction: {
      enabled,
      maxLogSize,
      triggerFraction: fraction(name('compaction.triggerFraction'), c['triggerFraction'] ?? 0.9),
      compactFraction: fraction(name('compaction.compactFraction'), c['compactFraction'] ?? 0.1),
      maxBytesPerPass,
    },
    checkpoint: { keep, onClose, intervalMs, fenceCheckIntervalMs },
    recover,
  };
}

function fraction(option: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ConfigError(option, `must be a number in (0, 1], got ${String(v)}`);
  return v;
}

function floorPowerOfTwo(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}
