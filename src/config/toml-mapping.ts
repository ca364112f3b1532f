/**
 * Maps a configuration file's tables (snake_case, toml-schema.ts) to the TypeScript option objects
 * (FasterKvOptions or F2KvOptions, with OpenObjectStoreOptions for each URL), and the resolvers'
 * option paths back to TOML key paths so that their errors name what the user wrote:
 * `compaction.hotToCold.triggerFraction` → `compaction.hot_to_cold.trigger_fraction`.
 */
import { ConfigError } from '../core/errors.js';
import type { OpenObjectStoreOptions } from '../devices/open-object-store.js';
import { parseObjectStoreUrl } from '../devices/object-store-url.js';
import type { FasterKvOptions } from '../kv/options.js';
import type { F2KvOptions } from '../f2/f2-options.js';
import type { ConfigTree, ConfigValue } from './config-tree.js';
import { OBJECT_STORE_TABLES, tableAt } from './toml-schema.js';

export type StoreKind = 'faster' | 'f2';

/** TOML table → option section, for each kind of store. */
const SECTIONS: Readonly<Record<StoreKind, readonly (readonly [toml: string, option: string])[]>> = {
  f2: [
    ['hot.index', 'hot.index'],
    ['hot.log', 'hot.log'],
    ['hot.read_cache', 'hot.readCache'],
    ['cold', 'cold'],
    ['cold.index', 'cold.index'],
    ['cold.log', 'cold.log'],
    ['compaction.hot_to_cold', 'compaction.hotToCold'],
    ['compaction.cold_to_cold', 'compaction.coldToCold'],
    ['checkpoint', 'checkpoint'],
    ['prices', 'prices'],
    ['durability', 'durability'],
  ],
  faster: [
    ['hot.index', 'index'],
    ['hot.log', 'log'],
    ['hot.read_cache', 'readCache'],
    ['compaction.hot', 'compaction'],
    ['checkpoint', 'checkpoint'],
    ['durability', 'durability'],
  ],
};

/** Keys the config layer reads itself instead of passing them on. */
const OWN_KEYS = new Set(['checkpoint.recover']);

/** The key naming a table's object-store URL, where it is not `url`. */
const URL_KEY: Readonly<Record<string, string>> = { durability: 'log' };

/** Tables that make no sense for one kind of store, with what to do instead. */
const WRONG_KIND: Readonly<Record<StoreKind, Readonly<Record<string, string>>>> = {
  f2: {
    'compaction.hot': 'a two-tier store (with [cold]) migrates its hot log to cold; use [compaction.hot_to_cold]',
    'checkpoint.mode': 'a two-tier store always checkpoints its hot tier as a snapshot beside the cold tier; remove this key',
  },
  faster: {
    'compaction.hot_to_cold': 'there is no cold tier without a [cold] table; use [compaction.hot] to compact the hot log in place, or add [cold]',
    'compaction.cold_to_cold': 'there is no cold tier without a [cold] table; add [cold] or remove this table',
    prices: 'request prices estimate a two-tier store\'s object-store cost; add [cold] or remove this table',
  },
};

export interface MappedOptions {
  kind: StoreKind;
  options: FasterKvOptions | F2KvOptions;
  checkpointIntervalMs: number | undefined;
  /** Object-store URL schemes of `cold.store` and `checkpoint.store` (for error renaming). */
  storeSchemes: Readonly<Record<string, 's3' | 'az' | 'file' | 'memory'>>;
}

/** Builds the option object of the store the tree describes. Errors use TOML key paths. */
export function mapStoreOptions(tree: ConfigTree): MappedOptions {
  const kind: StoreKind = tree['cold'] !== undefined ? 'f2' : 'faster';
  for (const [path, advice] of Object.entries(WRONG_KIND[kind])) {
    if (valueAt(tree, path) !== undefined) throw new ConfigError(path, advice);
  }
  const options: Record<string, unknown> = {};
  for (const [tomlSection, optionSection] of SECTIONS[kind]) {
    const t = valueAt(tree, tomlSection);
    if (t === undefined || typeof t !== 'object') continue;
    const spec = tableAt(tomlSection)!;
    const target = ensure(options, optionSection);
    for (const [key, value] of Object.entries(t)) {
      const keySpec = spec.keys[key];
      if (keySpec === undefined || OWN_KEYS.has(`${tomlSection}.${key}`)) continue;
      setPath(target, keySpec.option, value);
    }
  }

  const checkpoint = valueAt(tree, 'checkpoint') as ConfigTree | undefined;
  const recover = checkpoint?.['recover'];
  if (recover !== undefined) options['recover'] = recover;
  const interval = checkpoint?.['interval'] as number | undefined;
  if (interval !== undefined && interval < 1000) {
    throw new ConfigError('checkpoint.interval', `must be at least "1s" (each checkpoint writes the index and the new log), got ${interval} ms`);
  }

  const objectStores = (tree['object_store'] ?? {}) as ConfigTree;
  const storeSchemes: Record<string, 's3' | 'az' | 'file' | 'memory'> = {};
  const urlSections = kind === 'f2' ? ['cold', 'checkpoint', 'durability'] : ['checkpoint', 'durability'];
  for (const section of urlSections) {
    const urlKey = URL_KEY[section] ?? 'url';
    const url = (valueAt(tree, section) as ConfigTree | undefined)?.[urlKey];
    if (typeof url !== 'string') continue;
    const scheme = parseObjectStoreUrl(url, `${section}.${urlKey}`).scheme;
    storeSchemes[`${section}.store`] = scheme;
    const given = scheme === 'memory' ? undefined : (objectStores[scheme] as ConfigTree | undefined);
    if (given !== undefined) ensure(options, section)['store'] = objectStoreOptions(scheme as 's3' | 'az' | 'file', given);
  }
  return { kind, options: options as unknown as FasterKvOptions | F2KvOptions, checkpointIntervalMs: interval, storeSchemes };
}

