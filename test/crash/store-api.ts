/**
 * The crash harness's one view of the checkpoint API (open with checkpoint options, continue a
 * session, checkpoint, the recovered checkpoint), shared by the worker, the crash tests and the
 * checkpoint benchmark's option building. Everything that depends on the exact shape of the
 * options lives here.
 *
 * A StoreLocation describes either a FasterKv (no `cold` part) or an F2Kv (a `cold` part: the
 * cold tier's URL and object-store options and the sizes that keep hot → cold migration, cold
 * compaction and chunk I/O busy). Both kinds offer the same session API and checkpoint().
 */
import type { OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { F2Kv, FasterKv, type F2KvOptions, type FasterKvOptions, type RmwFunction } from '../../src/index.js';

export type CheckpointMode = 'snapshot' | 'fold-over';

/** The cold tier of an F2 store (see StoreLocation.cold). */
export interface ColdLocation {
  /** The cold tier's object store: file:///… or s3://bucket/prefix. */
  url: string;
  /** Options for openObjectStore of the cold URL. */
  store?: OpenObjectStoreOptions;
  /** The hot log's budget (compaction.hotToCold.maxLogSize): small, so migration runs constantly. */
  hotBudget: string;
  /** Cold log page (= object) size and write buffer. */
  logPageSize: string;
  logMemorySize: string;
  /** The cold index: expected keys, chunk size and chunk cache (smaller than the chunks: chunk I/O). */
  expectedKeys: number;
  chunkSize: string;
  chunkCacheSize: string;
  /** Budget of the cold log (compaction.coldToCold.maxLogSize). */
  coldBudget: string;
  /** Hot read cache (values read from the hot device and from cold). */
  readCacheSize: string;
}

/** Where the worker's store lives; serializable (handed to the child as JSON). */
export interface StoreLocation {
  /** The hot log device, e.g. file:///tmp/x/hot. */
  logUrl: string;
  /** The checkpoint store, file:///… or s3://bucket/prefix (an F2 store: of both tiers). */
  checkpointUrl: string;
  /** Options for openObjectStore of the checkpoint URL (S3 endpoint, credentials, …). */
  checkpointStore?: OpenObjectStoreOptions;
  /** FasterKv only (F2 hot checkpoints are snapshots). */
  mode?: CheckpointMode;
  keep?: number;
  pageSize: string;
  memorySize: string;
  buckets: number;
  /** Present: an F2Kv with this cold tier; absent: a FasterKv. */
  cold?: ColdLocation;
}

export type CheckpointedStore = FasterKv | F2Kv;

/** What the harness uses of a session (FasterKv's Session and F2Session both have it). */
export interface CrashSession {
  readonly id: string;
  readonly serial: number;
  read(key: string): Promise<Uint8Array | undefined>;
  upsert(key: string, value: string): Promise<void>;
  rmw(key: string, fn: RmwFunction): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
}

/** Options of FasterKv.open; `compactionMaxLogSize` turns on automatic compaction with that log budget. */
export function storeOptions(loc: StoreLocation, recover: boolean | string = true, compactionMaxLogSize?: string): FasterKvOptions {
  return {
    index: { buckets: loc.buckets },
    ...(compactionMaxLogSize !== undefined ? { compaction: { enabled: true, maxLogSize: compactionMaxLogSize } } : {}),
    log: { device: loc.logUrl, pageSize: loc.pageSize, memorySize: loc.memorySize },
    checkpoint: {
      url: loc.checkpointUrl,
      ...(loc.mode !== undefined ? { mode: loc.mode } : {}),
      ...(loc.keep !== undefined ? { keep: loc.keep } : {}),
      ...(loc.checkpointStore !== undefined ? { store: loc.checkpointStore } : {}),
    },
    recover,
  };
}

/** Options of F2Kv.open for a location with a `cold` part. */
export function f2StoreOptions(loc: StoreLocation, cold: ColdLocation, recover: boolean | string = true): F2KvOptions {
  return {
    hot: {
      index: { buckets: loc.buckets },
      log: { device: loc.logUrl, pageSize: loc.pageSize, memorySize: loc.memorySize },
      readCache: { memorySize: cold.readCacheSize },
    },
    cold: {
      url: cold.url,
      ...(cold.store !== undefined ? { store: cold.store } : {}),
      index: { expectedKeys: cold.expectedKeys, chunkSize: cold.chunkSize, chunkCacheSize: cold.chunkCacheSize },
      log: { pageSize: cold.logPageSize, memorySize: cold.logMemorySize },
    },
    compaction: { hotToCold: { maxLogSize: cold.hotBudget }, coldToCold: { maxLogSize: cold.coldBudget } },
    checkpoint: {
      url: loc.checkpointUrl,
      ...(loc.keep !== undefined ? { keep: loc.keep } : {}),
      ...(loc.checkpointStore !== undefined ? { store: loc.checkpointStore } : {}),
    },
    recover,
  };
}

/** Opens the store the location describes; `compactionMaxLogSize` applies to a FasterKv only. */
export async function openStore(loc: StoreLocation, recover: boolean | string = true, compactionMaxLogSize?: string): Promise<CheckpointedStore> {
  if (loc.cold !== undefined) return F2Kv.open(f2StoreOptions(loc, loc.cold, recover));
  return FasterKv.open(storeOptions(loc, recover, compactionMaxLogSize));
}

/** Continues session `id` (its serial: the last of its operations the recovered checkpoint holds). */
export function continueSession(store: CheckpointedStore, id: string): CrashSession {
  return store.continueSession(id);
}

/**
 * The recovered checkpoint's token and per-session serials (undefined: nothing recovered). For an
 * F2 store: its F2 token, and the sessions of the hot tier's checkpoint it names (the hot tier's
 * CPR; F2Kv.continueSession(id).serial reports the same numbers).
 */
export function recoveredOf(store: CheckpointedStore): { token: string; sessions: Record<string, number> } | undefined {
  if (store instanceof F2Kv) {
    const token = store.recoveredToken;
    if (token === undefined) return undefined;
    const hot = store.hot.recoveredCheckpoint;
    if (hot === undefined) throw new Error(`F2 checkpoint ${token} was recovered but its hot tier reports no recovered checkpoint`);
    return { token, sessions: { ...hot.sessions } };
  }
  const r = store.recoveredCheckpoint;
  return r === undefined ? undefined : { token: r.token, sessions: { ...r.sessions } };
}
