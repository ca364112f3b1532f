/**
 * Damaged objects of a cold store on file://: a flipped byte or a truncated cold-log object or
 * chunk object, a damaged checkpoint table, a deleted chunk object. Every read that touches
 * damaged data rejects with a CorruptionError naming the object; no read ever returns a wrong
 * value, or undefined for a key that exists.
 *
 * Objects are plain files: <dir>/log/<start>-<end>-<seq>.b<shift>.seg, <dir>/chunks/…,
 * <dir>/checkpoints/<token>/table.bin, <dir>/manifest/…, each behind a 32-byte f2kv header.
 */
import { cpSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, truncateSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import type { ColdKvOptions } from '../../src/cold/cold-options.js';
import { CorruptionError } from '../../src/core/errors.js';
import { LOCAL_OBJECT_HEADER_BYTES } from '../../src/devices/local-fs-object-store.js';

const KEYS = 1500;
const enc = new TextEncoder();
const keyOf = (i: number): string => `key-${i.toString().padStart(6, '0')}`;
const valueOf = (i: number, version: number): string => `v${version}-${i}-${'x'.repeat(20 + (i % 37))}`;
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

function options(dir: string, recover: boolean | string): ColdKvOptions {
  return {
    url: pathToFileURL(dir).href,
    index: { expectedKeys: 4096, chunkSize: '64B', chunkCacheSize: '32KiB' },
    log: { pageSize: '4KiB', memorySize: '16KiB' },
    // No compaction: the damaged objects stay where the test put the damage.
    compaction: { enabled: false },
    checkpoint: { keep: 3, onClose: false },
    recover,
  };
}

interface SegmentName {
  key: string;
  file: string;
  start: number;
  end: number;
  seq: number;
}

const SEGMENT = /^([0-9a-f]{16})-([0-9a-f]{16})-([0-9a-f]{12})\.b\d+\.seg$/;

function segments(dir: string, prefix: 'log' | 'chunks'): SegmentName[] {
  return readdirSync(join(dir, prefix))
    .flatMap((name) => {
      const m = SEGMENT.exec(name);
      return m ? [{ key: `${prefix}/${name}`, file: join(dir, prefix, name), start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), seq: parseInt(m[3]!, 16) }] : [];
    })
    .sort((a, b) => a.start - b.start || a.seq - b.seq);
}

/** The object that supplies `address` (the newest one covering it), as the device resolves it. */
function supplier(objects: SegmentName[], address: number): SegmentName | undefined {
  let best: SegmentName | undefined;
  for (const o of objects) if (o.start <= address && address < o.end && (!best || o.seq > best.seq)) best = o;
  return best;
}

function flipByte(file: string, dataOffset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    // Inside the data part, also of a short (partial page) object.
    const data = statSync(file).size - LOCAL_OBJECT_HEADER_BYTES;
    const at = LOCAL_OBJECT_HEADER_BYTES + Math.min(dataOffset, Math.floor(data / 2));
    expect(readSync(fd, b, 0, 1, at)).toBe(1);
    b[0] = b[0]! ^ 0x40;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

function truncateData(file: string): void {
  const data = statSync(file).size - LOCAL_OBJECT_HEADER_BYTES;
  truncateSync(file, LOCAL_OBJECT_HEADER_BYTES + Math.floor(data / 2));
}

function namesObject(err: unknown, key: string): boolean {
  if (!(err instanceof CorruptionError)) return false;
  const name = key.split('/').pop()!;
  return err.object === key || (err.object ?? '').endsWith(name) || err.message.includes(name);
}

const root = mkdtempSync(join(tmpdir(), 'f2kv-cold-corruption-'));
const pristine = join(root, 'pristine');
let copies = 0;
/** Record address of each key's newest version at the second checkpoint. */
const addressOf = new Map<number, number>();
const oracleA = new Map<number, string>();
const oracleB = new Map<number, string>();
let tokenA = '';
let tokenB = '';

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const store = await ColdKv.open(options(pristine, false));
  const s = store.startSession('load');
  for (let i = 0; i < KEYS; i += 50) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(KEYS, i + 50); j++) {
      oracleA.set(j, valueOf(j, 1));
      batch.push(s.upsert(keyOf(j), valueOf(j, 1)));
    }
    await Promise.all(batch);
  }
  tokenA = await store.checkpoint();
  for (const [k, v] of oracleA) oracleB.set(k, v);
  for (let i = 0; i < KEYS; i += 3) {
    oracleB.set(i, valueOf(i, 2));
    await s.upsert(keyOf(i), valueOf(i, 2));
  }
  tokenB = await store.checkpoint();
  for (let i = 0; i < KEYS; i++) {
    const r = await store.find(enc.encode(keyOf(i)));
    expect(dec(r?.value)).toBe(oracleB.get(i));
    addressOf.set(i, r!.address);
  }
  await store.close();
  expect(segments(pristine, 'log').length).toBeGreaterThan(20);
  expect(segments(pristine, 'chunks').length).toBeGreaterThan(4);
});

function freshCopy(): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

interface Outcome {
  ok: number;
  failed: Set<number>;
  wrong: string[];
}

