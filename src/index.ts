/** f2kv public API. */
export { FasterKv } from './hot/faster-kv.js';
export { KvEngine, PENDING, type KvEngineStats, type KvEngineStats as FasterKvStats, type RmwFunction, type OperationStats } from './kv/kv-engine.js';
export { Session, PENDING_CODE } from './kv/session.js';
export type {
  FasterKvOptions,
  LogOptions,
  IndexOptions,
  ReadCacheOptions,
  CompactionOptions,
  CheckpointOptions,
} from './kv/options.js';
export type { KvIndex, KvIndexStats } from './kv/kv-index.js';
export type { CompactionResult, CompactionMode } from './kv/compaction.js';
export type { RecoveredCheckpoint, CheckpointStats } from './kv/checkpoint-manager.js';
export type { FencedListener } from './core/fence.js';
export { CheckpointNotFoundError } from './kv/checkpoint-manifest.js';
export { MemHashIndex } from './hot/mem-hash-index.js';
export type { ReadCacheStats } from './log/read-cache.js';
export { HybridLog, type HybridLogStats } from './log/hybrid-log.js';
export type { ScanRecord } from './log/log-scanner.js';
export { FasterLog, type FasterLogOptions, type FasterLogCommitOptions, type FasterLogEntry, type FasterLogStats } from './log/faster-log.js';
export * from './devices/index.js';
export * from './core/errors.js';
export { parseSize } from './core/size.js';
export { ColdKv, type ColdKvStats, type ColdCompactionResult } from './cold/cold-kv.js';
export { ColdSession } from './cold/cold-session.js';
export type { ColdKvOptions, ColdIndexOptions, ColdLogOptions, ColdCompactionOptions, ColdCheckpointOptions } from './cold/cold-options.js';
export { F2Kv, type F2KvStats } from './f2/f2-kv.js';
export { F2Session, type TierReadStats } from './f2/f2-session.js';
export type { F2KvOptions, HotTierOptions, ColdTierOptions, HotToColdOptions, F2CheckpointOptions, RequestPrices } from './f2/f2-options.js';
export { S3_LIST_PRICES } from './f2/f2-options.js';
