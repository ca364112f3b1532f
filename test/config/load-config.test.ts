/**
 * Configuration files: every kind of bad input is one ConfigFileError naming the file and the TOML
 * key (or line and column), nothing on disk is touched; good files map to the same options the
 * TypeScript API takes, and describeConfig renders them back (secrets redacted).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigFileError, describeConfig, loadConfig, parseConfig, redactedConfig, type StoreConfig } from '../../src/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-config-'));
  dirs.push(d);
  return d;
}

const TWO_TIER = `
[hot.log]
device = "file://./data/hot"
memory_size = "8MiB"
page_size = "64KiB"

[cold]
url = "file://./data/cold"

[checkpoint]
url = "file://./data/checkpoints"
`;

/** The ConfigFileError that parsing `text` as `config.toml` throws. */
function errorOf(text: string, env: Record<string, string> = {}): ConfigFileError {
  try {
    parseConfig(text, 'config.toml', { env, baseDir: '/srv/f2kv' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigFileError;
  }
  throw new Error('expected a ConfigFileError');
}

describe('bad input: one ConfigFileError naming the file and the key', () => {
  it('a missing file', async () => {
    const path = join(tempDir(), 'nope.toml');
    await expect(loadConfig(path)).rejects.toThrow(`${path}: no such file; check the path`);
  });

  it('a directory instead of a file', async () => {
    const dir = tempDir();
    await expect(loadConfig(dir)).rejects.toThrow(`${dir}: is a directory; give the path of a TOML configuration file`);
  });

  it('invalid TOML gives line and column', () => {
    const err = errorOf('[hot.log]\npage_size = "1MiB"\nmemory_size = = 3\n');
    expect(err.line).toBe(3);
    expect(err.column).toBe(15);
    expect(err.message).toMatch(/^config\.toml:3:15: invalid TOML: /);
    expect(err.message).toContain('memory_size = = 3'); // the offending line is shown
  });

  it('a value of the wrong type', () => {
    expect(errorOf('[hot.index]\nauto_grow = "yes"').message).toBe('config.toml: hot.index.auto_grow: expected true or false, got the string "yes"');
    expect(errorOf('[hot.index]\nbuckets = 1.5').message).toBe('config.toml: hot.index.buckets: expected a whole number, got the number 1.5');
    expect(errorOf('[hot.log]\npage_size = true').message).toBe('config.toml: hot.log.page_size: expected a size (bytes, or a string such as "64MiB"), got true');
    expect(errorOf('hot = 3').message).toBe('config.toml: hot: must be a table ([hot]), got the number 3');
    expect(errorOf('[checkpoint]\ninterval = 30').message).toContain('config.toml: checkpoint.interval: expected a duration string');
  });

  it('out-of-range values name the TOML key, not the TypeScript option', () => {
    expect(errorOf(`${TWO_TIER}\n[compaction.hot_to_cold]\ntrigger_fraction = 1.5\n`).message)
      .toBe('config.toml: compaction.hot_to_cold.trigger_fraction: must be a number in (0, 1], got 1.5');
    expect(errorOf(`${TWO_TIER}\n[compaction.cold_to_cold]\ncompact_fraction = 0\n`).message)
      .toBe('config.toml: compaction.cold_to_cold.compact_fraction: must be a number in (0, 1], got 0');
    expect(errorOf(`${TWO_TIER}\n[hot.read_cache]\nmemory_size = "64MiB"\n`).message)
      .toBe('config.toml: hot.read_cache.memory_size: must not exceed hot.log.memory_size (8388608 bytes), got 67108864');
    expect(errorOf(`${TWO_TIER}\n[cold.index]\nchunk_size = "8KiB"\n`).message)
      .toBe('config.toml: cold.index.chunk_size: must be a power of two from 64 B to 4 KiB, got 8192');
    expect(errorOf(`${TWO_TIER}\n[cold.log]\npage_size = "4MiB"\nmemory_size = "8MiB"\n`).message)
      .toBe('config.toml: cold.log.memory_size: must hold at least three pages (12582912 bytes with cold.log.page_size 4194304), got 8388608');
    // A one-tier store: the same TOML keys, other TypeScript paths (index.buckets, compaction.maxLogSize).
    expect(errorOf('[hot.index]\nbuckets = 1000').message).toBe('config.toml: hot.index.buckets: must be a power of two between 1 and 2^28, got 1000');
    expect(errorOf('[hot.log]\npage_size = "64KiB"\n[compaction.hot]\nenabled = true\nmax_log_size = "128KiB"').message)
      .toBe('config.toml: compaction.hot.max_log_size: must be at least four pages (262144 bytes), got 131072');
    expect(errorOf('[checkpoint]\nkeep = 0').message).toBe('config.toml: checkpoint.keep: must be a whole number >= 1, got 0');
    expect(errorOf(`${TWO_TIER}\n[prices]\nget = -1\n`).message).toBe('config.toml: prices.get: must be a price in dollars per 1,000 requests (>= 0), got -1');
    expect(errorOf('[object_store.s3]\nconcurrency = 0').message).toBe('config.toml: object_store.s3.concurrency: must be ≥ 1, got 0');
    expect(errorOf('[metrics]\nport = 70000').message).toContain('config.toml: metrics.port: must be a TCP port from 0 to 65535');
    expect(errorOf('[log]\nlevel = "loud"').message).toBe('config.toml: log.level: must be one of fatal, error, warn, info, debug, trace, silent, got loud');
    expect(errorOf('[checkpoint]\ninterval = "100ms"').message).toContain('config.toml: checkpoint.interval: must be at least "1s"');
  });

  it('unknown keys and tables suggest the nearest known key', () => {
    expect(errorOf('[hot.log]\npage_sise = "1MiB"').message).toMatch(/^config\.toml: hot\.log\.page_sise: unknown option; did you mean "page_size"\? \(known options of hot\.log are: device, memory_size, page_size/);
    expect(errorOf('[object_store.s3]\nendpont = "http://127.0.0.1:9000"').message).toMatch(/^config\.toml: object_store\.s3\.endpont: unknown option; did you mean "endpoint"\?/);
    expect(errorOf('[hot.readcache]\nenabled = true').message).toMatch(/^config\.toml: hot\.readcache: unknown option; did you mean "read_cache"\?/);
    expect(errorOf('[compaction.hotToCold]\nenabled = true').message).toMatch(/^config\.toml: compaction\.hotToCold: unknown option; did you mean "hot_to_cold"\?/);
    expect(errorOf('[cold]\nurl = "file:///x"\n[checkpoint]\nurl = "file:///y"\nmode = "snapshot"').message)
      .toBe('config.toml: checkpoint.mode: a two-tier store always checkpoints its hot tier as a snapshot beside the cold tier; remove this key');
    expect(errorOf('[compaction.hot_to_cold]\nenabled = true').message).toContain('config.toml: compaction.hot_to_cold: there is no cold tier without a [cold] table');
    expect(errorOf('[durability]\nmod = "commit"').message).toMatch(/^config\.toml: durability\.mod: unknown option; did you mean "mode"\?/);
    expect(errorOf('[durability]\nmode = "sync"').message).toBe('config.toml: durability.mode: must be "commit" or "checkpoint", got "sync"');
  });

  it('an unknown URL scheme, a malformed URL, a missing required URL', () => {
    expect(errorOf('[cold]\nurl = "gs://bucket/x"\n[checkpoint]\nurl = "file:///y"').message)
      .toBe('config.toml: cold.url: "gs://bucket/x": unsupported scheme "gs"; use memory, file, s3 or az');
    expect(errorOf('[hot.log]\ndevice = "ftp://host/x"').message).toContain('config.toml: hot.log.device: "ftp://host/x": unsupported scheme "ftp"');
    expect(errorOf('[checkpoint]\nurl = "s3://Bad_Bucket/x"').message).toContain('config.toml: checkpoint.url: "s3://Bad_Bucket/x": bucket "Bad_Bucket" is not a valid S3 bucket name');
    expect(errorOf('[cold]\nurl = "file:///x"').message).toMatch(/^config\.toml: checkpoint\.url: is required/);
    expect(errorOf('[object_store.s3]\nendpoint = "127.0.0.1:9000"').message).toContain('config.toml: object_store.s3.endpoint: expected an http:// or https:// URL');
  });

  it('a ${VAR} reference to an unset variable', () => {
    expect(errorOf('[object_store.az]\nconnection_string = "${AZURE_STORAGE_CONNECTION_STRING}"').message)
      .toBe('config.toml: object_store.az.connection_string: environment variable AZURE_STORAGE_CONNECTION_STRING is not set; set it or write ${AZURE_STORAGE_CONNECTION_STRING:-default}');
    expect(errorOf('[cold]\nurl = "s3://${BUCKET}/cold"\n[checkpoint]\nurl = "file:///y"').message).toContain('config.toml: cold.url: environment variable BUCKET is not set');
    expect(errorOf('[object_store.s3]\nregion = "${1BAD}"').message).toContain('config.toml: object_store.s3.region: "${1BAD}" is not an environment variable reference');
    expect(errorOf('[object_store.s3]\nregion = "${AWS_REGION"').message).toContain('config.toml: object_store.s3.region: "${" is not closed');
  });

  it('static S3 credentials need both halves', () => {
    expect(errorOf('[object_store.s3]\naccess_key_id = "${K}"', { K: 'AKIA' }).message)
      .toBe('config.toml: object_store.s3.secret_access_key: static credentials need both access_key_id and secret_access_key (or neither, for the standard AWS credential chain)');
  });

  it('nothing is created on disk, even for a valid file', () => {
    const dir = tempDir();
    const path = join(dir, 'config.toml');
    writeFileSync(path, `${TWO_TIER}\n[object_store.file]\ncreate_if_missing = true\n`);
    return loadConfig(path).then(() => {
      expect(existsSync(join(dir, 'data'))).toBe(false);
    });
  });
});

describe('mapping to the TypeScript options', () => {
  it('a file with [cold] is an F2Kv; sizes, durations, counts, relative URLs and ${ENV} are mapped', () => {
    const c = parseConfig(`
[hot.index]
buckets = 1_024
[hot.log]
device = "file://./data/hot"
memory_size = "8MiB"
page_size = "64KiB"
[hot.read_cache]
memory_size = "1MiB"
[cold]
url = "s3://\${BUCKET}/app/cold"
[cold.index]
expected_keys = 100_000_000
[compaction.hot_to_cold]
trigger_fraction = 0.5
[compaction.cold_to_cold]
max_log_size = "1GiB"
[checkpoint]
url = "file://../backups"
interval = "1h30m"
keep = 2
recover = false
[object_store.s3]
endpoint = "\${ENDPOINT:-http://127.0.0.1:9000}"
region = "\${AWS_REGION:-}"
path_style = true
timeout = "2s"
max_attempts = "\${ATTEMPTS}"
access_key_id = "\${KEY_ID}"
secret_access_key = "\${SECRET}"
[prices]
put = 0.0065
`, 'config.toml', { baseDir: '/srv/f2kv', env: { BUCKET: 'data-bucket', KEY_ID: 'AKIA1', SECRET: 's3cr3t', ATTEMPTS: '7' } });
    expect(c.store.kind).toBe('f2');
    expect(c.store.options).toEqual({
      hot: { index: { buckets: 1024 }, log: { device: 'file:///srv/f2kv/data/hot', memorySize: '8MiB', pageSize: '64KiB' }, readCache: { memorySize: '1MiB' } },
      cold: {
        url: 's3://data-bucket/app/cold',
        index: { expectedKeys: 100_000_000 },
        store: { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, timeoutMs: 2000, maxAttempts: 7, credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's3cr3t' } },
      },
      compaction: { hotToCold: { triggerFraction: 0.5 }, coldToCold: { maxLogSize: '1GiB' } },
      checkpoint: { url: 'file:///srv/backups', keep: 2, intervalMs: 5_400_000 },
      recover: false,
      prices: { put: 0.0065 },
    });
    expect(c.checkpointIntervalMs).toBe(5_400_000);
    expect(c.warnings).toEqual([]);
    if (c.store.kind !== 'f2') throw new Error('unreachable');
    expect(c.store.resolved.hot.readCache.memorySize).toBe(1024 * 1024);
    expect(c.store.resolved.prices.put).toBe(0.0065);
  });

  it('a file without [cold] is a FasterKv', () => {
    const c = parseConfig('[hot.log]\nmemory_size = "4MiB"\npage_size = "64KiB"\n[compaction.hot]\nenabled = true\nmode = "scan"\n[checkpoint]\nurl = "memory://ck"\nkeep = 1', 'a.toml');
    expect(c.store.kind).toBe('faster');
    expect(c.store.options).toEqual({ log: { memorySize: '4MiB', pageSize: '64KiB' }, compaction: { enabled: true, mode: 'scan' }, checkpoint: { url: 'memory://ck', keep: 1 } });
    expect(c.log).toEqual({ level: process.env['F2KV_LOG_LEVEL'] ?? 'warn', destination: { kind: 'stderr' } });
    expect(c.metrics).toEqual({ enabled: false, port: 9464, path: '/metrics', prefix: 'f2kv_' });
    expect(c.checkpointIntervalMs).toBeUndefined();
  });

  it('an empty file is an in-memory FasterKv with every default', () => {
    const c = parseConfig('', 'empty.toml');
    expect(c.store.kind).toBe('faster');
    expect(c.store.options).toEqual({});
  });

  it('[log] and [metrics] are validated and kept', () => {
    const c = parseConfig('[log]\nlevel = "debug"\ndestination = "logs/f2kv.log"\n[metrics]\nenabled = true\nport = 0\npath = "/m"\nprefix = "app_f2kv_"', 'x.toml', { baseDir: '/srv' });
    expect(c.log).toEqual({ level: 'debug', destination: { kind: 'file', path: '/srv/logs/f2kv.log' } });
    expect(c.metrics).toEqual({ enabled: true, port: 0, path: '/m', prefix: 'app_f2kv_' });
  });

  it('a literal secret is accepted with a warning naming the file and key, never the value', () => {
    const c = parseConfig('[object_store.az]\naccount_name = "acct"\naccount_key = "bGl0ZXJhbC1rZXk="', 'prod.toml');
    expect(c.warnings).toEqual(['prod.toml: object_store.az.account_key: is a literal secret in the configuration file; prefer a ${ENV_VAR} reference (or the standard credential chain)']);
    expect(c.warnings.join()).not.toContain('bGl0ZXJhbC1rZXk=');
    expect(parseConfig('[object_store.az]\nconnection_string = "UseDevelopmentStorage=true"', 'dev.toml').warnings).toEqual([]);
  });
});

describe('describeConfig', () => {
  const env = { SECRET: 'wJalrXUtnFEMI/K7MDENG', KEY_ID: 'AKIAEXAMPLE', CONN: 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=c2VjcmV0;' };
  const withInterval = `${TWO_TIER.replace('url = "file://./data/checkpoints"', 'url = "file://./data/checkpoints"\ninterval = "45s"')}
[object_store.s3]
endpoint = "http://127.0.0.1:9000"
access_key_id = "\${KEY_ID}"
secret_access_key = "\${SECRET}"
timeout = "1m30s"
[object_store.az]
connection_string = "\${CONN}"
`;

  function roundTrip(c: StoreConfig, format: 'toml' | 'json'): StoreConfig {
    const out = describeConfig(c, { format });
    const again = format === 'json' ? JSON.parse(out) as unknown : undefined;
    expect(out).not.toContain(env.SECRET);
    expect(out).not.toContain(env.KEY_ID);
    expect(out).not.toContain('c2VjcmV0');
    expect(out).toContain('[redacted]');
    return format === 'toml' ? parseConfig(out, 'described.toml', { baseDir: '/' }) : (again as StoreConfig);
  }

  it('renders every effective value in TOML that reads back to the same store, secrets redacted', () => {
    const c = parseConfig(withInterval, 'config.toml', { baseDir: '/srv/f2kv', env });
    const toml = describeConfig(c);
    expect(toml).toContain('[compaction.cold_to_cold]\nenabled = true\nmax_log_size = "8GiB"');
    expect(toml).toContain('interval = "45s"');
    expect(toml).toContain('timeout = "1m30s"');
    expect(toml).toContain('device = "file:///srv/f2kv/data/hot"');
    const again = roundTrip(c, 'toml');
    if (c.store.kind !== 'f2' || again.store.kind !== 'f2') throw new Error('expected F2Kv configurations');
    const [before, after] = [c.store.resolved, again.store.resolved];
    expect(after.hot).toEqual(before.hot);
    expect({ ...after.cold, store: undefined }).toEqual({ ...before.cold, store: undefined });
    expect(again.tree['object_store']).toEqual({
      s3: { endpoint: 'http://127.0.0.1:9000', access_key_id: '[redacted]', secret_access_key: '[redacted]', timeout: 90_000 },
      az: { connection_string: '[redacted]' },
    });
    expect(after.checkpoint).toEqual(before.checkpoint);
    expect(after.prices).toEqual(before.prices);
    expect(after.recover).toBe(before.recover);
    expect(again.checkpointIntervalMs).toBe(45_000);
    expect(again.warnings.length).toBeGreaterThan(0); // "[redacted]" reads as a literal secret
  });

  it('renders JSON with the same tables', () => {
    const c = parseConfig(withInterval, 'config.toml', { baseDir: '/srv/f2kv', env });
    const json = roundTrip(c, 'json') as unknown;
    expect(json).toEqual(JSON.parse(JSON.stringify(redactedConfig(c))));
    expect((json as { object_store: { s3: { secret_access_key: string } } }).object_store.s3.secret_access_key).toBe('[redacted]');
  });

  it('a FasterKv reads back the same', () => {
    const c = parseConfig('[hot.log]\nmemory_size = "4MiB"\npage_size = "64KiB"\n[compaction.hot]\nenabled = true\n[checkpoint]\nurl = "memory://x"\ninterval = "10s"', 'a.toml');
    const again = parseConfig(describeConfig(c), 'b.toml');
    expect(again.store.resolved).toEqual(c.store.resolved);
    expect(again.checkpointIntervalMs).toBe(10_000);
  });
});
