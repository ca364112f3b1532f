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
export type { DurabilityOptions, WriteOptions } from './kv/durability-options.js';
export type { OperationLogStats, ReplayResult } from './kv/operation-log.js';
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
export { loadConfig, parseConfig, type ParseConfigOptions } from './config/load-config.js';
export { openStore, type OpenStoreOptions } from './config/open-store.js';
export { describeConfig, redactedConfig, type DescribeConfigOptions } from './config/describe-config.js';
export type { StoreConfig, FasterKvStoreConfig, F2KvStoreConfig } from './config/store-config.js';
export type { LogSettings, LogLevel, LogDestination } from './config/log-settings.js';
export type { MetricsSettings } from './config/metrics-settings.js';
export { ConfigFileError } from './config/config-file-error.js';
export { parseDuration, formatDuration } from './config/duration.js';
export { applyLogSettings } from './config/apply-log-settings.js';
export { verifyStore, type StoreVerification, type VerifyStoreOptions, type VerifiedObject, type VerifiedCheckpoint, type VerifiedTier, type TierCheckpointDescriptor, type StoreObjectKind, type Tier } from './f2/verify-store.js';
export { registerMetrics, type MeteredStore, type MetricsOptions } from './metrics/register-metrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions, type MetricsSource } from './metrics/metrics-server.js';
export type { Bytes } from './core/bytes.js';
export type { ColdIndexStats } from './cold/cold-index.js';
export type { MigrationStats } from './f2/hot-to-cold.js';
