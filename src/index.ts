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
export type { RecoveredCheckpoint } from './kv/checkpoint-manager.js';
export { CheckpointNotFoundError } from './kv/checkpoint-manifest.js';
export { MemHashIndex } from './hot/mem-hash-index.js';
export type { ReadCacheStats } from './log/read-cache.js';
export { HybridLog, type HybridLogStats } from './log/hybrid-log.js';
export type { ScanRecord } from './log/log-scanner.js';
export { FasterLog, type FasterLogOptions, type FasterLogCommitOptions, type FasterLogEntry, type FasterLogStats } from './log/faster-log.js';
export * from './devices/index.js';
export * from './core/errors.js';
export { parseSize } from './core/size.js';
