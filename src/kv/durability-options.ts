/**
 * Durability options (the `durability` section of FasterKv and F2Kv options): whether writes are
 * also appended to an operation log (an append-only file, "AOF") with group commit, so that a
 * write can be acknowledged only once it survives a crash.
 *
 * - no `durability` section: no operation log. A crash loses what was written after the last
 *   checkpoint (each session keeps an exact prefix: CPR). `{ durable: true }` is refused.
 * - `mode: 'commit'` (the default when the section is given): every write is logged, and the
 *   async write calls resolve only once a commit of the log covers them.
 * - `mode: 'checkpoint'`: every write is logged, but only writes called with `{ durable: true }`
 *   wait for a commit; the others are acknowledged at once (and survive a crash when a later
 *   commit, e.g. of a durable write, covered them).
 */
import { ConfigError } from '../core/errors.js';
import { joinOptionPath, optionSection } from '../core/option-keys.js';
import { isPowerOfTwo, parseSize } from '../core/size.js';
import { checkObjectStoreOptions, type OpenObjectStoreOptions } from '../devices/open-object-store.js';

/** Operation log with group commit (FasterKvOptions.durability, F2KvOptions.durability): writes are logged as they happen and acknowledged once committed, so a crash loses none of them. */
export interface DurabilityOptions {
  /** 'commit' (default): every write waits for a commit; 'checkpoint': only `{ durable: true }` writes do. */
  mode?: 'checkpoint' | 'commit';
  /**
   * Where the operation log lives: file:///dir, s3://bucket/prefix, az://container/prefix.
   * Default: `<checkpoint url>/aof`, beside the checkpoints.
   */
  log?: string;
  /** Group-commit window in milliseconds: one commit covers the writes of this window (default 2; 0 = next tick). */
  commitIntervalMs?: number;
  /** Object-store options of the log (endpoint, credentials, …); default: the checkpoint store's when the log is beside the checkpoints. */
  store?: OpenObjectStoreOptions;
  /** Bytes of operation-log pages in memory (default 16MiB). */
  memorySize?: number | string;
  /** Operation-log page size; an entry (key + value + session id + 32 bytes) must fit in one page (default: twice the log page, at least 1MiB). */
  pageSize?: number | string;
}

export interface ResolvedDurability {
  mode: 'checkpoint' | 'commit';
  /** URL of the operation log. */
  log: string;
  commitIntervalMs: number;
  memorySize: number;
  pageSize: number;
  store: OpenObjectStoreOptions;
}

/** Options of a single write. */
export interface WriteOptions {
  /** Resolve only once the write survives a crash (needs a `durability` section). */
  durable?: boolean;
}

const KEYS = ['mode', 'log', 'commitIntervalMs', 'store', 'memorySize', 'pageSize'] as const;

/**
 * Validates the durability section at `path` ('durability'). `checkpointUrl` is the default
 * place (the log goes to `<checkpointUrl>/aof`). Undefined when the section is absent.
 */
export function resolveDurability(
  path: string,
  value: unknown,
  checkpointUrl: string | undefined,
  checkpointStore: OpenObjectStoreOptions = {},
  storePageSize = 0,
): ResolvedDurability | undefined {
  if (value === undefined) return undefined;
  const d = optionSection(path, value, KEYS);
  const mode = d['mode'] ?? 'commit';
  if (mode !== 'commit' && mode !== 'checkpoint') {
    throw new ConfigError(joinOptionPath(path, 'mode'), `must be "commit" or "checkpoint", got ${JSON.stringify(mode)}`);
  }
  let log = d['log'];
  const beside = log === undefined;
  if (log !== undefined && (typeof log !== 'string' || !/^(file|s3|az|memory):\/\//.test(log))) {
    throw new ConfigError(joinOptionPath(path, 'log'), `must be a URL such as "file:///var/lib/f2kv/aof" or "s3://bucket/aof", got ${JSON.stringify(log)}`);
  }
  if (log === undefined) {
    if (checkpointUrl === undefined) {
      throw new ConfigError(joinOptionPath(path, 'log'), 'no default place for the operation log: set checkpoint.url (it goes beside the checkpoints) or durability.log');
    }
    log = `${checkpointUrl.replace(/\/+$/, '')}/aof`;
  }
  const interval = d['commitIntervalMs'] ?? 2;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0 || interval > 60_000) {
    throw new ConfigError(joinOptionPath(path, 'commitIntervalMs'), `must be a number of milliseconds in [0, 60000], got ${String(interval)}`);
  }
  // An entry is its record plus the session id and a header: twice the store's page always holds one.
  const pageSize = parseSize(joinOptionPath(path, 'pageSize'), d['pageSize'] ?? Math.max(1024 * 1024, 2 * storePageSize));
  if (!isPowerOfTwo(pageSize) || pageSize < 4096) {
    throw new ConfigError(joinOptionPath(path, 'pageSize'), `must be a power of two of at least 4096 bytes, got ${pageSize}`);
  }
  const memorySize = parseSize(joinOptionPath(path, 'memorySize'), d['memorySize'] ?? Math.max(16 * 1024 * 1024, 4 * pageSize));
  if (memorySize < 4 * pageSize) {
    throw new ConfigError(joinOptionPath(path, 'memorySize'), `must hold at least 4 pages (${4 * pageSize} bytes with pageSize ${pageSize}), got ${memorySize}`);
  }
  const store = d['store'] !== undefined ? checkObjectStoreOptions(joinOptionPath(path, 'store'), d['store']) : beside ? checkpointStore : {};
  return { mode, log: log as string, commitIntervalMs: interval, memorySize, pageSize, store };
}
