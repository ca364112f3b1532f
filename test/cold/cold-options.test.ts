/**
 * ColdKv options: every rejected option is a ConfigError naming it by its full path, unknown keys
 * at every depth get the nearest known key as a hint, and a prefix holding the other tier's
 * manifests (hot vs cold) is refused in both directions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import { resolveColdOptions, type ColdKvOptions } from '../../src/cold/cold-options.js';
import { ConfigError } from '../../src/core/errors.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { FasterKv } from '../../src/hot/faster-kv.js';

/** Resolves options that are wrong on purpose and returns the ConfigError. */
function refused(options: unknown, prefix?: string): ConfigError {
  try {
    resolveColdOptions(options as ColdKvOptions, prefix);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(options)}`);
}

function expectRefused(options: unknown, option: string, pattern?: RegExp): ConfigError {
  const err = refused(options);
  expect(err.option).toBe(option);
  expect(err.message.startsWith(`${option}: `)).toBe(true);
  if (pattern) expect(err.message).toMatch(pattern);
  return err;
}

const URL = 'memory://cold-options';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('cold options', () => {
  it('accepts the defaults and every documented key', () => {
    const r = resolveColdOptions({ url: URL });
    expect(r.index.chunkSlots).toBe(32);
    expect(r.index.chunkCacheSize).toBe(64 * 1024 * 1024);
    expect(r.index.chunks * r.index.chunkSlots).toBeGreaterThanOrEqual(1_000_000);
    expect(() =>
      resolveColdOptions({
        url: 'file:///tmp/x',
        store: { timeoutMs: 1000 },
        index: { expectedKeys: 10_000, chunkSize: '4KiB', chunkCacheSize: '8MiB', chunkPageSize: '1MiB' },
        log: { memorySize: '16KiB', pageSize: '4KiB', blockSize: 512 },
        compaction: { enabled: false, maxLogSize: '1MiB', triggerFraction: 0.5, compactFraction: 0.5, maxBytesPerPass: '64KiB' },
        checkpoint: { keep: 1, onClose: false },
        recover: 'some-token',
      }),
    ).not.toThrow();
    expect(resolveColdOptions({ url: URL, index: { chunks: 1024, chunkSize: 64 } }).index).toMatchObject({ chunks: 1024, chunkSlots: 8 });
  });

  it('refuses a chunk size that is not a power of two or outside 64 B..4 KiB', () => {
    for (const size of [100, 96, '3KiB', 32, 8, 8192, '8KiB', 0]) {
      expectRefused({ url: URL, index: { chunkSize: size } }, 'index.chunkSize', /power of two from 64 B to 4 KiB/);
    }
    for (const size of [64, 128, '256B', 1024, '4KiB']) {
      expect(() => resolveColdOptions({ url: URL, index: { chunkSize: size, chunkCacheSize: '64MiB' } })).not.toThrow();
    }
  });

  it('refuses zero, negative and fractional expectedKeys', () => {
    for (const n of [0, -1, -1_000_000, 1.5, Number.NaN, '1000']) {
      expectRefused({ url: URL, index: { expectedKeys: n } }, 'index.expectedKeys', /whole number >= 1/);
    }
  });

  it('refuses both chunks and expectedKeys, and chunks that are not a power of two', () => {
    expectRefused({ url: URL, index: { chunks: 1024, expectedKeys: 10_000 } }, 'index.chunks', /either index\.chunks or index\.expectedKeys/);
    expectRefused({ url: URL, index: { chunks: 1000 } }, 'index.chunks', /power of two/);
    expectRefused({ url: URL, index: { chunks: 0 } }, 'index.chunks', /power of two/);
  });

  it('refuses a chunk cache smaller than eight chunk pages', () => {
    // Chunk pages are at least 4 KiB, so 32 KiB is the smallest cache.
    const err = expectRefused({ url: URL, index: { chunkCacheSize: '16KiB' } }, 'index.chunkCacheSize', /at least eight chunk pages/);
    expect(err.message).toContain('32768');
    expect(() => resolveColdOptions({ url: URL, index: { chunkCacheSize: '32KiB' } })).not.toThrow();
    // With an explicit chunk page size, eight of those pages.
    expectRefused({ url: URL, index: { chunkCacheSize: '1MiB', chunkPageSize: '256KiB' } }, 'index.chunkCacheSize', /2097152/);
    expectRefused({ url: URL, index: { chunkPageSize: 3000 } }, 'index.chunkPageSize', /power of two/);
  });

  it('names unknown keys by their full path with the nearest key, at every depth', () => {
    const cases: Array<[unknown, string, string | undefined]> = [
      [{ url: URL, indx: {} }, 'indx', 'index'],
      [{ url: URL, recovr: true }, 'recovr', 'recover'],
      [{ url: URL, index: { chunkSzie: 256 } }, 'index.chunkSzie', 'chunkSize'],
      [{ url: URL, index: { expectedkeys: 10 } }, 'index.expectedkeys', 'expectedKeys'],
      [{ url: URL, index: { chunkCacheSzie: '1MiB' } }, 'index.chunkCacheSzie', 'chunkCacheSize'],
      [{ url: URL, log: { pagesize: 4096 } }, 'log.pagesize', 'pageSize'],
      [{ url: URL, log: { blockSzie: 4096 } }, 'log.blockSzie', 'blockSize'],
      [{ url: URL, compaction: { enable: true } }, 'compaction.enable', 'enabled'],
      [{ url: URL, checkpoint: { kepe: 2 } }, 'checkpoint.kepe', 'keep'],
      [{ url: 's3://b/p', store: { endpont: 'http://127.0.0.1:9000' } }, 'store.endpont', 'endpoint'],
      [{ url: 's3://b/p', store: { regoin: 'eu-west-1' } }, 'store.regoin', 'region'],
      [{ url: 'az://c/p', store: { conectionString: 'x' } }, 'store.conectionString', 'connectionString'],
      [{ url: 's3://b/p', store: { credentials: { accessKeyID: 'a', secretAccessKey: 's' } } }, 'store.credentials.accessKeyID', 'accessKeyId'],
      [{ url: URL, index: { somethingElse: 1 } }, 'index.somethingElse', undefined],
    ];
    for (const [options, path, near] of cases) {
      const err = refused(options);
      expect(err.option, JSON.stringify(options)).toBe(path);
      expect(err.message.startsWith(`${path}: unknown option`)).toBe(true);
      if (near === undefined) expect(err.message).not.toMatch(/did you mean/);
      else expect(err.message).toContain(`did you mean "${near}"?`);
    }
  });

  it('prefixes option names with the section inside an F2Kv ("cold.")', () => {
    expect(refused({ url: URL, index: { chunkSzie: 256 } }, 'cold.').option).toBe('cold.index.chunkSzie');
    expect(refused({ url: URL, index: { chunkSize: 100 } }, 'cold.').option).toBe('cold.index.chunkSize');
    expect(refused({ url: 's3://b/p', store: { endpont: 'x' } }, 'cold.').option).toBe('cold.store.endpont');
    expect(refused({ url: 'ftp://x' }, 'cold.').option).toBe('cold.url');
  });

  it('refuses a missing URL or a bad URL scheme', () => {
    for (const url of ['ftp://host/dir', 'http://127.0.0.1:9000/b', '/var/lib/f2kv', 'memory:', '', 'S3:/b', undefined, 42]) {
      expectRefused({ url }, 'url', /object store URL/);
    }
  });

  it('refuses sections that are not objects and other bad values', () => {
    expectRefused({ url: URL, index: 'big' }, 'index', /must be an object/);
    expectRefused({ url: URL, store: 5 }, 'store', /must be an object/);
    expectRefused({ url: URL, log: { pageSize: 1000 } }, 'log.pageSize', /power of two/);
    expectRefused({ url: URL, log: { pageSize: '4KiB', memorySize: '8KiB' } }, 'log.memorySize', /three pages/);
    expectRefused({ url: URL, log: { blockSize: 256 } }, 'log.blockSize');
    expectRefused({ url: URL, compaction: { triggerFraction: 0 } }, 'compaction.triggerFraction');
    expectRefused({ url: URL, compaction: { enabled: 'yes' } }, 'compaction.enabled');
    expectRefused({ url: URL, checkpoint: { keep: 0 } }, 'checkpoint.keep');
    expectRefused({ url: URL, recover: 3 }, 'recover');
    expect(refused(null).option).toBe('options');
  });

  it('ColdKv.open rejects bad options with the same ConfigError', async () => {
    await expect(ColdKv.open({ url: URL, index: { chunkSzie: 256 } } as unknown as ColdKvOptions)).rejects.toMatchObject({
      name: expect.any(String),
      option: 'index.chunkSzie',
    });
    await expect(ColdKv.open({ url: 'ftp://x' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('hot and cold manifests do not mix', () => {
  it('refuses a ColdKv over a prefix holding a hot store checkpoint (memory://)', async () => {
    MemoryObjectStore.drop('hot-prefix');
    const hot = await FasterKv.open({ checkpoint: { url: 'memory://hot-prefix' } });
    const s = hot.startSession();
    await s.upsert('k', 'v');
    await hot.checkpoint();
    await hot.close();
    const err = await ColdKv.open({ url: 'memory://hot-prefix' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe('url');
    expect((err as ConfigError).message).toMatch(/holds the manifests of a hot store .*not of a cold store/);
    // Nothing was written by the refused open: the hot store still recovers.
    const again = await FasterKv.open({ checkpoint: { url: 'memory://hot-prefix' } });
    expect(new TextDecoder().decode(await again.startSession().read('k'))).toBe('v');
    await again.close();
    MemoryObjectStore.drop('hot-prefix');
  });

  it('refuses a FasterKv whose checkpoint.url is a cold prefix (memory://)', async () => {
    MemoryObjectStore.drop('cold-prefix');
    const cold = await ColdKv.open({ url: 'memory://cold-prefix', index: { expectedKeys: 1000, chunkCacheSize: '1MiB' } });
    await cold.startSession().upsert('k', 'v');
    await cold.checkpoint();
    await cold.close();
    const err = await FasterKv.open({ checkpoint: { url: 'memory://cold-prefix' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/holds the manifests of a cold store .*not of a hot store/);
    const again = await ColdKv.open({ url: 'memory://cold-prefix', index: { expectedKeys: 1000, chunkCacheSize: '1MiB' } });
    expect(new TextDecoder().decode(await again.startSession().read('k'))).toBe('v');
    await again.close();
    MemoryObjectStore.drop('cold-prefix');
  });

  it('refuses both directions on file:// too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-cold-options-'));
    dirs.push(dir);
    const hotUrl = pathToFileURL(join(dir, 'hot')).href;
    const coldUrl = pathToFileURL(join(dir, 'cold')).href;
    const hot = await FasterKv.open({ checkpoint: { url: hotUrl } });
    await hot.startSession().upsert('k', 'v');
    await hot.checkpoint();
    await hot.close();
    await expect(ColdKv.open({ url: hotUrl })).rejects.toBeInstanceOf(ConfigError);

    const cold = await ColdKv.open({ url: coldUrl, index: { expectedKeys: 1000, chunkCacheSize: '1MiB' } });
    await cold.startSession().upsert('k', 'v');
    await cold.close();
    await expect(FasterKv.open({ checkpoint: { url: coldUrl } })).rejects.toBeInstanceOf(ConfigError);
  });
});
