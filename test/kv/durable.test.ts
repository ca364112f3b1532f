import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, FasterKv } from '../../src/index.js';
import type { FasterKvOptions } from '../../src/index.js';
import { makeRng, testSeed } from '../helpers/prng.js';
import { SessionModel } from './durable-model.js';

const dec = new TextDecoder();
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-durable-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function opts(dir: string, durability: FasterKvOptions['durability'], extra: Partial<FasterKvOptions> = {}): FasterKvOptions {
  return {
    index: { buckets: 256 },
    // Small log memory: records go to the device, so reads and RMWs go pending and writes wait for room.
    log: { device: `file://${dir}/hot`, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.5 },
    checkpoint: { url: `file://${dir}/ckpt` },
    ...(durability !== undefined ? { durability } : {}),
    ...extra,
  };
}

/** A crash: nothing more is written, and the directory lock goes with the process. */
async function crash(store: FasterKv): Promise<void> {
  await store.abandon();
  await store.directoryLock?.release();
}

describe('durability options', () => {
  it('refuses unknown keys and bad values with the full path', async () => {
    const dir = tmp();
    await expect(FasterKv.open(opts(dir, { mode: 'commit', interval: 3 } as never))).rejects.toThrow(/durability\.interval: unknown option/);
    await expect(FasterKv.open(opts(dir, { mode: 'always' as never }))).rejects.toThrow(/durability\.mode: must be/);
    await expect(FasterKv.open(opts(dir, { commitIntervalMs: -1 }))).rejects.toThrow(/durability\.commitIntervalMs/);
    await expect(FasterKv.open(opts(dir, { log: 'ftp://x' }))).rejects.toThrow(/durability\.log/);
    await expect(FasterKv.open({ log: { device: 'memory://' }, durability: {} })).rejects.toThrow(/durability\.log: no default place/);
  });

  it('refuses { durable: true } on a store without an operation log', async () => {
    const dir = tmp();
    const store = await FasterKv.open(opts(dir, undefined));
    const s = store.startSession();
    await expect(s.upsert('k', 'v', { durable: true })).rejects.toThrow(ConfigError);
    expect(s.serial).toBe(0);
    await s.upsert('k', 'v');
    await store.close();
  });
});

describe('durable acknowledgements (FasterKv)', () => {
  it('mode "commit": every acknowledged write survives a crash; each session is an exact prefix', async () => {
    const seed = testSeed('durable commit');
    const rng = makeRng(seed);
    const dir = tmp();
    const a = await FasterKv.open(opts(dir, { mode: 'commit', commitIntervalMs: 1 }));
    const models = [new SessionModel('a', 300), new SessionModel('b', 300), new SessionModel('c', 50)];
    const runs = models.map((m, i) => m.run(a.continueSession(m.id), rng, [100, 400, 400][i]!, [1, 8, 32][i]!, 0, true));
    // A checkpoint in the middle: recovery replays only what follows it.
    await new Promise((r) => setTimeout(r, 20));
    await a.checkpoint();
    await Promise.all(runs);
    await crash(a);
    const b = await FasterKv.open(opts(dir, { mode: 'commit' }));
    expect(b.replayed?.entriesApplied).toBeGreaterThan(0);
    for (const m of models) await m.check(b.continueSession(m.id));
    await b.close();
  });

  it('mode "checkpoint": durable writes survive; other writes are lost or kept as an exact prefix', async () => {
    const seed = testSeed('durable checkpoint mode');
    const rng = makeRng(seed);
    const dir = tmp();
    const a = await FasterKv.open(opts(dir, { mode: 'checkpoint' }));
    const models = [new SessionModel('x', 200), new SessionModel('y', 200)];
    const sessions = models.map((m) => a.continueSession(m.id));
    await Promise.all(models.map((m, i) => m.run(sessions[i]!, rng, 300, 4, 0.2, false)));
    await a.checkpoint();
    await Promise.all(models.map((m, i) => m.run(sessions[i]!, rng, 300, 4, 0.1, false)));
    // Non-durable writes after the last durable one are not waited for.
    await Promise.all(models.map((m, i) => m.run(sessions[i]!, rng, 50, 4, 0, false)));
    await crash(a);
    const b = await FasterKv.open(opts(dir, { mode: 'checkpoint' }));
    for (const m of models) await m.check(b.continueSession(m.id));
    await b.close();
  });

  it('survives repeated crashes: replayed entries beyond a lost gap never come back', async () => {
    const seed = testSeed('durable repeated crashes');
    const rng = makeRng(seed);
    const dir = tmp();
    const model = new SessionModel('r', 100);
    let store = await FasterKv.open(opts(dir, { mode: 'commit', commitIntervalMs: 0 }));
    for (let round = 0; round < 4; round++) {
      const s = store.continueSession('r');
      // The model continues from the recovered serial: operations past it are forgotten.
      model.ops.splice(0, model.ops.length, ...model.ops.filter((o) => o.serial <= s.serial));
      void model.run(s, rng, 200, 16, 0, true);
      await new Promise((r) => setTimeout(r, 5 + Math.floor(rng() * 30)));
      if (round === 1) await store.checkpoint().catch(() => undefined);
      await crash(store);
      store = await FasterKv.open(opts(dir, { mode: 'commit', commitIntervalMs: 0 }));
      await model.check(store.continueSession('r'));
      // check() reads, advancing the session: reopen to continue from the recovered serial.
      await crash(store);
      store = await FasterKv.open(opts(dir, { mode: 'commit', commitIntervalMs: 0 }));
    }
    await store.close();
  });

  it('truncates the operation log below what retained checkpoints replay from; recover: false drops it', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir, { mode: 'commit' }, { checkpoint: { url: `file://${dir}/ckpt`, keep: 1 } }));
    const s = a.startSession('t');
    for (let i = 0; i < 200; i++) await s.upsert(`k${i}`, `v${i}`);
    const before = a.operationLogStats()!;
    await a.checkpoint();
    const after = a.operationLogStats()!;
    expect(after.beginAddress).toBeGreaterThan(before.beginAddress);
    expect(after.beginAddress).toBe(before.tailAddress);
    await s.upsert('late', 'x');
    await crash(a);
    const b = await FasterKv.open(opts(dir, { mode: 'commit' }));
    expect(b.replayed?.entriesApplied).toBe(1);
    expect(dec.decode((await b.startSession().read('late'))!)).toBe('x');
    await crash(b);
    const c = await FasterKv.open(opts(dir, { mode: 'commit' }, { recover: false }));
    expect(await c.startSession().read('late')).toBeUndefined();
    await crash(c);
    const d = await FasterKv.open(opts(dir, { mode: 'commit' }));
    expect(d.replayed?.entriesApplied).toBe(0);
    await d.close();
  });
});
