/** A failed FasterKv.open leaves nothing behind: the directories it created are gone, and its lock. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointNotFoundError, ConfigError, F2Error, FasterKv, type FasterKvOptions } from '../../src/index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-failed-open-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const small = (dir: string, more: FasterKvOptions = {}): FasterKvOptions => ({
  ...more,
  log: { device: `file://${dir}`, memorySize: 8192, pageSize: 4096 },
  index: { buckets: 64 },
});

describe('a failed open leaves nothing behind', () => {
  it('removes the log directory it created when a late option fails (recover: unknown token)', async () => {
    const parent = tmp();
    const dir = join(parent, 'hot');
    await expect(FasterKv.open(small(dir, { recover: 'no-such-token' }))).rejects.toBeInstanceOf(CheckpointNotFoundError);
    expect(readdirSync(parent)).toEqual([]);
    // And the directory is free: a correct open succeeds.
    const store = await FasterKv.open(small(dir));
    await store.close();
  });

  it('removes the log directory it created when the checkpoint store is unreachable', async () => {
    const parent = tmp();
    const dir = join(parent, 'hot');
    const err = await FasterKv.open(
      small(dir, {
        checkpoint: {
          url: 's3://bucket/prefix',
          store: { endpoint: 'http://127.0.0.1:9', maxAttempts: 1, timeoutMs: 2000, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
        },
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(F2Error);
    expect((err as Error).message).toContain('127.0.0.1:9');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('keeps a directory that existed (and its contents), releasing the lock; removes a checkpoint directory it created', async () => {
    const parent = tmp();
    const dir = join(parent, 'hot');
    mkdirSync(dir);
    const ckpt = join(parent, 'elsewhere', 'deep', 'ckpt');
    const options = small(dir, { checkpoint: { url: `file://${ckpt}`, store: { createIfMissing: true } }, recover: 'nope' });
    await expect(FasterKv.open(options)).rejects.toBeInstanceOf(CheckpointNotFoundError);
    expect(readdirSync(parent)).toEqual(['hot']);
    expect(readdirSync(dir).filter((n) => n.startsWith('LOCK.'))).toEqual([]);
    expect(existsSync(join(parent, 'elsewhere'))).toBe(false);
  });

  it('a bad checkpoint store option found while opening it is named by its full path, and the directory is removed', async () => {
    const parent = tmp();
    const dir = join(parent, 'hot');
    const err = await FasterKv.open(small(dir, { checkpoint: { url: 's3://bucket/p', store: { endpoint: 'not a url' } } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe('checkpoint.store.endpoint');
    expect((err as Error).message).toMatch(/^checkpoint\.store\.endpoint: "not a url" is not a URL/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a ConfigError found before anything is opened creates nothing', async () => {
    const parent = tmp();
    const dir = join(parent, 'hot');
    await expect(FasterKv.open({ ...small(dir), compaction: { enabeld: true } } as FasterKvOptions)).rejects.toThrow(/compaction\.enabeld: unknown option; did you mean "enabled"\?/);
    expect(readdirSync(parent)).toEqual([]);
  });
});
