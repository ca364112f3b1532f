/**
 * F2Kv options: the hot tier (a FasterKv's index, log and read cache), the cold tier (a ColdKv's
 * URL, object-store options, index and log), the two compactions' budgets, the checkpoint store
 * and the prices used to estimate cost. Each part is validated by the tier that owns it (one
 * source of truth); errors name the full path (`hot.log.pageSize`, `cold.index.chunkSize`).
 */
import { ConfigError } from '../core/errors.js';
import { checkOptionKeys, optionSection } from '../core/option-keys.js';
import { checkObjectStoreOptions, type OpenObjectStoreOptions } from '../devices/open-object-store.js';
import { checkIntervalMs, DEFAULT_FENCE_CHECK_INTERVAL_MS, resolveOptions, type IndexOptions, type LogOptions, type ReadCacheOptions, type ResolvedOptions } from '../kv/options.js';
import { resolveDurability, type DurabilityOptions, type ResolvedDurability } from '../kv/durability-options.js';
import { resolveColdOptions, type ColdCompactionOptions, type ColdIndexOptions, type ColdLogOptions, type ResolvedColdOptions } from '../cold/cold-options.js';

/** Options of F2Kv's hot tier (F2KvOptions.hot): a FasterKv's index, log and read cache. */
export interface HotTierOptions {
  /** Hot hash index sizing. */
  index?: IndexOptions;
  /** The hot log: 'memory://' or 'file:///dir' (default memory://), its memory and page size. */
  log?: LogOptions;
  /** Read cache for records read from the hot device and values read from the cold tier. */
  readCache?: ReadCacheOptions;
}

/** Options of F2Kv's cold tier (F2KvOptions.cold): a ColdKv's URL, object store, index and log. */
export interface ColdTierOptions {
  /** Object store URL of the cold tier (file:///dir, s3://bucket/prefix, az://container/prefix, memory://name). */
  url: string;
  /** Options of the cold tier's object store (endpoint, region, credentials, request policy, …). */
  store?: OpenObjectStoreOptions;
  /** Cold hash index sizing. */
  index?: ColdIndexOptions;
  /** Cold log memory, page and block sizes. */
  log?: ColdLogOptions;
}

/** Budget of hot → cold migration (F2KvOptions.compaction.hotToCold). */
export interface HotToColdOptions {
  /** Migrate automatically on the hot log's budget (default true). */
  enabled?: boolean;
  /** Budget for the hot log (tail − begin); default 4 × hot.log.memorySize. */
  maxLogSize?: number | string;
  /** A pass starts at this fraction of maxLogSize (default 0.8). */
  triggerFraction?: number;
  /** Fraction of the hot log one pass migrates (default 0.2). */
  compactFraction?: number;
  /** Upper bound of bytes one pass migrates (default 256 MiB). */
  maxBytesPerPass?: number | string;
}

/** Checkpoints of the two-tier store (F2KvOptions.checkpoint). */
export interface F2CheckpointOptions {
  /** Object store URL for checkpoints of both tiers (required; put it beside the cold tier for fresh-machine recovery). */
  url: string;
  /** Checkpoints kept (default 3). */
  keep?: number;
  /** close() takes a final checkpoint when anything changed (default true). */
  onClose?: boolean;
  /**
   * Take a checkpoint of both tiers by itself every intervalMs milliseconds (default 0: off). A
   * tick is skipped when nothing changed since the last checkpoint or while one is in progress;
   * failures are logged and counted in stats().checkpoints, never thrown.
   */
  intervalMs?: number;
  /**
   * Look every fenceCheckIntervalMs milliseconds whether another writer has claimed the store
   * (one LIST of the F2 manifests) and fence this one if so: its writes then fail with
   * FencedError (default 5000; 0 turns it off).
   */
  fenceCheckIntervalMs?: number;
  /** Options of the checkpoint object store. */
  store?: OpenObjectStoreOptions;
}

/** Request prices in dollars per 1,000 requests (default: S3 Standard list prices). */
export interface RequestPrices {
  /** Price of a GET. */
  get?: number;
  /** Price of a PUT. */
  put?: number;
  /** Price of a LIST. */
  list?: number;
  /** Price of a HEAD. */
  head?: number;
  /** Price of a DELETE. */
  delete?: number;
}

