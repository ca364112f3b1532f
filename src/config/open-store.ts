/**
 * Opens the store a configuration describes: an F2Kv when it has a [cold] table, a FasterKv
 * otherwise. The [log] settings are applied to f2kv's logger first. With
 * `[object_store.file] create_if_missing = true`, the parent directory of a file:// hot log is
 * created too (the store creates the log directory itself, and file:// object stores).
 *
 * A ConfigError raised while opening (a directory that does not exist, an object store that
 * refuses an option) is renamed to the file and TOML key it came from.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { parseObjectStoreUrl } from '../devices/object-store-url.js';
import { F2Kv } from '../f2/f2-kv.js';
import { FasterKv } from '../hot/faster-kv.js';
import { applyLogSettings } from './apply-log-settings.js';
import { ConfigFileError } from './config-file-error.js';
import type { StoreConfig } from './store-config.js';
import { renameOptionError } from './toml-mapping.js';

/** Options of openStore. */
export interface OpenStoreOptions {
  /** Apply the [log] settings to f2kv's logger (default true). */
  applyLog?: boolean;
}

/** Opens the store the configuration describes: an F2Kv when it has a [cold] table, a FasterKv otherwise. Applies the [log] settings first (unless applyLog is false). @throws ConfigFileError naming the file and TOML key when an option is refused while opening. */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<FasterKv | F2Kv> {
  if (options.applyLog ?? true) applyLogSettings(config.log);
  const s = config.store;
  try {
    await createHotLogParent(config);
    return s.kind === 'f2' ? await F2Kv.open(s.options) : await FasterKv.open(s.options);
  } catch (err) {
    if (!(err instanceof ConfigError) || err instanceof ConfigFileError) throw err;
    const renamed = renameOptionError(s.kind, qualify(config, err), storeSchemes(config));
    throw new ConfigFileError(config.file, renamed.option, renamed.message.slice(renamed.option.length + 2), { cause: err });
  }
}

/**
 * Qualifies an option path raised inside a tier (F2Kv opens a FasterKv whose errors say
 * `log.device`) or an object store (`endpoint`) with where it sits in the store's options.
 */
function qualify(config: StoreConfig, err: ConfigError): ConfigError {
  const root = err.option.split('.')[0]!;
  let path = err.option;
  if (config.store.kind === 'f2' && ['index', 'log', 'readCache'].includes(root)) path = `hot.${err.option}`;
  else if (!['index', 'log', 'readCache', 'compaction', 'checkpoint', 'hot', 'cold', 'prices', 'recover'].includes(root)) {
    // An object store's own error: it belongs to the checkpoint store when it names its directory or prefix.
    const s = config.store;
    const ckUrl: string | undefined = s.resolved.checkpoint.url;
    const ck = ckUrl === undefined ? undefined : parseObjectStoreUrl(ckUrl);
    const aboutCheckpoints = s.kind === 'faster' || (ck !== undefined && (ck.scheme === 'file' ? err.message.includes(ck.path) : ck.path !== '' && err.message.includes(ck.path)));
    path = `${aboutCheckpoints ? 'checkpoint' : 'cold'}.store.${err.option}`;
  }
  const detail = err.message.slice(err.option.length + 2).replace('pass { createIfMissing: true }', 'set create_if_missing = true in [object_store.file]');
  if (path === err.option && detail === err.message.slice(err.option.length + 2)) return err;
  return new ConfigError(path, detail, { cause: err });
}

function storeSchemes(config: StoreConfig): Record<string, 's3' | 'az' | 'file' | 'memory'> {
  const out: Record<string, 's3' | 'az' | 'file' | 'memory'> = {};
  const s = config.store;
  const urls: [string, string | undefined][] = s.kind === 'f2'
    ? [['cold.store', s.resolved.cold.url], ['checkpoint.store', s.resolved.checkpoint.url]]
    : [['checkpoint.store', s.resolved.checkpoint.url]];
  for (const [path, url] of urls) if (url !== undefined) out[path] = parseObjectStoreUrl(url).scheme;
  return out;
}

async function createHotLogParent(config: StoreConfig): Promise<void> {
  const file = (config.tree['object_store'] as { file?: { create_if_missing?: unknown } } | undefined)?.file;
  if (file?.create_if_missing !== true) return;
  const s = config.store;
  const device = s.kind === 'f2' ? s.resolved.hot.log.device : s.resolved.log.device;
  if (typeof device !== 'string' || !device.startsWith('file://')) return;
  await mkdir(dirname(fileURLToPath(device)), { recursive: true });
}
