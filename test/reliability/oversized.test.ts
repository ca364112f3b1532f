/**
 * Oversized keys and values: FasterKv, ColdKv and F2Kv refuse a record that does not fit with a
 * typed error (RecordTooLargeError) through the sync and the async API (upsert, rmw, delete with
 * a huge key), a read of a huge key is just absent, and the store stays usable: later operations,
 * a checkpoint and a reopen see exactly the accepted writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import { ConfigError, RecordTooLargeError } from '../../src/core/errors.js';
import { F2Kv } from '../../src/f2/f2-kv.js';
import type { F2KvOptions } from '../../src/f2/f2-options.js';
import { FasterKv } from '../../src/hot/faster-kv.js';
import { PENDING } from '../../src/kv/kv-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'f2kv-oversized-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : new TextDecoder().decode(v));

/** The session API the three stores share. */
interface AnySession {
  upsert(k: string | Uint8Array, v: string | Uint8Array): Promise<void>;
  read(k: string | Uint8Array): Promise<Uint8Array | undefined>;
  rmw(k: string | Uint8Array, fn: (old: Uint8Array | undefined) => Uint8Array): Promise<Uint8Array>;
  delete(k: string | Uint8Array): Promise<void>;
  upsertSync(k: string | Uint8Array, v: string | Uint8Array): void | typeof PENDING;
  rmwSync(k: string | Uint8Array, fn: (old: Uint8Array | undefined) => Uint8Array): Uint8Array | typeof PENDING;
}

const PAGE = 4096;
const big = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);
let refused = 0;

async function expectRefused(what: string, op: () => unknown): Promise<void> {
  let err: unknown;
  try {
    await op();
  } catch (e) {
    err = e;
  }
  expect(err, what).toBeInstanceOf(RecordTooLargeError);
  expect((err as Error).message).toMatch(/pageSize|smaller/);
  refused++;
}

/** Every oversized operation is refused; the accepted ones before and after are all there. */
async function exercise(s: AnySession, label: string, oracle: Map<string, string>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    oracle.set(`${label}-k${i}`, `v${i}`);
    await s.upsert(`${label}-k${i}`, `v${i}`);
  }
  await expectRefused(`${label} upsert of a value larger than a page`, () => s.upsert(`${label}-big`, big(PAGE * 2)));
  await expectRefused(`${label} upsert of a key larger than a page`, () => s.upsert(big(PAGE * 2), 'v'));
  await expectRefused(`${label} upsertSync of a value larger than a page`, () => s.upsertSync(`${label}-big`, big(PAGE * 2)));
  await expectRefused(`${label} rmw growing past a page`, () => s.rmw(`${label}-k1`, () => big(PAGE * 3)));
  await expectRefused(`${label} rmwSync growing past a page`, () => {
    const r = s.rmwSync(`${label}-k2`, () => big(PAGE * 3));
    return r === PENDING ? s.rmw(`${label}-k2`, () => big(PAGE * 3)) : r;
  });
  // A delete of a key that cannot exist is refused (it would append a tombstone) or does nothing.
  await s.delete(big(PAGE * 2)).then(() => undefined, (e: unknown) => expect(e, `${label} delete of a huge key`).toBeInstanceOf(RecordTooLargeError));
  expect(await s.read(big(PAGE * 2)), `${label}: a huge key is absent`).toBeUndefined();
  expect(await s.read(`${label}-big`)).toBeUndefined();
  // Still usable: writes after the refusals land, and the refused rmw left the old values.
  for (let i = 50; i < 100; i++) {
    oracle.set(`${label}-k${i}`, `v${i}`);
    await s.upsert(`${label}-k${i}`, `v${i}`);
  }
  await s.rmw(`${label}-k3`, () => new TextEncoder().encode('rmw-ok'));
  oracle.set(`${label}-k3`, 'rmw-ok');
  for (const [k, v] of oracle) expect(dec(await s.read(k)), k).toBe(v);
}

async function verifyAll(s: AnySession, oracle: Map<string, string>): Promise<void> {
  for (const [k, v] of oracle) expect(dec(await s.read(k)), k).toBe(v);
}

describe('oversized keys and values', () => {
  it('FasterKv refuses them and stays usable across a checkpoint and reopen', async () => {
    const opts = { log: { device: pathToFileURL(join(dir, 'faster')).href, pageSize: PAGE, memorySize: PAGE * 8 }, index: { buckets: 64 } };
    const oracle = new Map<string, string>();
    let kv = await FasterKv.open({ ...opts, recover: false });
    await exercise(kv.startSession('s') as unknown as AnySession, 'faster', oracle);
    await kv.checkpoint();
    await kv.close();
    kv = await FasterKv.open(opts);
    await verifyAll(kv.startSession() as unknown as AnySession, oracle);
    await kv.close();
  });

  it('ColdKv refuses them and stays usable across a checkpoint and reopen', async () => {
    const opts = { url: pathToFileURL(join(dir, 'cold')).href, log: { pageSize: PAGE, memorySize: PAGE * 4 }, index: { expectedKeys: 1024 } };
    const oracle = new Map<string, string>();
    let kv = await ColdKv.open({ ...opts, recover: false });
    await exercise(kv.startSession('s') as unknown as AnySession, 'cold', oracle);
    await kv.checkpoint();
    await kv.close();
    kv = await ColdKv.open(opts);
    await verifyAll(kv.startSession() as unknown as AnySession, oracle);
    await kv.close();
  });

  const f2Options = (sub: string, hotPage: number, coldPage: number, recover: boolean): F2KvOptions => ({
    hot: { index: { buckets: 64 }, log: { device: pathToFileURL(join(dir, sub, 'hot')).href, pageSize: hotPage, memorySize: hotPage * 8 } },
    cold: { url: pathToFileURL(join(dir, sub, 'cold')).href, log: { pageSize: coldPage, memorySize: coldPage * 4 }, index: { expectedKeys: 1024 } },
    checkpoint: { url: pathToFileURL(join(dir, sub, 'ck')).href },
    recover,
  });

  it('F2Kv refuses them and stays usable across migration, a checkpoint and reopen', async () => {
    const oracle = new Map<string, string>();
    let kv = await F2Kv.open(f2Options('f2', PAGE, PAGE, false));
    await exercise(kv.startSession('s') as unknown as AnySession, 'f2', oracle);
    await kv.compactHotLog();
    await verifyAll(kv.startSession() as unknown as AnySession, oracle);
    await kv.checkpoint();
    await kv.close();
    kv = await F2Kv.open(f2Options('f2', PAGE, PAGE, true));
    await verifyAll(kv.startSession() as unknown as AnySession, oracle);
    await kv.close();
  });

  it('F2Kv refuses a cold page smaller than the hot page (a record could fit hot and never migrate)', async () => {
    const err = await F2Kv.open(f2Options('f2-pages', PAGE * 4, PAGE, false)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe('cold.log.pageSize');
    console.log(`[oversized] refusals with RecordTooLargeError: ${refused}; mismatched page sizes: ${(err as Error).message}`);
  });
});