/** Options of F2Kv.open. Invalid options throw a ConfigError naming the full path (`hot.log.pageSize`). */
export interface F2KvOptions {
  /** The hot tier (default: memory:// log, default sizes). */
  hot?: HotTierOptions;
  /** The cold tier (url required). */
  cold: ColdTierOptions;
  /** Budgets of hot → cold migration and of cold → cold compaction. */
  compaction?: {
    /** Hot → cold migration on the hot log's budget. */
    hotToCold?: HotToColdOptions;
    /** Compaction of the cold log on its budget. */
    coldToCold?: ColdCompactionOptions;
  };
  /** Checkpoint store (url required), retention and schedule. */
  checkpoint: F2CheckpointOptions;
  /** true (default): the newest checkpoint; false: a new store; a token: that checkpoint. */
  recover?: boolean | string;
  /** Request prices used to estimate cost in stats() (default S3_LIST_PRICES). */
  prices?: RequestPrices;
  /**
   * An operation log for the two-tier store (default place `<checkpoint.url>/aof`): every write
   * is logged as it enters the hot tier; recovery replays it into the hot tier after the F2
   * checkpoint (see DurabilityOptions).
   */
  durability?: DurabilityOptions;
}

export interface ResolvedF2Options {
  hot: ResolvedOptions;
  cold: ResolvedColdOptions;
  checkpoint: { url: string; keep: number; onClose: boolean; intervalMs: number; fenceCheckIntervalMs: number; store: OpenObjectStoreOptions };
  recover: boolean | string;
  prices: Required<RequestPrices>;
  durability: ResolvedDurability | undefined;
  /** The options objects handed to the tiers' open(). */
  hotInput: Parameters<typeof resolveOptions>[0];
  coldInput: Parameters<typeof resolveColdOptions>[0];
}

/** S3 Standard request prices (us-east-1), dollars per 1,000 requests. */
export const S3_LIST_PRICES: Required<RequestPrices> = { get: 0.0004, put: 0.005, list: 0.005, head: 0.0004, delete: 0 };

const TOP = ['hot', 'cold', 'compaction', 'checkpoint', 'recover', 'prices', 'durability'] as const;
const HOT = ['index', 'log', 'readCache'] as const;
const COLD = ['url', 'store', 'index', 'log'] as const;
const COMPACTION = ['hotToCold', 'coldToCold'] as const;
const HOT_TO_COLD = ['enabled', 'maxLogSize', 'triggerFraction', 'compactFraction', 'maxBytesPerPass'] as const;
const CHECKPOINT = ['url', 'keep', 'onClose', 'intervalMs', 'fenceCheckIntervalMs', 'store'] as const;
const PRICES = ['get', 'put', 'list', 'head', 'delete'] as const;

/** Joins a URL and a sub-prefix: `joinUrl('s3://b/app', 'hot')` → `s3://b/app/hot`. */
export function joinUrl(url: string, sub: string): string {
  return `${url.replace(/\/+$/, '')}/${sub}`;
}

/**
 * Runs a tier's own validation and names its errors by their full F2 path: the first rule whose
 * `from` prefix matches the option renames it (`log.pageSize` → `hot.log.pageSize`).
 */
function within<T>(rules: readonly [from: string, to: string][], resolve: () => T): T {
  try {
    return resolve();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const rule = rules.find(([from]) => err.option.startsWith(from));
    if (rule === undefined) throw err;
    const [from, to] = rule;
    throw new ConfigError(`${to}${err.option.slice(from.length)}`, err.message.slice(err.option.length + 2), { cause: err });
  }
}

