/**
 * Randomized FasterLog test against an array oracle: appends of random sizes (strings and bytes),
 * commits (some concurrent with appends), crashes (abandon + reopen), truncations, point reads
 * and full scans. Prints its seed; replay with F2KV_SEED=<seed>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import type { StorageDevice } from '../../src/devices/storage-device.js';
import { FasterLog, type FasterLogOptions } from '../../src/log/faster-log.js';
import { makeRng, testSeed } from '../helpers/prng.js';
import { RamDevice } from '../helpers/ram-device.js';

interface Env {
  open(): Promise<FasterLog>;
  /** After log.abandon(): whatever a crash does to the device (e.g. drop an ObjectLogDevice). */
  afterCrash(): Promise<void>;
  cleanup(): Promise<void>;
}

interface Entry {
  address: number;
  bytes: Uint8Array;
}

const enc = new TextEncoder();
/** Byte equality without vitest's element-wise deep equality (far too slow for thousands of entries). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

async function runRandom(name: string, env: Env, steps: number, pageSize: number): Promise<{ crashes: number; commits: number; appends: number }> {
  const seed = testSeed(name);
  const rng = makeRng(seed);
  const int = (n: number): number => Math.floor(rng() * n);
  const maxEntry = pageSize - 8;

  let log = await env.open();
  let all: Entry[] = []; // every entry of the current history, by address
  let begin = 64;
  let committed = { begin: 64, until: 64 };
  let crashes = 0;
  let commits = 0;
  let appends = 0;
  const visible = (): Entry[] => all.filter((e) => e.address >= begin);

  const payload = (): Uint8Array | string => {
    const r = rng();
    const n = r < 0.05 ? maxEntry - int(16) : r < 0.1 ? 0 : r < 0.7 ? int(64) : int(Math.min(maxEntry, 700));
    if (rng() < 0.3) return 'x'.repeat(Math.max(0, n - 2)) + (n >= 2 ? 'é' : '');
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };

  for (let step = 0; step < steps; step++) {
    const op = rng();
    try {
      if (op < 0.6) {
        const count = 1 + int(8);
        for (let k = 0; k < count; k++) {
          const p = payload();
          const address = await log.appendAsync(p);
          expect(address).toBe(all.length === 0 ? Math.max(address, 64) : address);
          if (all.length > 0) expect(address).toBeGreaterThan(all.at(-1)!.address);
          all.push({ address, bytes: typeof p === 'string' ? enc.encode(p) : p });
          appends++;
        }
      } else if (op < 0.72) {
        // A commit while more appends go on: the commit covers at least what preceded it.
        const tailBefore = log.tailAddress;
        const beginBefore = begin;
        const c = log.commit();
        if (rng() < 0.5) {
          const p = payload();
          const address = await log.appendAsync(p);
          all.push({ address, bytes: typeof p === 'string' ? enc.encode(p) : p });
          appends++;
        }
        const until = await c;
        expect(until).toBeGreaterThanOrEqual(tailBefore);
        committed = { begin: beginBefore, until };
        commits++;
      } else if (op < 0.8) {
        // Crash: entries after the last commit vanish, begin returns to the committed begin.
        await log.abandon();
        await env.afterCrash();
        log = await env.open();
        crashes++;
        all = all.filter((e) => e.address < committed.until);
        begin = committed.begin;
        expect(log.tailAddress).toBe(committed.until);
        expect(log.beginAddress).toBe(committed.begin);
      } else if (op < 0.84) {
        const v = visible();
        if (v.length > 4) {
          const target = v[int(Math.ceil(v.length / 3))]!.address;
          await log.truncateUntil(target);
          begin = target;
        }
      } else if (op < 0.95) {
        const v = visible();
        for (let k = 0; k < 5 && v.length > 0; k++) {
          const e = v[int(v.length)]!;
          const got = await log.read(e.address);
          if (!sameBytes(got, e.bytes)) expect(got).toEqual(e.bytes);
        }
      } else {
        const got: Entry[] = [];
        for await (const e of log.scan()) got.push(e);
        const want = visible();
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          if (got[i]!.address !== want[i]!.address) expect(got[i]!.address).toBe(want[i]!.address);
          if (!sameBytes(got[i]!.bytes, want[i]!.bytes)) expect(got[i]!.bytes).toEqual(want[i]!.bytes);
        }
        const durable: Entry[] = [];
        for await (const e of log.scan(undefined, log.committedUntilAddress)) durable.push(e);
        expect(durable.length).toBe(want.filter((e) => e.address < log.committedUntilAddress).length);
      }
    } catch (e) {
      throw new Error(`[${name}] step ${step} failed (seed ${seed}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  // Final check after one more crash.
  await log.commit();
  committed = { begin, until: log.tailAddress };
  await log.abandon();
  await env.afterCrash();
  log = await env.open();
  const got: Entry[] = [];
  for await (const e of log.scan()) got.push(e);
  const want = visible();
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i]!.address !== want[i]!.address || !sameBytes(got[i]!.bytes, want[i]!.bytes)) expect(got[i]).toEqual(want[i]);
  }
  await log.close();
  await env.cleanup();
  return { crashes, commits, appends };
}

describe('FasterLog randomized against an array oracle', () => {
  it('on a RamDevice with small pages and little memory', async () => {
    const device = new RamDevice(2);
    const store = new MemoryObjectStore();
    const options: FasterLogOptions = { device, pageSize: 1024, memorySize: 3 * 1024, commit: { store } };
    const r = await runRandom('faster-log-random-ram', { open: () => FasterLog.open(options), afterCrash: async () => {}, cleanup: async () => {} }, 1500, 1024);
    expect(r.crashes).toBeGreaterThan(10);
  });

  it('on a FileDevice in a temp directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2kv-flog-rand-'));
    const options: FasterLogOptions = { device: `file://${dir}`, pageSize: 2048, memorySize: 8192, segmentSize: 8192 };
    const r = await runRandom(
      'faster-log-random-file',
      { open: () => FasterLog.open(options), afterCrash: async () => {}, cleanup: async () => rmSync(dir, { recursive: true, force: true }) },
      300,
      2048,
    );
    expect(r.appends).toBeGreaterThan(100);
  });

  it('on an ObjectLogDevice over a memory store (unsynced device buffers are lost in a crash)', async () => {
    const store = new MemoryObjectStore();
    let device: StorageDevice | undefined;
    const env: Env = {
      open: async () => {
        device = await ObjectLogDevice.open(store, { objectSize: 4096, blockSize: 512 });
        return FasterLog.open({ device, pageSize: 4096, memorySize: 16384 });
      },
      // The old device instance is dropped without close(): its write buffer never reaches the store.
      afterCrash: async () => {},
      cleanup: async () => device?.close(),
    };
    const r = await runRandom('faster-log-random-object', env, 300, 4096);
    expect(r.appends).toBeGreaterThan(100);
  });
});
