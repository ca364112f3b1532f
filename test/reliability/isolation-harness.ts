/**
 * Two F2 stores on sibling prefixes of one object store — `<root>/a` and `<root>/a2`, where one
 * name is a prefix of the other — must never read, overwrite or delete each other's objects.
 * Each store in turn churns (upserts, deletes, migration, cold compaction, checkpoints with
 * retention and log truncation) while the other is closed; the other's objects (keys and etags)
 * must be exactly as they were, every object under the root must belong to one of the two, and
 * both must read back their own values afterwards.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { openObjectStore, type OpenObjectStoreOptions } from '../../src/devices/open-object-store.js';
import { F2Kv } from '../../src/f2/f2-kv.js';
import type { F2KvOptions } from '../../src/f2/f2-options.js';

const KEYS = 300;
const keyOf = (i: number): string => `key-${i}`;
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

function optionsFor(base: string, hotDir: string, store: OpenObjectStoreOptions, recover: boolean): F2KvOptions {
  const local = base.startsWith('file:');
  const s = local ? { createIfMissing: true } : store;
  return {
    hot: { index: { buckets: 128 }, log: { device: pathToFileURL(hotDir).href, memorySize: '32KiB', pageSize: '4KiB' } },
    cold: { url: `${base}/cold`, store: s, index: { expectedKeys: 1024, chunkSize: '64B', chunkCacheSize: '32KiB' }, log: { pageSize: '4KiB', memorySize: '12KiB' } },
    compaction: { hotToCold: { maxLogSize: '64KiB' }, coldToCold: { maxLogSize: '96KiB', triggerFraction: 0.6, compactFraction: 0.5 } },
    checkpoint: { url: `${base}/checkpoints`, store: s, keep: 2 },
    recover,
  };
}

/** Every object under `url` with its etag. */
async function snapshot(url: string, store: OpenObjectStoreOptions): Promise<Map<string, string>> {
  const s = await openObjectStore(url, { ...store, createIfMissing: false });
  try {
    const out = new Map<string, string>();
    for (const key of await s.list('')) out.set(key, (await s.head(key))?.etag ?? 'gone');
    return out;
  } finally {
    await s.close();
  }
}

async function churn(base: string, hotDir: string, store: OpenObjectStoreOptions, tag: string, oracle: Map<number, string>, rounds: number): Promise<void> {
  const kv = await F2Kv.open(optionsFor(base, hotDir, store, true));
  const s = kv.startSession();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < KEYS; i += 32) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(KEYS, i + 32); j++) {
        if ((j + r) % 7 === 0) {
          oracle.delete(j);
          batch.push(s.delete(keyOf(j)));
        } else {
          const v = `${tag}-r${r}-${j}-${'p'.repeat(j % 40)}`;
          oracle.set(j, v);
          batch.push(s.upsert(keyOf(j), v));
        }
      }
      await Promise.all(batch);
    }
    await kv.compactHotLog();
    await kv.compactColdLog();
    await kv.checkpoint();
  }
  s.end();
  await kv.close();
}

async function verify(base: string, hotDir: string, store: OpenObjectStoreOptions, oracle: Map<number, string>, label: string): Promise<void> {
  const kv = await F2Kv.open(optionsFor(base, hotDir, store, true));
  const s = kv.startSession();
  for (let i = 0; i < KEYS; i++) expect(dec(await s.read(keyOf(i))), `${label} key ${i}`).toBe(oracle.get(i));
  s.end();
  await kv.close();
}

export interface IsolationResult {
  objectsA: number;
  objectsB: number;
  deletedByChurnA: number;
  deletedByChurnB: number;
}

/** Runs the isolation check for stores at `${root}/a` and `${root}/a2`; `scratch` holds the hot directories. */
export async function checkSiblingIsolation(label: string, root: string, store: OpenObjectStoreOptions, scratch: string): Promise<IsolationResult> {
  mkdirSync(scratch, { recursive: true });
  const baseA = `${root}/a`;
  const baseB = `${root}/a2`;
  const hotA = join(scratch, 'hot-a');
  const hotB = join(scratch, 'hot-a2');
  const oracleA = new Map<number, string>();
  const oracleB = new Map<number, string>();
  // Both stores exist, with the same keys and different values.
  for (const [base, hot, oracle, tag] of [[baseA, hotA, oracleA, 'A'], [baseB, hotB, oracleB, 'B']] as const) {
    const kv = await F2Kv.open(optionsFor(base, hot, store, false));
    await kv.close();
    await churn(base, hot, store, tag, oracle, 1);
  }
  const result: IsolationResult = { objectsA: 0, objectsB: 0, deletedByChurnA: 0, deletedByChurnB: 0 };
  // A churns while B rests, then the reverse: the resting store's objects must not change.
  for (const [active, activeHot, activeOracle, tag, resting, which] of [
    [baseA, hotA, oracleA, 'A', baseB, 'A'],
    [baseB, hotB, oracleB, 'B', baseA, 'B'],
  ] as const) {
    const restingBefore = await snapshot(resting, store);
    const activeBefore = await snapshot(active, store);
    await churn(active, activeHot, store, tag, activeOracle, 3);
    const restingAfter = await snapshot(resting, store);
    const activeAfter = await snapshot(active, store);
    expect([...restingAfter], `${label}: the objects of ${resting} changed while ${active} ran`).toEqual([...restingBefore]);
    const deleted = [...activeBefore.keys()].filter((k) => !activeAfter.has(k)).length;
    // Retention and truncation did delete objects of the active store (so the check means something).
    expect(deleted, `${label}: ${active} deleted none of its old objects`).toBeGreaterThan(0);
    if (which === 'A') result.deletedByChurnA = deleted;
    else result.deletedByChurnB = deleted;
  }
  // Every object under the root belongs to one of the two stores.
  const all = await snapshot(root, store);
  const a = await snapshot(baseA, store);
  const b = await snapshot(baseB, store);
  const stray = [...all.keys()].filter((k) => !(k.startsWith('a/') && a.has(k.slice(2))) && !(k.startsWith('a2/') && b.has(k.slice(3))));
  expect(stray, `${label}: objects under ${root} that belong to neither store`).toEqual([]);
  expect(all.size).toBe(a.size + b.size);
  result.objectsA = a.size;
  result.objectsB = b.size;
  await verify(baseA, hotA, store, oracleA, `${label} a`);
  await verify(baseB, hotB, store, oracleB, `${label} a2`);
  rmSync(hotA, { recursive: true, force: true });
  rmSync(hotB, { recursive: true, force: true });
  console.log(
    `[isolation ${label}] ${baseA}: ${result.objectsA} objects, ${result.deletedByChurnA} of its own deleted by its churn; ` +
      `${baseB}: ${result.objectsB} objects, ${result.deletedByChurnB} deleted; foreign objects read, overwritten or deleted: 0`,
  );
  return result;
}
