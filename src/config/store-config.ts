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
  /** What kind of store: a FasterKv. */
  kind: 'faster';
  /** Options for FasterKv.open. */
  options: FasterKvOptions;
  /** The same options with defaults applied. @internal */
  resolved: ResolvedOptions;
}

/** A two-tier store (a [cold] table): an F2Kv. */
export interface F2KvStoreConfig {
  /** What kind of store: an F2Kv. */
  kind: 'f2';
  /** Options for F2Kv.open. */
  options: F2KvOptions;
  /** The same options with defaults applied. @internal */
  resolved: ResolvedF2Options;
}

/** A validated configuration file (loadConfig, parseConfig): the store's options plus the process settings (logging, metrics, periodic checkpoints). Open it with openStore. */
export interface StoreConfig {
  /** Absolute path of the file (or the name given to parseConfig). */
  file: string;
  /** What openStore opens, with the options handed to FasterKv.open / F2Kv.open. */
  store: FasterKvStoreConfig | F2KvStoreConfig;
  /** [checkpoint] interval in milliseconds (undefined: no periodic checkpoints). */
  checkpointIntervalMs: number | undefined;
  /** The [log] table: pino level and destination. */
  log: LogSettings;
  /** The [metrics] table: parsed and validated here; served by the metrics module. */
  metrics: MetricsSettings;
  /** Warnings found while loading (such as literal secrets), each naming the file and key. */
  warnings: string[];
  /** The file's tables after `${ENV}` expansion and normalization (secrets included: never log it). @internal */
  tree: ConfigTree;
}
