/**
 * Periodic checkpoints (checkpoint.intervalMs) of FasterKv, ColdKv and F2Kv: the store takes
 * checkpoints by itself, skips ticks when nothing changed, counts failures without throwing,
 * stops on close and when fenced, and a crash (abandon()) then recovery restores the state of
 * the last periodic checkpoint. Intervals are short real timers (tens of milliseconds).
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ColdKv, ConfigError, F2Kv, FasterKv } from '../../src/index.js';
import type { ColdKvOptions, F2KvOptions, FasterKvOptions } from '../../src/index.js';
import { listAll, readText, uniqueName, until } from '../helpers/fencing.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-periodic-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hotOptions(dir: string, checkpoint: FasterKvOptions['checkpoint'] = {}): FasterKvOptions {
  return {
    index: { buckets: 256 },
    log: { device: pathToFileURL(join(dir, 'hot')).href, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.5 },
    checkpoint: { url: pathToFileURL(join(dir, 'ckpt')).href, fenceCheckIntervalMs: 0, ...checkpoint },
  };
}

describe('FasterKv periodic checkpoints', () => {
  it('checkpoints by itself, skips unchanged ticks, and a crash recovers the last periodic checkpoint', async () => {
    const dir = tmp();
    const a = await FasterKv.open(hotOptions(dir, { intervalMs: 30 }));
    const periodic = () => a.stats().checkpoints!.periodic;
    // A new store with nothing written: nothing to checkpoint.
    await sleep(120);
    expect(periodic()).toBe(0);
    const s = a.startSession('app');
    for (let i = 0; i < 400; i++) await s.upsert(`k${i}`, `a${i}`);
    await until(() => periodic() >= 1, 5000, 'a periodic checkpoint');
    // A barrier: a manual checkpoint runs after any periodic one in flight and covers every write.
    await a.checkpoint();
    const p0 = periodic();
    // Nothing changes: the ticks are skipped.
    await sleep(150);
    expect(periodic()).toBe(p0);
    // Writes in one synchronous run (no tick can fall in between), then the next tick checkpoints them.
    for (let i = 0; i < 200; i++) s.upsertSync(`k${i}`, `b${i}`);
    s.deleteSync('k399');
    await until(() => periodic() > p0, 5000, 'a periodic checkpoint of the new writes');
    const stats = a.stats().checkpoints!;
    expect(stats.failed).toBe(0);
    expect(stats.taken).toBe(stats.periodic + 1);
    const token = stats.lastToken;
    // Writes after the last periodic checkpoint, then a crash before the next tick.
    for (let i = 0; i < 50; i++) s.upsertSync(`k${i}`, `lost${i}`);
    s.upsertSync('new-after', 'lost');
    a.abandon();
    await a.directoryLock?.release();

    const b = await FasterKv.open(hotOptions(dir));
    expect(b.recoveredCheckpoint?.token).toBe(token);
    const t = b.continueSession('app');
    expect(t.serial).toBe(601);
    for (let i = 0; i < 399; i += 7) expect(await readText(t, `k${i}`)).toBe(i < 200 ? `b${i}` : `a${i}`);
    expect(await t.read('k399')).toBeUndefined();
    expect(await t.read('new-after')).toBeUndefined();
    await b.close();
  });

  it('a failing periodic checkpoint is logged and counted, never thrown, and the next tick succeeds', async () => {
    const dir = tmp();
    const a = await FasterKv.open(hotOptions(dir, { intervalMs: 20 }));
    const s = a.startSession();
    for (let i = 0; i < 100; i++) await s.upsert(`k${i}`, `v${i}`);
    // The checkpoint store becomes unusable: its directory is replaced by a plain file.
    const ckpt = join(dir, 'ckpt');
    renameSync(ckpt, `${ckpt}.away`);
    writeFileSync(ckpt, 'not a directory');
    await until(() => a.stats().checkpoints!.failed >= 2, 5000, 'failed periodic checkpoints');
    expect(a.stats().checkpoints!.periodic).toBe(0);
    expect(a.stats().checkpoints!.lastError).toBeTruthy();
    expect(a.isFenced).toBe(false);
    rmSync(ckpt);
    renameSync(`${ckpt}.away`, ckpt);
    await until(() => a.stats().checkpoints!.periodic >= 1, 5000, 'a periodic checkpoint after the store came back').catch((e: unknown) => {
      throw new Error(`${String(e)}; stats ${JSON.stringify(a.stats().checkpoints)}`);
    });
    await a.close();
    const b = await FasterKv.open(hotOptions(dir));
    expect(await readText(b.startSession(), 'k99')).toBe('v99');
    await b.close();
  });

  it('keeps checkpointing while writers run, without failures; close() stops the timer', async () => {
    const dir = tmp();
    const a = await FasterKv.open(hotOptions(dir, { intervalMs: 2 }));
    const s = a.startSession();
    const started = performance.now();
    let i = 0;
    while (performance.now() - started < 400 || a.stats().checkpoints!.periodic < 2) {
      await s.upsert(`k${i % 500}`, `v${i}`);
      if (++i % 50 === 0) await sleep(1);
    }
    const stats = a.stats().checkpoints!;
    expect(stats.failed).toBe(0);
    expect(stats.periodic).toBeGreaterThanOrEqual(2);
    await a.close();
    const url = pathToFileURL(join(dir, 'ckpt')).href;
    const objects = await listAll(url);
    await sleep(60);
    expect(await listAll(url)).toEqual(objects);
    const b = await FasterKv.open(hotOptions(dir));
    expect(await readText(b.startSession(), `k${(i - 1) % 500}`)).toBe(`v${i - 1}`);
    await b.close();
  });

  it('stops when the store is fenced', async () => {
    const url = `memory://${uniqueName('periodic-fenced')}`;
    const o = (intervalMs: number): FasterKvOptions => ({ log: { device: 'memory://', pageSize: 4096, memorySize: 32 * 4096 }, checkpoint: { url, intervalMs, fenceCheckIntervalMs: 0 } });
    const a = await FasterKv.open(o(20));
    const s = a.startSession();
    await s.upsert('x', '1');
    await until(() => a.stats().checkpoints!.periodic >= 1, 5000, 'a periodic checkpoint');
    await s.upsert('x', '2');
    const b = await FasterKv.open(o(0));
    const objects = await listAll(url);
    // The next tick's checkpoint finds the new owner's claim and fences the store.
    await until(() => a.isFenced, 5000, 'the periodic checkpoint to find the new owner');
    const failed = a.stats().checkpoints!.failed;
    await sleep(100);
    expect(a.stats().checkpoints!.failed).toBe(failed);
    expect(await listAll(url)).toEqual(objects);
    await a.close();
    await b.close();
  });
});

describe('ColdKv and F2Kv periodic checkpoints', () => {
  it('ColdKv: a crash recovers the last periodic checkpoint', async () => {
    const url = `memory://${uniqueName('periodic-cold')}`;
    const o = (intervalMs: number): ColdKvOptions => ({
      url,
      index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '32KiB' },
      log: { pageSize: '4KiB', memorySize: '16KiB' },
      checkpoint: { intervalMs, fenceCheckIntervalMs: 0 },
    });
    const a = await ColdKv.open(o(25));
    const s = a.startSession('app');
    for (let i = 0; i < 200; i++) await s.upsert(`k${i}`, `v${i}`);
    await until(() => a.stats().checkpoints.periodic >= 1, 5000, 'a periodic cold checkpoint');
    // Barrier (see the FasterKv test), then writes in one synchronous run, checkpointed by the next tick.
    await a.checkpoint();
    const p0 = a.stats().checkpoints.periodic;
    let sync = 0;
    for (let i = 200; i < 260; i++) if (s.upsertSync(`k${i}`, `v${i}`) === undefined) sync++;
    expect(sync).toBeGreaterThan(0);
    await until(() => a.stats().checkpoints.periodic > p0, 5000, 'a periodic checkpoint of the new writes');
    const token = a.stats().checkpoints.lastToken;
    const serial = s.serial;
    s.upsertSync('k0', 'lost');
    await s.upsert('k1', 'lost');
    a.abandon();
    const b = await ColdKv.open(o(0));
    expect(b.recoveredToken).toBe(token);
    const t = b.continueSession('app');
    expect(t.serial).toBe(serial);
    expect(await readText(t, 'k0')).toBe('v0');
    expect(await readText(t, 'k1')).toBe('v1');
    expect(await readText(t, 'k199')).toBe('v199');
    await b.close();
  });

  it('F2Kv: a crash recovers the last periodic checkpoint of both tiers', async () => {
    const dir = tmp();
    const o = (intervalMs: number): F2KvOptions => ({
      hot: { index: { buckets: 512 }, log: { device: pathToFileURL(join(dir, 'hot')).href, memorySize: '256KiB', pageSize: '4KiB' } },
      cold: { url: pathToFileURL(join(dir, 'cold')).href, index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' }, log: { pageSize: '4KiB', memorySize: '12KiB' } },
      compaction: { hotToCold: { maxLogSize: '128KiB', triggerFraction: 0.7, compactFraction: 0.3 } },
      checkpoint: { url: pathToFileURL(join(dir, 'ck')).href, intervalMs, fenceCheckIntervalMs: 0 },
    });
    const value = (i: number, v: string): string => `${v}${i}-${'x'.repeat(40)}`;
    const a = await F2Kv.open(o(30));
    const s = a.startSession('app');
    for (let i = 0; i < 2500; i++) await s.upsert(`k${i}`, value(i, 'a'));
    await a.compactHotLog(); // most records in the cold tier now
    expect(a.stats().hotToCold.recordsMoved).toBeGreaterThan(1000);
    await until(() => a.stats().checkpoints.periodic >= 1, 10_000, 'a periodic F2 checkpoint');
    // Barrier (see the FasterKv test), then writes in one synchronous run, checkpointed by the next tick.
    await a.checkpoint();
    const p0 = a.stats().checkpoints.periodic;
    for (let i = 0; i < 100; i++) expect(s.upsertSync(`k${i}`, value(i, 'b'))).toBeUndefined();
    await until(() => a.stats().checkpoints.periodic > p0, 10_000, 'a periodic checkpoint of the new writes');
    expect(a.stats().checkpoints.failed).toBe(0);
    const token = a.stats().checkpoints.lastToken;
    s.upsertSync('k3', 'lost');
    s.upsertSync('k2000', 'lost');
    await a.abandon();
    const b = await F2Kv.open(o(0));
    expect(b.recoveredToken).toBe(token);
    const t = b.continueSession('app');
    expect(t.serial).toBe(2600);
    for (let i = 0; i < 2500; i += 37) expect(await readText(t, `k${i}`)).toBe(value(i, i < 100 ? 'b' : 'a'));
    expect(await readText(t, 'k3')).toBe(value(3, 'b'));
    expect(await readText(t, 'k2000')).toBe(value(2000, 'a'));
    expect(b.stats().reads.cold).toBeGreaterThan(0);
    await b.close();
  });
});

describe('checkpoint.intervalMs and checkpoint.fenceCheckIntervalMs are validated', () => {
  const bad: unknown[] = [-1, 1.5, '30s', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, true];
  const refused = async (open: () => Promise<unknown>, option: string): Promise<void> => {
    const err = await open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe(option);
  };

  it('FasterKv', async () => {
    for (const v of bad) {
      await refused(() => FasterKv.open({ checkpoint: { url: 'memory://', intervalMs: v as number } }), 'checkpoint.intervalMs');
      await refused(() => FasterKv.open({ checkpoint: { url: 'memory://', fenceCheckIntervalMs: v as number } }), 'checkpoint.fenceCheckIntervalMs');
    }
    await refused(() => FasterKv.open({ checkpoint: { intervalMs: 1000 } }), 'checkpoint.intervalMs');
    const ok = await FasterKv.open({ checkpoint: { url: 'memory://', intervalMs: 0, fenceCheckIntervalMs: 2 ** 31 - 1 } });
    await ok.close();
  });

  it('ColdKv and F2Kv', async () => {
    for (const v of bad) {
      await refused(() => ColdKv.open({ url: 'memory://', checkpoint: { intervalMs: v as number } }), 'checkpoint.intervalMs');
      await refused(() => ColdKv.open({ url: 'memory://', checkpoint: { fenceCheckIntervalMs: v as number } }), 'checkpoint.fenceCheckIntervalMs');
      await refused(() => F2Kv.open({ cold: { url: 'memory://' }, checkpoint: { url: 'memory://', intervalMs: v as number } }), 'checkpoint.intervalMs');
      await refused(
        () => F2Kv.open({ cold: { url: 'memory://' }, checkpoint: { url: 'memory://', fenceCheckIntervalMs: v as number } }),
        'checkpoint.fenceCheckIntervalMs',
      );
    }
  });
});
