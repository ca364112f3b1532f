/**
 * verifyStore on the single-tier layouts: a FasterKv's checkpoint store and a ColdKv's prefix.
 * Intact stores verify clean; a damaged newest index snapshot / table is reported with the older
 * intact token as the way out; verifyStore never writes (the listing and etags are unchanged).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import { openObjectStore } from '../../src/devices/open-object-store.js';
import { verifyStore } from '../../src/f2/verify-store.js';
import { FasterKv } from '../../src/hot/faster-kv.js';

const dir = mkdtempSync(join(tmpdir(), 'f2kv-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listing(url: string): Promise<string> {
  const s = await openObjectStore(url);
  try {
    const keys = await s.list('');
    return JSON.stringify(await Promise.all(keys.map(async (k) => [k, (await s.head(k))?.etag])));
  } finally {
    await s.close();
  }
}

async function damage(url: string, key: string): Promise<void> {
  const s = await openObjectStore(url);
  const bytes = await s.get(key);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
  await s.put(key, bytes);
  await s.close();
}

async function twoCheckpoints(store: { startSession(): { upsert(k: string, v: string): Promise<void> }; checkpoint(): Promise<string> }): Promise<[string, string]> {
  const s = store.startSession();
  for (let i = 0; i < 300; i++) await s.upsert(`k${i}`, `a${i}`);
  const a = await store.checkpoint();
  for (let i = 0; i < 300; i += 2) await s.upsert(`k${i}`, `b${i}`);
  return [a, await store.checkpoint()];
}

describe('verifyStore on a FasterKv and a ColdKv', () => {
  it('FasterKv checkpoints: clean, then a damaged newest index snapshot names the older token', async () => {
    const ck = pathToFileURL(join(dir, 'faster-ck')).href;
    const kv = await FasterKv.open({ log: { device: pathToFileURL(join(dir, 'faster')).href, pageSize: '4KiB' }, checkpoint: { url: ck, onClose: false }, recover: false });
    const [a, b] = await twoCheckpoints(kv);
    await kv.close();
    const clean = await verifyStore(ck);
    expect(clean.layout).toBe('hot');
    expect(clean.ok, JSON.stringify(clean.objects.filter((o) => !o.ok))).toBe(true);
    expect(clean.recoverable).toEqual([b, a]);
    await damage(ck, `checkpoints/${b}/index.bin`);
    const before = await listing(ck);
    const r = await verifyStore(ck);
    expect(await listing(ck)).toBe(before);
    expect(r.ok).toBe(false);
    expect(r.newestOpens).toBe(false);
    expect(r.recoverable).toEqual([a]);
    expect(r.objects.filter((o) => !o.ok).map((o) => [o.kind, o.key])).toEqual([['hot-index', `checkpoints/${b}/index.bin`]]);
    expect(r.advice).toContain(`recover: "${a}"`);
  });

  it('ColdKv: clean, then a damaged newest table names the older token', async () => {
    const url = pathToFileURL(join(dir, 'cold')).href;
    const kv = await ColdKv.open({ url, log: { pageSize: '4KiB' }, index: { expectedKeys: 1024 }, checkpoint: { onClose: false }, recover: false });
    const [a, b] = await twoCheckpoints(kv);
    await kv.close();
    const clean = await verifyStore(url);
    expect(clean.layout).toBe('cold');
    expect(clean.ok, JSON.stringify(clean.objects.filter((o) => !o.ok))).toBe(true);
    expect(clean.objects.some((o) => o.kind === 'cold-log')).toBe(true);
    await damage(url, `checkpoints/${b}/table.bin`);
    const r = await verifyStore(url);
    expect(r.newestOpens).toBe(false);
    expect(r.recoverable).toEqual([a]);
    expect(r.checkpoints.find((c) => c.token === b)?.problems.join()).toContain('table.bin');
  });
});