export function resolveF2Options(options: F2KvOptions): ResolvedF2Options {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object');
  checkOptionKeys('', options, TOP);
  const hot = optionSection('hot', options.hot, HOT) as HotTierOptions;
  const coldIn = optionSection('cold', options.cold, COLD) as unknown as ColdTierOptions;
  if (options.cold === undefined) throw new ConfigError('cold', 'is required: the cold tier\'s url (file:///dir, s3://bucket/prefix, az://container/prefix)');
  const compaction = optionSection('compaction', options.compaction, COMPACTION);
  const h2c = optionSection('compaction.hotToCold', compaction['hotToCold'], HOT_TO_COLD) as HotToColdOptions;
  const ck = optionSection('checkpoint', options.checkpoint, CHECKPOINT) as unknown as F2CheckpointOptions;
  if (typeof ck.url !== 'string' || !/^(memory|file|s3|az):\/\//.test(ck.url)) {
    throw new ConfigError('checkpoint.url', `is required: an object store URL for the checkpoints of both tiers (e.g. beside the cold tier), got ${String(ck.url)}`);
  }
  const keep = ck.keep ?? 3;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) throw new ConfigError('checkpoint.keep', `must be a whole number >= 1, got ${String(keep)}`);
  const onClose = ck.onClose ?? true;
  if (typeof onClose !== 'boolean') throw new ConfigError('checkpoint.onClose', 'must be true or false');
  const intervalMs = checkIntervalMs('checkpoint.intervalMs', ck.intervalMs ?? 0);
  const fenceCheckIntervalMs = checkIntervalMs('checkpoint.fenceCheckIntervalMs', ck.fenceCheckIntervalMs ?? DEFAULT_FENCE_CHECK_INTERVAL_MS);
  const ckStore = checkObjectStoreOptions('checkpoint.store', ck.store ?? {});
  const recover = options.recover ?? true;
  if (typeof recover !== 'boolean' && typeof recover !== 'string') throw new ConfigError('recover', 'must be true, false or a checkpoint token');
  const pricesIn = optionSection('prices', options.prices, PRICES) as RequestPrices;
  const prices = { ...S3_LIST_PRICES };
  for (const k of PRICES) {
    const v = pricesIn[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0)) throw new ConfigError(`prices.${k}`, `must be a price in dollars per 1,000 requests (>= 0), got ${String(v)}`);
    prices[k] = v;
  }

  // The hot tier: a FasterKv whose compaction is the migration to cold, checkpointed under checkpoint.url/hot.
  const hotLog = hot.log ?? {};
  const hotBase = within([['', 'hot.']], () => resolveOptions({ log: hotLog }));
  const memory = hotBase.log.memorySize;
  // A memory-only hot log cannot grow past its memory (it fails rather than waits): its budget
  // is three quarters of it, so writers wait for migration before the log is full.
  const inMemory = typeof hotBase.log.device === 'string' ? hotBase.log.device.startsWith('memory:') : !hotBase.log.device.persistent;
  const hotInput = {
    index: hot.index,
    log: hotLog,
    readCache: hot.readCache,
    compaction: {
      enabled: h2c.enabled ?? true,
      maxLogSize: h2c.maxLogSize ?? (inMemory ? Math.floor(0.75 * memory) : 4 * memory),
      triggerFraction: h2c.triggerFraction ?? 0.8,
      compactFraction: h2c.compactFraction ?? 0.2,
      maxBytesPerPass: h2c.maxBytesPerPass ?? 256 * 1024 * 1024,
      mode: 'lookup' as const,
    },
    // F2Kv runs the periodic checkpoints and the claim check of both tiers itself.
    checkpoint: { url: joinUrl(ck.url, 'hot'), mode: 'snapshot' as const, keep, onClose: false, intervalMs: 0, fenceCheckIntervalMs: 0, store: ckStore },
    recover: false,
  };
  const hotResolved = within(
    [['compaction.', 'compaction.hotToCold.'], ['checkpoint.', 'checkpoint.'], ['', 'hot.']],
    () => resolveOptions(hotInput),
  );

  const coldInput = {
    url: coldIn.url,
    store: coldIn.store,
    index: coldIn.index,
    log: coldIn.log,
    compaction: compaction['coldToCold'] as ColdCompactionOptions | undefined,
    checkpoint: { keep, onClose: false, intervalMs: 0, fenceCheckIntervalMs: 0 },
    recover: false,
  };
  const coldResolved = within([['cold.compaction.', 'compaction.coldToCold.']], () => resolveColdOptions(coldInput, 'cold.'));
  // Migration copies hot records into cold pages: a record that fits a hot page but not a cold
  // one would be accepted and then stop every migration pass (RecordTooLargeError) for good.
  if (coldResolved.log.pageSize < hotResolved.log.pageSize) {
    throw new ConfigError(
      'cold.log.pageSize',
      `must be at least hot.log.pageSize (${hotResolved.log.pageSize} bytes), got ${coldResolved.log.pageSize}: ` +
        'a record as large as a hot page must fit in a cold page to migrate; raise cold.log.pageSize or lower hot.log.pageSize',
    );
  }
  return {
    hot: hotResolved,
    cold: coldResolved,
    checkpoint: { url: ck.url, keep, onClose, intervalMs, fenceCheckIntervalMs, store: ckStore },
    recover,
    prices,
    durability: resolveDurability('durability', options.durability, ck.url, ckStore, hotResolved.log.pageSize),
    hotInput,
    coldInput,
  };
}