/** The OpenObjectStoreOptions of one [object_store.<scheme>] table. */
export function objectStoreOptions(scheme: 's3' | 'az' | 'file', table: ConfigTree): OpenObjectStoreOptions {
  const spec = OBJECT_STORE_TABLES[scheme];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) setPath(out, spec.keys[key]!.option, value);
  const creds = out['credentials'] as Record<string, unknown> | undefined;
  if (creds !== undefined && (creds['accessKeyId'] === undefined || creds['secretAccessKey'] === undefined)) {
    throw new ConfigError(`object_store.${scheme}.${creds['accessKeyId'] === undefined ? 'access_key_id' : 'secret_access_key'}`,
      'static credentials need both access_key_id and secret_access_key (or neither, for the standard AWS credential chain)');
  }
  return out as OpenObjectStoreOptions;
}

/**
 * The TOML key path of a resolver's option path. `storeSchemes` says which [object_store.*]
 * table the `…store` options came from.
 */
export function tomlPathOfOption(kind: StoreKind, optionPath: string, storeSchemes: MappedOptions['storeSchemes']): string {
  if (optionPath === 'recover') return 'checkpoint.recover';
  for (const [storePath, scheme] of Object.entries(storeSchemes)) {
    if (optionPath !== storePath && !optionPath.startsWith(`${storePath}.`)) continue;
    const rest = optionPath.slice(storePath.length + 1);
    const section = storePath.replace(/\.store$/, '');
    const urlKey = `${section}.${URL_KEY[section] ?? 'url'}`;
    if (scheme === 'memory' || rest === '') return urlKey;
    const keys = OBJECT_STORE_TABLES[scheme].keys;
    // An option the table does not have (a store's own path such as `directory`) is about the URL.
    if (!Object.values(keys).some((spec) => spec.option === rest)) return urlKey;
    return `object_store.${scheme}.${tomlKeyOf(keys, rest)}`;
  }
  let best: readonly [string, string] | undefined;
  for (const pair of SECTIONS[kind]) {
    const [, section] = pair;
    if ((optionPath === section || optionPath.startsWith(`${section}.`)) && (best === undefined || section.length > best[1].length)) best = pair;
  }
  if (best === undefined) return optionPath.split('.').map(snakeCase).join('.');
  const [tomlSection, section] = best;
  const rest = optionPath.slice(section.length + 1);
  return rest === '' ? tomlSection : `${tomlSection}.${tomlKeyOf(tableAt(tomlSection)!.keys, rest)}`;
}

/**
 * Renames a resolver's ConfigError to TOML key paths, also in its message: option paths it
 * mentions ("must not exceed log.memorySize") are read within the same tier as the failing option.
 */
export function renameOptionError(kind: StoreKind, err: ConfigError, storeSchemes: MappedOptions['storeSchemes']): ConfigError {
  const path = tomlPathOfOption(kind, err.option, storeSchemes);
  const detail = err.message.startsWith(`${err.option}: `) ? err.message.slice(err.option.length + 2) : err.message;
  const tier = kind === 'f2' ? /^(hot|cold)\./.exec(err.option)?.[0] ?? '' : '';
  const roots = new Set(SECTIONS[kind].map(([, s]) => s.split('.')[0]!));
  const renamed = detail.replace(/\b[a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)+\b/g, (mention) => {
    const first = mention.split('.')[0]!;
    const qualified = tier !== '' && !roots.has(first) ? `${tier}${mention}` : mention;
    if (!roots.has(qualified.split('.')[0]!)) return mention;
    return tomlPathOfOption(kind, qualified, storeSchemes);
  });
  return new ConfigError(path, renamed, { cause: err });
}

function tomlKeyOf(keys: Readonly<Record<string, { option: string }>>, option: string): string {
  for (const [key, spec] of Object.entries(keys)) if (spec.option === option) return key;
  return option.split('.').map(snakeCase).join('.');
}

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function valueAt(tree: ConfigTree, path: string): ConfigValue | undefined {
  let v: ConfigValue | undefined = tree;
  for (const part of path.split('.')) {
    if (v === undefined || typeof v !== 'object') return undefined;
    v = v[part];
  }
  return v;
}

function ensure(target: Record<string, unknown>, path: string): Record<string, unknown> {
  let t = target;
  for (const part of path.split('.')) {
    t[part] ??= {};
    t = t[part] as Record<string, unknown>;
  }
  return t;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop()!;
  const t = parts.length === 0 ? target : ensure(target, parts.join('.'));
  t[last] = value;
}
