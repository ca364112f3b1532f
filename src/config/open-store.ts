/**
 * Opens the store a configuration describes: an F2Kv when it has a [cold] table, a FasterKv
 * otherwise. The [log] settings are applied to f2kv's logger first. With
 * `[object_store.file] create_if_missing = true`, the parent directory of a file:// hot log is
 * created too (the store creates the log directory itself, and file:// object stores).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { F2Kv } from '../f2/f2-kv.js';
import { FasterKv } from '../hot/faster-kv.js';
import { applyLogSettings } from './apply-log-settings.js';
import type { StoreConfig } from './store-config.js';

export interface OpenStoreOptions {
  /** Apply the [log] settings to f2kv's logger (default true). */
  applyLog?: boolean;
}

export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<FasterKv | F2Kv> {
  if (options.applyLog ?? true) applyLogSettings(config.log);
  const s = config.store;
  await createHotLogParent(config);
  return s.kind === 'f2' ? F2Kv.open(s.options) : FasterKv.open(s.options);
}

async function createHotLogParent(config: StoreConfig): Promise<void> {
  const file = (config.tree['object_store'] as { file?: { create_if_missing?: unknown } } | undefined)?.file;
  if (file?.create_if_missing !== true) return;
  const s = config.store;
  const device = s.kind === 'f2' ? s.resolved.hot.log.device : s.resolved.log.device;
  if (typeof device !== 'string' || !device.startsWith('file://')) return;
  await mkdir(dirname(fileURLToPath(device)), { recursive: true });
}
