/**
 * Renders a StoreConfig as the configuration it resolves to — every key with its effective value,
 * defaults included — in TOML (readable back by parseConfig) or JSON. Secrets are "[redacted]".
 * `f2kv config check <file>` prints this.
 */
import { stringify } from 'smol-toml';
import type { ResolvedDurability } from '../kv/durability-options.js';
import type { ConfigTree } from './config-tree.js';
import { formatDuration } from './duration.js';
import type { LogSettings } from './log-settings.js';
import type { StoreConfig } from './store-config.js';
import { OBJECT_STORE_TABLES, tableAt, type TableSpec } from './toml-schema.js';

export const REDACTED = '[redacted]';

/** Options of describeConfig. */
export interface DescribeConfigOptions {
  /** 'toml' (default) or 'json'. */
  format?: 'toml' | 'json';
}

/** The resolved configuration as text, secrets replaced by "[redacted]". */
export function describeConfig(config: StoreConfig, options: DescribeConfigOptions = {}): string {
  const tree = redactedConfig(config);
  return options.format === 'json' ? `${JSON.stringify(tree, null, 2)}\n` : stringify(tree).replace(/\n\[/g, '\n\n[');
}

/** The resolved configuration as TOML-shaped tables (snake_case keys), secrets replaced by "[redacted]". */
export function redactedConfig(config: StoreConfig): ConfigTree {
  const out: ConfigTree = {};
  const s = config.store;
  const checkpoint: ConfigTree = {};
  if (s.kind === 'f2') {
    const r = s.resolved;
    out['hot'] = {
      index: render('hot.index', r.hot.index),
      log: render('hot.log', r.hot.log),
      read_cache: render('hot.read_cache', r.hot.readCache),
    };
    const coldIndex: Record<string, unknown> = { ...r.cold.index, chunkSize: r.cold.index.chunkSlots * 8 };
    // Only one of chunks and expected_keys may be given; show the one the file chose.
    if (s.options.cold.index?.chunks !== undefined) delete coldIndex['expectedKeys'];
    else delete coldIndex['chunks'];
    out['cold'] = { url: r.cold.url, index: render('cold.index', coldIndex), log: render('cold.log', r.cold.log) };
    out['compaction'] = {
      hot_to_cold: render('compaction.hot_to_cold', r.hot.compaction),
      cold_to_cold: render('compaction.cold_to_cold', r.cold.compaction),
    };
    Object.assign(checkpoint, { url: r.checkpoint.url, keep: r.checkpoint.keep, on_close: r.checkpoint.onClose });
    renderCheckpointAndDurability(out, checkpoint, r);
    out['prices'] = render('prices', r.prices);
  } else {
    const r = s.resolved;
    out['hot'] = {
      index: render('hot.index', r.index),
      log: render('hot.log', r.log),
      read_cache: render('hot.read_cache', r.readCache),
    };
    const compaction: Record<string, unknown> = { ...r.compaction };
    if (r.compaction.maxBytesPerPass === Number.MAX_SAFE_INTEGER) delete compaction['maxBytesPerPass']; // no bound
    out['compaction'] = { hot: render('compaction.hot', compaction) };
    if (r.checkpoint.url !== undefined) checkpoint['url'] = r.checkpoint.url;
    Object.assign(checkpoint, { mode: r.checkpoint.mode, keep: r.checkpoint.keep, on_close: r.checkpoint.onClose });
    renderCheckpointAndDurability(out, checkpoint, r);
  }
  const stores = config.tree['object_store'] as ConfigTree | undefined;
  if (stores !== undefined) {
    const rendered: ConfigTree = {};
    for (const [scheme, table] of Object.entries(stores)) {
      rendered[scheme] = renderGiven(OBJECT_STORE_TABLES[scheme as keyof typeof OBJECT_STORE_TABLES], table as ConfigTree);
    }
    out['object_store'] = rendered;
  }
  out['log'] = { level: config.log.level, destination: describeDestination(config.log) };
  out['metrics'] = { ...config.metrics };
  return out;
}

/** The [checkpoint] keys both kinds of store share, and [durability] when there is an operation log. */
function renderCheckpointAndDurability(
  out: ConfigTree,
  checkpoint: ConfigTree,
  r: { checkpoint: { intervalMs: number; fenceCheckIntervalMs: number }; recover: boolean | string; durability: ResolvedDurability | undefined },
): void {
  if (r.checkpoint.intervalMs > 0) checkpoint['interval'] = formatDuration(r.checkpoint.intervalMs);
  checkpoint['fence_check_interval'] = formatDuration(r.checkpoint.fenceCheckIntervalMs);
  checkpoint['recover'] = r.recover;
  out['checkpoint'] = checkpoint;
  if (r.durability !== undefined) out['durability'] = render('durability', r.durability);
}

/** Option values of a resolved section under their TOML keys; sizes as "64MiB" when exact. */
function render(tomlSection: string, values: object): ConfigTree {
  const spec = tableAt(tomlSection)!;
  const out: ConfigTree = {};
  for (const [key, keySpec] of Object.entries(spec.keys)) {
    const v = (values as Record<string, unknown>)[keySpec.option];
    if (v === undefined || (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')) continue;
    out[key] = keySpec.kind === 'size' && typeof v === 'number' ? formatSize(v) : keySpec.kind === 'duration' && typeof v === 'number' ? formatDuration(v) : v;
  }
  return out;
}

/** A table as given in the file (after `${ENV}` expansion), durations as text and secrets redacted. */
function renderGiven(spec: TableSpec, table: ConfigTree): ConfigTree {
  const out: ConfigTree = {};
  for (const [key, v] of Object.entries(table)) {
    const kind = spec.keys[key]?.kind;
    out[key] = kind === 'secret' ? REDACTED : kind === 'duration' && typeof v === 'number' ? formatDuration(v) : v;
  }
  return out;
}

/** Bytes as the largest exact binary unit ("64MiB", "4KiB"), or a number of bytes. */
export function formatSize(bytes: number): string | number {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}

function describeDestination(log: LogSettings): string {
  return log.destination.kind === 'file' ? log.destination.path : log.destination.kind;
}
