/**
 * Regression tests for src/cold defects first found by cold-corruption.test.ts: a deleted object
 * before open, the object key of a damaged table, and GET accounting under concurrent reads.
 */
import { mkdtempSync, readdirSync, rmSync, unlinkSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import type { ColdKvOptions } from '../../src/cold/cold-options.js';
import { CorruptionError } from '../../src/core/errors.js';

const KEYS = 1500;
const keyOf = (i: number): string => `key-${i.toString().padStart(6, '0')}`;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(dir: string, recover: boolean | string): ColdKvOptions {
  return {
    url: pathToFileURL(dir).href,
    index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '32KiB' },
    log: { pageSize: '4KiB', memorySize: '16KiB' },
    compaction: { enabled: false },
    checkpoint: { keep: 3, onClose: false },
    recover,
  };
}

async function load(): Promise<{ dir: string; token: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'f2kv-cold-bugs-'));
  dirs.push(dir);
  const store = await ColdKv.open(options(dir, false));
  const s = store.startSession();
  for (let i = 0; i < KEYS; i++) await s.upsert(keyOf(i), `value-${i}-${'x'.repeat(30)}`);
  const token = await store.checkpoint();
  await store.close();
  return { dir, token };
}

async function errorsOfAllReads(store: ColdKv): Promise<unknown[]> {
  const s = store.startSession();
  const errors: unknown[] = [];
  for (let i = 0; i < KEYS; i++) await s.read(keyOf(i)).catch((e: unknown) => errors.push(e));
  return errors;
}

describe('src/cold defects', () => {
  it('a log or chunk object deleted before open gives CorruptionError, not RangeError', async () => {
    for (const prefix of ['chunks', 'log']) {
      const { dir } = await load();
      const objects = readdirSync(join(dir, prefix)).sort();
      // The newest objects but the tail one hold live chunks / records.
      const victim = objects[objects.length - 3]!;
      unlinkSync(join(dir, prefix, victim));
      const store = await ColdKv.open(options(dir, true));
      const errors = await errorsOfAllReads(store);
      await store.close();
      expect(errors.length, `${prefix}/${victim}`).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e, `${prefix}/${victim}: ${String(e)}`).toBeInstanceOf(CorruptionError);
      }
    }
  });

  it('a damaged checkpoint table: CorruptionError.object is the object key', async () => {
    const { dir, token } = await load();
    const key = `checkpoints/${token}/table.bin`;
    const fd = openSync(join(dir, key), 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 32 + 40);
    b[0] = b[0]! ^ 0x40;
    writeSync(fd, b, 0, 1, 32 + 40);
    closeSync(fd);
    const err = await ColdKv.open(options(dir, true)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).object).toBe(key);
  });
});

describe('src/cold read accounting', () => {
  it('getsPerRead counts each chunk GET once when reads overlap', async () => {
    const { dir } = await load();
    const store = await ColdKv.open(options(dir, true));
    const before = store.stats();
    const s = store.startSession();
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 256; i++) reads.push(s.read(keyOf(i * 5)));
    await Promise.all(reads);
    const after = store.stats();
    const gets = after.requests.byKind.GET.requests - before.requests.byKind.GET.requests;
    const counted = after.readGets.chunk + after.readGets.record - before.readGets.chunk - before.readGets.record;
    await store.close();
    // Chunk misses by concurrent reads are added to every read that awaited meanwhile.
    expect(counted).toBeLessThanOrEqual(gets);
  });
});
