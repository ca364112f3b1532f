import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, F2Kv, type F2KvOptions } from '../../src/index.js';
import { makeRng, testSeed } from '../helpers/prng.js';
import { SessionModel } from '../kv/durable-model.js';

const dec = new TextDecoder();
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-f2-durable-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Small hot tier and budgets: migration to cold runs while the sessions write. */
function options(dir: string, durability: F2KvOptions['durability'], recover: boolean = true): F2KvOptions {
  const url = (sub: string): string => pathToFileURL(join(dir, sub)).href;
  return {
    hot: {
      index: { buckets: 512 },
      log: { device: url('hot'), memorySize: '32KiB', pageSize: '4KiB' },
      readCache: { memorySize: '16KiB', pageSize: '4KiB' },
    },
    cold: {
      url: url('cold'),
      index: { expectedKeys: 2048, chunkSize: '64B', chunkCacheSize: '32KiB' },
      log: { pageSize: '4KiB', memorySize: '12KiB' },
    },
    compaction: { hotToCold: { maxLogSize: '96KiB', triggerFraction: 0.7, compactFraction: 0.3 } },
    checkpoint: { url: url('ckpt'), keep: 2 },
    ...(durability !== undefined ? { durability } : {}),
    recover,
  };
}

describe('durable acknowledgements (F2Kv)', () => {
  it('validates the durability section with its full path', async () => {
    const dir = tmp();
    await expect(F2Kv.open(options(dir, { mode: 'commit', store: { endpont: 'x' } } as never))).rejects.toThrow(/durability\.store\.endpont/);
    const plain = await F2Kv.open(options(dir, undefined, false));
    await expect(plain.startSession().rmw('k', () => 'v', { durable: true })).rejects.toThrow(ConfigError);
    await plain.close();
  });

  it('every acknowledged write survives a crash while records migrate to cold; sessions are exact prefixes', async () => {
    const seed = testSeed('f2 durable');
    const rng = makeRng(seed);
    const dir = tmp();
    const a = await F2Kv.open(options(dir, { mode: 'checkpoint', commitIntervalMs: 1 }, false));
    const models = [new SessionModel('p', 400), new SessionModel('q', 400), new SessionModel('all', 200)];
    const sessions = models.map((m) => a.continueSession(m.id));
    const first = models.map((m, i) => m.run(sessions[i]!, rng, 400, 8, i === 2 ? 1 : 0.3, false));
    await new Promise((r) => setTimeout(r, 30));
    await a.checkpoint();
    await Promise.all(first);
    await Promise.all(models.map((m, i) => m.run(sessions[i]!, rng, 200, 8, i === 2 ? 1 : 0.3, false)));
    expect(a.stats().hotToCold.passes).toBeGreaterThan(0);
    await a.abandon();
    const b = await F2Kv.open(options(dir, { mode: 'checkpoint' }));
    expect(b.replayed?.entriesApplied).toBeGreaterThan(0);
    for (const m of models) await m.check(b.continueSession(m.id));
    // The replayed store keeps working and checkpoints; the log is truncated behind it.
    const s = b.startSession('after');
    await s.upsert('after', 'x', { durable: true });
    await b.checkpoint();
    await b.checkpoint();
    expect(b.operationLogStats()!.beginAddress).toBeGreaterThan(64);
    await b.abandon();
    const c = await F2Kv.open(options(dir, { mode: 'checkpoint' }));
    expect(dec.decode((await c.startSession().read('after'))!)).toBe('x');
    await c.close();
  });
});
