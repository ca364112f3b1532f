import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FasterKv, FencedError, CorruptionError } from '../../src/index.js';
import type { FasterKvOptions } from '../../src/index.js';
import { openObjectStore } from '../../src/devices/open-object-store.js';
import { crc32c } from '../../src/core/checksum.js';

const dec = new TextDecoder();
const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : dec.decode(v));
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-ckpt-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function opts(dir: string, extra: Partial<FasterKvOptions> = {}): FasterKvOptions {
  return {
    index: { buckets: 256 },
    log: { device: `file://${dir}/hot`, pageSize: 4096, memorySize: 8 * 4096, mutableFraction: 0.5 },
    checkpoint: { url: `file://${dir}/ckpt` },
    ...extra,
  };
}

describe('checkpoints and recovery', () => {
  it('recovers exactly the checkpointed prefix of each session after a crash', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir));
    const s = a.continueSession('w0');
    const t = a.continueSession('w1');
    for (let i = 1; i <= 1000; i++) await s.upsert(`k${i % 300}`, `s-${i}`);
    for (let i = 1; i <= 500; i++) await t.upsert(`t${i % 100}`, `t-${i}`);
    const token = await a.checkpoint();
    expect(s.serial).toBe(1000);
    for (let i = 1001; i <= 1500; i++) await s.upsert(`k${i % 300}`, `s-${i}`);
    // Crash: a is dropped without close (its process would be gone, and its directory lock with it).
    await a.directoryLock?.release();
    const b = await FasterKv.open(opts(dir));
    expect(b.recoveredCheckpoint?.token).toBe(token);
    expect(b.recoveredCheckpoint?.sessions).toEqual({ w0: 1000, w1: 500 });
    const s2 = b.continueSession('w0');
    expect(s2.serial).toBe(1000);
    for (let k = 0; k < 300; k++) {
      const last = 1000 - ((1000 - k) % 300 + 300) % 300;
      expect(text(await s2.read(`k${k}`))).toBe(`s-${last === 0 ? 300 : last}`);
    }
    // The crashed writer is fenced: it can publish nothing.
    await expect(a.checkpoint()).rejects.toThrow(FencedError);
    await b.close();
  });

  it('close() takes a final checkpoint; reopening continues where it stopped', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir));
    const s = a.startSession('app');
    for (let i = 0; i < 3000; i++) await s.upsert(`key-${i}`, `value-${i}`);
    await s.delete('key-7');
    await a.close();
    const b = await FasterKv.open(opts(dir));
    // Same machine: the local log is intact, so nothing is downloaded from the checkpoint store.
    expect(b.recoveredCheckpoint?.restoredBytes).toBe(0);
    expect(b.recoveredCheckpoint?.keptBytes).toBe(b.recoveredCheckpoint!.finalAddress - 64);
    const s2 = b.continueSession('app');
    expect(s2.serial).toBe(3001);
    for (let i = 0; i < 3000; i += 11) expect(text(await s2.read(`key-${i}`))).toBe(i === 7 ? undefined : `value-${i}`);
    expect(await s2.read('key-7')).toBeUndefined();
    await s2.upsert('after', 'reopen');
    await b.checkpoint();
    await b.close();
    const c = await FasterKv.open(opts(dir));
    expect(text(await c.startSession().read('after'))).toBe('reopen');
    await c.close();
  });

  it('recovers on a fresh machine from the checkpoint store alone (local log directory deleted)', async () => {
    const local = tmp();
    const bucket = tmp();
    const o = (): FasterKvOptions => ({ ...opts(local), checkpoint: { url: `file://${bucket}` } });
    const a = await FasterKv.open(o());
    const s = a.startSession('w');
    for (let i = 0; i < 4000; i++) await s.upsert(`key-${i}`, `value-${i}`);
    await a.checkpoint();
    for (let i = 0; i < 4000; i += 2) await s.rmw(`key-${i}`, (old) => `${text(old)}+`);
    await a.close();
    rmSync(join(local, 'hot'), { recursive: true, force: true });
    const b = await FasterKv.open(o());
    expect(b.recoveredCheckpoint?.keptBytes).toBe(0);
    expect(b.recoveredCheckpoint?.restoredBytes).toBe(b.recoveredCheckpoint!.finalAddress - 64);
    const r = b.startSession();
    for (let i = 0; i < 4000; i += 3) expect(text(await r.read(`key-${i}`))).toBe(i % 2 === 0 ? `value-${i}+` : `value-${i}`);
    expect(b.stats().log.pagesEvicted + b.stats().operations.pendingReads).toBeGreaterThan(0);
    await b.close();
  });

  it('downloads only the damaged part of a local log in snapshot mode', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir));
    const s = a.startSession();
    for (let i = 0; i < 3000; i++) await s.upsert(`key-${i}`, `value-${i}`);
    await a.close();
    const segment = join(dir, 'hot', 'segment-0000000000.f2log');
    const bytes = readFileSync(segment);
    bytes[100]! ^= 0xff;
    writeFileSync(segment, bytes);
    const b = await FasterKv.open(opts(dir));
    const rc = b.recoveredCheckpoint!;
    expect(rc.restoredBytes).toBeGreaterThan(0);
    expect(rc.keptBytes).toBe(0); // one chunk: the damaged one
    const r = b.startSession();
    for (let i = 0; i < 3000; i += 17) expect(text(await r.read(`key-${i}`))).toBe(`value-${i}`);
    await b.close();
  });

  it('recovers a memory-only log from snapshot checkpoints', async () => {
    const bucket = tmp();
    const o: FasterKvOptions = { log: { device: 'memory://', pageSize: 4096, memorySize: 1 << 20 }, checkpoint: { url: `file://${bucket}` } };
    const a = await FasterKv.open(o);
    const s = a.startSession();
    for (let i = 0; i < 2000; i++) await s.upsert(`m${i}`, `v${i}`);
    await a.close();
    const b = await FasterKv.open(o);
    for (let i = 0; i < 2000; i += 7) expect(text(await b.startSession().read(`m${i}`))).toBe(`v${i}`);
    await b.close();
  });

  it('does not tear records updated while a checkpoint runs', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir));
    const s = a.continueSession('w');
    for (let i = 1; i <= 200; i++) await s.upsert(`k${i % 50}`, `v${i}`);
    const ck = a.checkpoint(); // records serial 200
    const writes = [];
    for (let i = 201; i <= 400; i++) writes.push(s.upsert(`k${i % 50}`, `v${i}`));
    await Promise.all([ck, ...writes]);
    await a.directoryLock?.release(); // a crash: a is abandoned, not closed
    const b = await FasterKv.open({ ...opts(dir), recover: await ck });
    expect(b.recoveredCheckpoint?.sessions['w']).toBe(200);
    const r = b.startSession();
    for (let k = 0; k < 50; k++) expect(text(await r.read(`k${k}`))).toBe(`v${150 + (k === 0 ? 50 : k)}`);
    await b.close();
  });

  it('recovers a given token, lists the tokens when one does not exist, keeps the newest N', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir, { checkpoint: { url: `file://${dir}/ckpt`, keep: 2 } }));
    const s = a.startSession();
    const tokens: string[] = [];
    for (let round = 0; round < 4; round++) {
      await s.upsert('round', `${round}`);
      tokens.push(await a.checkpoint());
    }
    expect(await a.listCheckpoints()).toEqual([tokens[3], tokens[2]]);
    await a.close();
    const b = await FasterKv.open({ ...opts(dir), recover: tokens[2] });
    expect(text(await b.startSession().read('round'))).toBe('2');
    await b.close();
    await expect(FasterKv.open({ ...opts(dir), recover: 'nope' })).rejects.toThrow(/checkpoint nope does not exist; checkpoints that can be recovered instead: /);
  });

  it('reports a damaged checkpoint as CorruptionError naming the object and the token, with older tokens', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir, { checkpoint: { url: `file://${dir}/ckpt`, onClose: false } }));
    const s = a.startSession();
    await s.upsert('x', '1');
    const older = await a.checkpoint();
    await s.upsert('x', '2');
    const newest = await a.checkpoint();
    await a.close();
    const indexFile = join(dir, 'ckpt', 'checkpoints', newest, 'index.bin');
    const bytes = readFileSync(indexFile);
    bytes[bytes.length - 10]! ^= 0xff;
    writeFileSync(indexFile, bytes);
    const err = await FasterKv.open(opts(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as Error).message).toContain(newest);
    expect((err as Error).message).toContain('index.bin');
    expect((err as Error).message).toContain(older);
    const b = await FasterKv.open({ ...opts(dir), recover: older });
    expect(text(await b.startSession().read('x'))).toBe('1');
    await b.close();
  });

  it('reports a truncated manifest and refuses a newer format', async () => {
    const dir = tmp();
    const a = await FasterKv.open(opts(dir));
    await a.startSession().upsert('x', '1');
    await a.close();
    const store = await openObjectStore(`file://${dir}/ckpt`);
    const key = (await store.list('manifest/')).pop()!;
    const original = await store.get(key);
    await store.put(key, original.subarray(0, original.length >> 1));
    await expect(FasterKv.open(opts(dir))).rejects.toThrow(CorruptionError);
    await expect(FasterKv.open(opts(dir))).rejects.toThrow(new RegExp(`${key}.*cannot be read`));
    const outer = JSON.parse(dec.decode(original)) as { body: string; crc: number };
    const body = JSON.parse(outer.body) as { format: number };
    body.format = 99;
    const newBody = JSON.stringify(body);
    await store.put(key, new TextEncoder().encode(JSON.stringify({ crc: crc32c(new TextEncoder().encode(newBody)), body: newBody })));
    await expect(FasterKv.open(opts(dir))).rejects.toThrow(/format version 99, newer than this f2kv understands/);
    await store.close();
  });

  it('fences the older of two writers before it publishes anything', async () => {
    const dir = tmp();
    const bucket = tmp();
    const first = await FasterKv.open({ ...opts(dir), checkpoint: { url: `file://${bucket}` } });
    await first.startSession().upsert('a', '1');
    await first.checkpoint();
    const second = await FasterKv.open({ ...opts(tmp()), checkpoint: { url: `file://${bucket}` } });
    await first.startSession().upsert('a', 'from the fenced writer');
    await expect(first.checkpoint()).rejects.toThrow(FencedError);
    await expect(first.checkpoint()).rejects.toThrow(/fenced/);
    await second.startSession().upsert('b', '2');
    await second.close();
    const third = await FasterKv.open({ ...opts(tmp()), checkpoint: { url: `file://${bucket}` } });
    const r = third.startSession();
    expect(text(await r.read('a'))).toBe('1');
    expect(text(await r.read('b'))).toBe('2');
    await third.close();
  });
});
