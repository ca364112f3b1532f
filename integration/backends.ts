/** Helpers shared by the integration tests: the injected backends and per-test prefixes. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { ObjectStore } from '../src/devices/object-store.js';
import { openObjectStore, type OpenObjectStoreOptions } from '../src/devices/open-object-store.js';
import type { S3Endpoint } from './servers.js';

export const RUN_PREFIX = `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let counter = 0;

/** A fresh prefix for one test's store. */
export function freshPrefix(label: string): string {
  return `${RUN_PREFIX}/${label}-${++counter}`;
}

/** Deletes everything a test left under its store. */
export async function emptyStore(store: ObjectStore): Promise<void> {
  const keys = await store.list('');
  if (keys.length > 0) await store.delete(keys);
}

/** Options to open a store on the harness's MinIO (path-style, its credentials), plus `extra`. */
export function minioStoreOptions(s3: S3Endpoint, extra: OpenObjectStoreOptions = {}): OpenObjectStoreOptions {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...extra,
  };
}

/**
 * For the enclosing describe block: a scratch directory made before its tests (read it with
 * `dir()`), and after them that directory removed and the store at `url` emptied.
 */
export function scratchDirAndStore(label: string, url: string, options: OpenObjectStoreOptions): { dir: () => string } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `f2kv-${label}-`));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    const store = await openObjectStore(url, options);
    await emptyStore(store);
    await store.close();
  });
  return { dir: () => dir };
}

/**
 * Registers `body` when the backend is up. A backend that is down fails the file, unless the
 * developer opted out explicitly with F2KV_ALLOW_MISSING_BACKENDS=1 (never honoured under CI): then
 * it shows up as a skipped test that names the reason.
 */
export function withBackend<K extends 's3' | 'azure'>(key: K, title: string, body: (info: Extract<ReturnType<typeof inject<K>>, { available: true }>['info']) => void): void {
  const backend = inject(key);
  if (backend.available) {
    describe(title, () => body(backend.info as Extract<ReturnType<typeof inject<K>>, { available: true }>['info']));
    return;
  }
  if (process.env['CI'] === 'true' || process.env['F2KV_ALLOW_MISSING_BACKENDS'] !== '1') {
    throw new Error(`${title}: backend unavailable: ${backend.reason} (install Go so the harness can build MinIO, or set F2KV_ALLOW_MISSING_BACKENDS=1 to skip it knowingly)`);
  }
  describe(title, () => {
    it.skip(`backend unavailable: ${backend.reason.split('\n')[0]}`, () => undefined);
  });
}
