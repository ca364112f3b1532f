import { describe, expect, it } from 'vitest';
import { ConfigError, FasterKv, openObjectStore, openStorageDevice } from '../../src/index.js';
import { checkOptionKeys, editDistance, nearestKey } from '../../src/core/option-keys.js';
import { resolveOptions, type FasterKvOptions } from '../../src/kv/options.js';

/** Resolves options that are wrong on purpose, returning the ConfigError. */
function refused(options: unknown): ConfigError {
  try {
    resolveOptions(options as FasterKvOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('option keys', () => {
  it('measures edit distance with adjacent swaps', () => {
    expect(editDistance('endpoint', 'endpoint')).toBe(0);
    expect(editDistance('endpont', 'endpoint')).toBe(1);
    expect(editDistance('ednpoint', 'endpoint')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestKey('pagesize', ['pageSize', 'memorySize'])).toBe('pageSize');
    expect(nearestKey('zzzzzz', ['pageSize', 'memorySize'])).toBeUndefined();
  });

  it('names the full path and the nearest key at every depth', () => {
    const cases: Array<[unknown, string, string | undefined]> = [
      [{ lgo: {} }, 'lgo', 'log'],
      [{ log: { pagesize: 4096 } }, 'log.pagesize', 'pageSize'],
      [{ log: { memroySize: '1MiB' } }, 'log.memroySize', 'memorySize'],
      [{ index: { bucket: 1024 } }, 'index.bucket', 'buckets'],
      [{ readCache: { memorysize: '1MiB' } }, 'readCache.memorysize', 'memorySize'],
      [{ compaction: { enable: true } }, 'compaction.enable', 'enabled'],
      [{ checkpoint: { url: 'memory://', kepe: 2 } }, 'checkpoint.kepe', 'keep'],
      [{ checkpoint: { url: 's3://b/p', store: { endpont: 'http://127.0.0.1:9000' } } }, 'checkpoint.store.endpont', 'endpoint'],
      [{ checkpoint: { url: 's3://b/p', store: { regoin: 'eu-west-1' } } }, 'checkpoint.store.regoin', 'region'],
      [{ checkpoint: { url: 's3://b/p', store: { timeoutMS: 10 } } }, 'checkpoint.store.timeoutMS', 'timeoutMs'],
      [{ checkpoint: { url: 'az://c/p', store: { conectionString: 'x' } } }, 'checkpoint.store.conectionString', 'connectionString'],
      [
        { checkpoint: { url: 's3://b/p', store: { credentials: { accessKeyID: 'a', secretAccessKey: 's' } } } },
        'checkpoint.store.credentials.accessKeyID',
        'accessKeyId',
      ],
      [{ checkpoint: { url: 's3://b/p', store: { somethingElse: 1 } } }, 'checkpoint.store.somethingElse', undefined],
    ];
    for (const [options, path, near] of cases) {
      const err = refused(options);
      expect(err.option).toBe(path);
      expect(err.message.startsWith(`${path}: unknown option`)).toBe(true);
      if (near === undefined) expect(err.message).not.toMatch(/did you mean/);
      else expect(err.message).toContain(`did you mean "${near}"?`);
    }
  });

  it('accepts S3 credentials the AWS SDK has annotated ($source) or resolved (expiration)', () => {
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b', expiration: new Date(), $source: {} };
    expect(() => resolveOptions({ checkpoint: { url: 's3://b/p', store: { credentials } } })).not.toThrow();
  });

  it('refuses sections that are not objects', () => {
    expect(refused({ log: 'file:///x' }).message).toMatch(/^log: must be an object/);
    expect(refused({ checkpoint: { store: [] } }).message).toMatch(/^checkpoint\.store: must be an object/);
    expect(refused(null).option).toBe('options');
  });

  it('accepts every documented key and a credentials provider function', () => {
    expect(() =>
      resolveOptions({
        index: { buckets: 1024, autoGrow: false, maxLoad: 0.5 },
        log: { device: 'memory://', memorySize: '1MiB', pageSize: 4096, mutableFraction: 1, segmentSize: 4096 },
        readCache: { enabled: true, memorySize: '64KiB', pageSize: 4096 },
        compaction: { enabled: false, maxLogSize: '1MiB', triggerFraction: 0.8, compactFraction: 0.2, maxBytesPerPass: 1, mode: 'scan' },
        checkpoint: {
          url: 's3://b/p',
          mode: 'snapshot',
          keep: 2,
          onClose: false,
          store: { endpoint: 'http://127.0.0.1:9', region: 'x', timeoutMs: 5, credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) },
        },
        recover: false,
      }),
    ).not.toThrow();
  });

  it('a misspelled endpoint never reaches a cloud endpoint: FasterKv.open and openObjectStore refuse before any request', async () => {
    const err = await FasterKv.open({ checkpoint: { url: 's3://bucket/p', store: { endPoint: 'http://127.0.0.1:9000' } as never } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^checkpoint\.store\.endPoint: unknown option; did you mean "endpoint"\?/);
    const direct = await openObjectStore('s3://bucket/p', { endpont: 'http://127.0.0.1:9000' } as never).catch((e: unknown) => e);
    expect((direct as ConfigError).option).toBe('endpont');
    const device = await openStorageDevice('s3://bucket/p', { objectSise: '1MiB' } as never).catch((e: unknown) => e);
    expect((device as ConfigError).message).toMatch(/did you mean "objectSize"/);
  });

  it('is reusable for another options section', () => {
    expect(() => checkOptionKeys('cold.index', { chunkSise: 1 }, ['chunkSize', 'tableSize'])).toThrow(/^cold\.index\.chunkSise: unknown option; did you mean "chunkSize"\?/);
  });
});