/** Reads every key (64 in flight); a read either returns the oracle's value or rejects with a CorruptionError naming `damaged`. */
async function readAll(store: ColdKv, oracle: Map<number, string>, damaged: string | undefined): Promise<Outcome> {
  const s = store.startSession();
  const out: Outcome = { ok: 0, failed: new Set(), wrong: [] };
  for (let i = 0; i < KEYS; i += 64) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(KEYS, i + 64); j++) {
      batch.push(
        s.read(keyOf(j)).then(
          (v) => {
            if (dec(v) === oracle.get(j)) out.ok++;
            else out.wrong.push(`key ${j}: got ${String(dec(v))}, expected ${String(oracle.get(j))}`);
          },
          (err: unknown) => {
            if (damaged !== undefined && namesObject(err, damaged)) out.failed.add(j);
            else out.wrong.push(`key ${j}: rejected with ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
          },
        ),
      );
    }
    await Promise.all(batch);
  }
  s.end();
  return out;
}

/** The newest chunk objects but the tail one (the newest chunk versions are the likeliest to be live). */
function chunkSample(objects: SegmentName[]): SegmentName[] {
  return objects.slice(-6, -1);
}

/** A few objects spread over the list (never the newest: the recovered tail page is loaded at open). */
function sample<T>(list: T[], n: number): T[] {
  const out: T[] = [];
  for (let k = 0; k < n; k++) out.push(list[Math.floor(((k + 0.5) * (list.length - 1)) / n)]!);
  return [...new Set(out)];
}

describe('cold store over damaged objects (file://)', () => {
  it('reopens the undamaged store with every key', async () => {
    const store = await ColdKv.open(options(freshCopy(), true));
    expect(store.recoveredToken).toBe(tokenB);
    const o = await readAll(store, oracleB, undefined);
    expect(o.wrong).toEqual([]);
    expect(o.ok).toBe(KEYS);
    await store.close();
  });

  for (const damage of ['flipped byte', 'truncated'] as const) {
    it(`cold log object, ${damage}: reads of its records reject with CorruptionError naming it`, async () => {
      const objects = segments(pristine, 'log');
      let failures = 0;
      for (const victim of sample(objects.slice(0, -2), 5)) {
        const dir = freshCopy();
        const file = join(dir, victim.key);
        if (damage === 'flipped byte') flipByte(file, 200);
        else truncateData(file);
        const store = await ColdKv.open(options(dir, true));
        const o = await readAll(store, oracleB, victim.key);
        await store.close();
        expect(o.wrong, `${damage} in ${victim.key}`).toEqual([]);
        // Every key whose newest record that object supplies must fail.
        const mustFail = [...addressOf].filter(([, a]) => supplier(objects, a)?.key === victim.key).map(([k]) => k);
        for (const k of mustFail) expect(o.failed.has(k), `key ${k} in ${victim.key} (${damage})`).toBe(true);
        expect(o.ok + o.failed.size).toBe(KEYS);
        failures += o.failed.size;
      }
      expect(failures).toBeGreaterThan(0);
    });

    it(`chunk object, ${damage}: reads through its chunks reject with CorruptionError naming it`, async () => {
      const objects = segments(pristine, 'chunks');
      let failures = 0;
      let damagedObjects = 0;
      for (const victim of chunkSample(objects)) {
        const dir = freshCopy();
        const file = join(dir, victim.key);
        if (damage === 'flipped byte') flipByte(file, 100);
        else truncateData(file);
        let store: ColdKv;
        try {
          store = await ColdKv.open(options(dir, true));
        } catch (err) {
          // Only the recovered tail page of the chunk log is read at open.
          expect(namesObject(err, victim.key), String(err)).toBe(true);
          continue;
        }
        const o = await readAll(store, oracleB, victim.key);
        await store.close();
        expect(o.wrong, `${damage} in ${victim.key}`).toEqual([]);
        expect(o.ok + o.failed.size).toBe(KEYS);
        failures += o.failed.size;
        if (o.failed.size > 0) damagedObjects++;
      }
      expect(failures).toBeGreaterThan(0);
      expect(damagedObjects).toBeGreaterThan(0);
    });

    it(`checkpoint table, ${damage}: open rejects naming it and the older token, which still opens`, async () => {
      const dir = freshCopy();
      const key = `checkpoints/${tokenB}/table.bin`;
      const file = join(dir, key);
      if (damage === 'flipped byte') flipByte(file, 40);
      else truncateData(file);
      const err = await ColdKv.open(options(dir, true)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CorruptionError);
      const c = err as CorruptionError;
      expect(c.object?.startsWith(key), String(c.object)).toBe(true);
      expect(c.message).toContain(key);
      expect(c.message).toContain(tokenB);
      expect(c.message).toContain(tokenA);
      expect(c.message).toMatch(/recover/);

      const older = await ColdKv.open(options(dir, tokenA));
      expect(older.recoveredToken).toBe(tokenA);
      const o = await readAll(older, oracleA, undefined);
      expect(o.wrong).toEqual([]);
      expect(o.ok).toBe(KEYS);
      await older.close();
    });
  }

  it('a chunk object deleted while the store is open: CorruptionError naming it', async () => {
    let failures = 0;
    for (const victim of chunkSample(segments(pristine, 'chunks'))) {
      const dir = freshCopy();
      const store = await ColdKv.open(options(dir, true));
      unlinkSync(join(dir, victim.key));
      const o = await readAll(store, oracleB, victim.key);
      await store.close();
      expect(o.wrong, `deleted ${victim.key}`).toEqual([]);
      failures += o.failed.size;
    }
    expect(failures).toBeGreaterThan(0);
  });
});
