/**
 * A validated configuration file: the options of the store it describes (checked by the same
 * resolvers as the TypeScript API), plus the settings the process around the store reads
 * (logging, metrics, periodic checkpoints).
 */
import type { FasterKvOptions, ResolvedOptions } from '../kv/options.js';
import type { F2KvOptions, ResolvedF2Options } from '../f2/f2-options.js';
import type { ConfigTree } from './config-tree.js';
import type { LogSettings } from './log-settings.js';
import type { MetricsSettings } from './metrics-settings.js';

/** A one-tier store (no [cold] table): a FasterKv. */
export interface FasterKvStoreConfig {
  kind: 'faster';
  options: FasterKvOptions;
  resolved: ResolvedOptions;
}

/** A two-tier store (a [cold] table): an F2Kv. */
export interface F2KvStoreConfig {
  kind: 'f2';
  options: F2KvOptions;
  resolved: ResolvedF2Options;
}

export interface StoreConfig {
  /** Absolute path of the file (or the name given to parseConfig). */
  file: string;
  /** What openStore opens, with the options handed to FasterKv.open / F2Kv.open. */
  store: FasterKvStoreConfig | F2KvStoreConfig;
  /** [checkpoint] interval in milliseconds (undefined: no periodic checkpoints). */
  checkpointIntervalMs: number | undefined;
  /** [log]: pino level and destination. */
  log: LogSettings;
  /** [metrics]: parsed and validated here; served by the metrics module. */
  metrics: MetricsSettings;
  /** Warnings found while loading (such as literal secrets), each naming the file and key. */
  warnings: string[];
  /** The file's tables after `${ENV}` expansion and normalization (secrets included: never log it). */
  tree: ConfigTree;
}
