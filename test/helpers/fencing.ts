/**
 * Helpers of the fencing and periodic-checkpoint tests: what a session of any store (FasterKv,
 * ColdKv, F2Kv) offers, the checks that every kind of write is refused with FencedError while
 * reads go on, and a listing of every object under a store URL.
 */
import { expect } from 'vitest';
import { FencedError } from '../../src/index.js';
import { openObjectStore } from '../../src/devices/open-object-store.js';

type Bytes = Uint8Array | string;
type Pendable<T> = T | symbol;

/** The session API the three stores share. */
export interface AnySession {
  read(key: Bytes): Promise<Uint8Array | undefined>;
  readSync(key: Bytes): Pendable<Uint8Array | undefined>;
  upsert(key: Bytes, value: Bytes): Promise<void>;
  upsertSync(key: Bytes, value: Bytes): Pendable<void>;
  delete(key: Bytes): Promise<void>;
  deleteSync(key: Bytes): Pendable<void>;
  rmw(key: Bytes, fn: (old: Uint8Array | undefined) => Uint8Array | string): Promise<Uint8Array>;
  rmwSync(key: Bytes, fn: (old: Uint8Array | undefined) => Uint8Array | string): Pendable<Uint8Array>;
}

const dec = new TextDecoder();
export const text = (v: unknown): string | undefined => (v instanceof Uint8Array ? dec.decode(v) : undefined);

/** Every kind of write, sync and async, fails with FencedError, and serial numbers do not move. */
export async function expectWritesFenced(s: AnySession & { serial: number }, key: string): Promise<void> {
  const serial = s.serial;
  expect(() => s.upsertSync(key, 'x')).toThrow(FencedError);
  expect(() => s.deleteSync(key)).toThrow(FencedError);
  expect(() => s.rmwSync(key, () => 'x')).toThrow(FencedError);
  await expect(s.upsert(key, 'x')).rejects.toThrow(FencedError);
  await expect(s.delete(key)).rejects.toThrow(FencedError);
  await expect(s.rmw(key, () => 'x')).rejects.toThrow(FencedError);
  await expect(s.upsert(key, 'x')).rejects.toThrow(/fenced because another writer claimed it/);
  expect(s.serial).toBe(serial);
}

/** The value of `key` read through the async API (reads continue on a fenced store). */
export async function readText(s: AnySession, key: string): Promise<string | undefined> {
  return text(await s.read(key));
}

/** Every object under `url` (a memory://name, file:// or cloud prefix), sorted. */
export async function listAll(url: string, options: Record<string, unknown> = {}): Promise<string[]> {
  const store = await openObjectStore(url, options);
  try {
    return (await store.list('')).sort();
  } finally {
    await store.close();
  }
}

/** Waits until `condition()` holds, polling every few milliseconds; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - started;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
