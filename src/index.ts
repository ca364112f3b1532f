/** f2kv public API. */
export { FasterKv, PENDING, type FasterKvStats, type RmwFunction } from './kv/faster-kv.js';
export { Session, PENDING_CODE } from './kv/session.js';
export type { FasterKvOptions, LogOptions, IndexOptions } from './kv/options.js';
export type { KvIndex } from './kv/kv-index.js';
export { MemHashIndex } from './hot/mem-hash-index.js';
export { HybridLog } from './log/hybrid-log.js';
export type { StorageDevice, DeviceStats } from './devices/storage-device.js';
export * from './core/errors.js';
export { parseSize } from './core/size.js';
export { FasterLog, type FasterLogOptions, type FasterLogCommitOptions, type FasterLogEntry, type FasterLogStats } from './log/faster-log.js';
