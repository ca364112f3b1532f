/**
 * The layout of a configuration file: every table, every key, the kind of value it takes and the
 * TypeScript option it becomes. Keys are snake_case; the option names are those of FasterKvOptions,
 * F2KvOptions and OpenObjectStoreOptions, whose resolvers do the range checks (one source of truth).
 */

/**
 * What a key accepts. `size`: bytes or "64MiB"; `duration`: "250ms", "30s", "1h30m" (becomes
 * milliseconds); `url`: an object-store URL (file://./dir is relative to the file); `secret`: a
 * string that should come from `${ENV}` (a literal one is accepted with a warning);
 * `endpoint`: an http(s) URL; `recover`: true, false or a checkpoint token.
 */
export type ValueKind = 'size' | 'duration' | 'integer' | 'number' | 'boolean' | 'string' | 'url' | 'endpoint' | 'secret' | 'recover';

export interface KeySpec {
  kind: ValueKind;
  /** The option this key sets, relative to its table's option section (dotted for nesting). */
  option: string;
}

export interface TableSpec {
  keys: Readonly<Record<string, KeySpec>>;
  tables: Readonly<Record<string, TableSpec>>;
}

const k = (kind: ValueKind, option: string): KeySpec => ({ kind, option });
const table = (keys: Record<string, KeySpec>, tables: Record<string, TableSpec> = {}): TableSpec => ({ keys, tables });

const HOT_INDEX = table({ buckets: k('integer', 'buckets'), auto_grow: k('boolean', 'autoGrow'), max_load: k('number', 'maxLoad') });
const HOT_LOG = table({
  device: k('url', 'device'),
  memory_size: k('size', 'memorySize'),
  page_size: k('size', 'pageSize'),
  mutable_fraction: k('number', 'mutableFraction'),
  segment_size: k('size', 'segmentSize'),
});
const READ_CACHE = table({ enabled: k('boolean', 'enabled'), memory_size: k('size', 'memorySize'), page_size: k('size', 'pageSize') });

const BUDGET_KEYS = {
  enabled: k('boolean', 'enabled'),
  max_log_size: k('size', 'maxLogSize'),
  trigger_fraction: k('number', 'triggerFraction'),
  compact_fraction: k('number', 'compactFraction'),
  max_bytes_per_pass: k('size', 'maxBytesPerPass'),
};

const COLD = table(
  { url: k('url', 'url') },
  {
    index: table({
      expected_keys: k('integer', 'expectedKeys'),
      chunks: k('integer', 'chunks'),
      chunk_size: k('size', 'chunkSize'),
      chunk_cache_size: k('size', 'chunkCacheSize'),
      chunk_page_size: k('size', 'chunkPageSize'),
    }),
    log: table({ memory_size: k('size', 'memorySize'), page_size: k('size', 'pageSize'), block_size: k('size', 'blockSize') }),
  },
);

/** Keys every object store takes: request policy and behaviour on open. */
const REQUEST_POLICY_KEYS = {
  timeout: k('duration', 'timeoutMs'),
  max_attempts: k('integer', 'maxAttempts'),
  base_delay: k('duration', 'baseDelayMs'),
  max_delay: k('duration', 'maxDelayMs'),
  concurrency: k('integer', 'concurrency'),
  create_if_missing: k('boolean', 'createIfMissing'),
  verify: k('boolean', 'verify'),
  list_page_size: k('integer', 'listPageSize'),
};

/** Connection settings by URL scheme: every URL of that scheme in the file uses them. */
export const OBJECT_STORE_TABLES: Readonly<Record<'s3' | 'az' | 'file', TableSpec>> = {
  s3: table({
    ...REQUEST_POLICY_KEYS,
    endpoint: k('endpoint', 'endpoint'),
    region: k('string', 'region'),
    path_style: k('boolean', 'forcePathStyle'),
    payload_checksum: k('string', 'payloadChecksum'),
    access_key_id: k('secret', 'credentials.accessKeyId'),
    secret_access_key: k('secret', 'credentials.secretAccessKey'),
    session_token: k('secret', 'credentials.sessionToken'),
  }),
  az: table({
    ...REQUEST_POLICY_KEYS,
    endpoint: k('endpoint', 'endpoint'),
    connection_string: k('secret', 'connectionString'),
    account_name: k('string', 'accountName'),
    account_key: k('secret', 'accountKey'),
    sas_token: k('secret', 'sasToken'),
    sas_url: k('secret', 'sasUrl'),
  }),
  file: table({ create_if_missing: k('boolean', 'createIfMissing') }),
};

/** The whole file. Options of `log` and `metrics` are read by the config layer itself. */
export const CONFIG_SCHEMA: TableSpec = table(
  {},
  {
    hot: table({}, { index: HOT_INDEX, log: HOT_LOG, read_cache: READ_CACHE }),
    cold: COLD,
    compaction: table(
      {},
      {
        // A FasterKv (no [cold]) compacts its log in place; an F2Kv migrates hot → cold and compacts cold → cold.
        hot: table({ ...BUDGET_KEYS, mode: k('string', 'mode') }),
        hot_to_cold: table(BUDGET_KEYS),
        cold_to_cold: table(BUDGET_KEYS),
      },
    ),
    checkpoint: table({
      url: k('url', 'url'),
      mode: k('string', 'mode'),
      keep: k('integer', 'keep'),
      on_close: k('boolean', 'onClose'),
      interval: k('duration', 'intervalMs'),
      fence_check_interval: k('duration', 'fenceCheckIntervalMs'),
      recover: k('recover', 'recover'),
    }),
    object_store: table({}, OBJECT_STORE_TABLES),
    prices: table({ get: k('number', 'get'), put: k('number', 'put'), list: k('number', 'list'), head: k('number', 'head'), delete: k('number', 'delete') }),
    log: table({ level: k('string', 'level'), destination: k('string', 'destination') }),
    metrics: table({ enabled: k('boolean', 'enabled'), port: k('integer', 'port'), path: k('string', 'path'), prefix: k('string', 'prefix') }),
    durability: table({
      mode: k('string', 'mode'),
      log: k('url', 'log'),
      commit_interval: k('duration', 'commitIntervalMs'),
      memory_size: k('size', 'memorySize'),
      page_size: k('size', 'pageSize'),
    }),
  },
);

/** The spec of the table at a dotted TOML path ('' for the top), or undefined. */
export function tableAt(path: string): TableSpec | undefined {
  let t: TableSpec | undefined = CONFIG_SCHEMA;
  if (path === '') return t;
  for (const part of path.split('.')) t = t?.tables[part];
  return t;
}
