/**
 * Isolation and hostile input on file://: two F2 stores on sibling directories `a` and `a2`
 * (isolation-harness.ts); object keys that look like paths never escape the local-directory
 * store's root; record keys that look like paths are just bytes inside records.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ColdKv } from '../../src/cold/cold-kv.js';
import { ObjectStoreError } from '../../src/core/errors.js';
import { LocalFsObjectStore } from '../../src/devices/local-fs-object-store.js';
import { F2Kv } from '../../src/f2/f2-kv.js';
import { FasterKv } from '../../src/hot/faster-kv.js';
import { checkSiblingIsolation } from './isolation-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'f2kv-isolation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under `d`, relative to it. */
function walk(d: string, out: string[] = [], base = d): string[] {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p, out, base);
    else out.push(relative(base, p));
  }
  return out;
}

const HOSTILE_OBJECT_KEYS = [
  '../escape', 'a/../../escape', '..', '.', 'a/./b', '/abs', 'a//b', 'a/', '%2F..%2Fescape', '..%2Fescape', 'a/%2e%2e/%2e%2e/escape',
  '..\\escape', 'a\u0000b', `${'x'.repeat(300)}`, `${'seg/'.repeat(255)}end`, 'y'.repeat(1025), '\uD800lone-surrogate', '\uDFFF/..',
  'é/ü/日本', 'line\nbreak', ' ', '~/escape', '$HOME/escape', 'a/.f2kv-tmp/x',
];

describe('isolation and hostile input (file://)', () => {
  it('two F2 stores on sibling directories a and a2 never touch each other\'s objects', async () => {
    const root = join(dir, 'siblings');
    mkdirSync(root);
    await checkSiblingIsolation('file', pathToFileURL(root).href, {}, join(dir, 'scratch-siblings'));
  });

  it('object keys that look like paths never escape the local-directory store\'s root', async () => {
    const parent = join(dir, 'hostile-objects');
    const root = join(parent, 'root');
    const sibling = join(parent, 'root2');
    mkdirSync(sibling, { recursive: true });
    writeFileSync(join(parent, 'sentinel'), 'outside');
    const store = await LocalFsObjectStore.open(root, { createIfMissing: true });
    let accepted = 0;
    let refused = 0;
    for (const key of HOSTILE_OBJECT_KEYS) {
      const bytes = new TextEncoder().encode(`value of ${JSON.stringify(key)}`);
      try {
        await store.put(key, bytes);
      } catch (err) {
        // Refused with a typed error that names the key's problem, never a raw fs error.
        expect(err, JSON.stringify(key)).toBeInstanceOf(ObjectStoreError);
        refused++;
        continue;
      }
      accepted++;
      expect(new TextDecoder().decode(await store.get(key)), JSON.stringify(key)).toBe(new TextDecoder().decode(bytes));
      expect(await store.list(''), JSON.stringify(key)).toContain(key);
    }
    // Nothing was written beside the root; inside it, only objects the listing knows.
    expect(walk(parent).filter((f) => !f.startsWith(`root/`)).sort()).toEqual(['sentinel']);
    expect(readdirSync(sibling)).toEqual([]);
    const listed = await store.list('');
    expect(listed.length).toBe(accepted);
    await store.delete(listed);
    expect(await store.list('')).toEqual([]);
    await store.close();
    console.log(`[hostile object keys] ${HOSTILE_OBJECT_KEYS.length} keys: ${accepted} stored inside the root, ${refused} refused with ObjectStoreError, 0 escaped`);
    expect(refused).toBeGreaterThan(0);
  });

  it('record keys that look like paths (../, %2F, long, non-UTF-8 bytes) stay inside records in every store', async () => {
    const parent = join(dir, 'hostile-records');
    mkdirSync(join(parent, 'root'), { recursive: true });
    writeFileSync(join(parent, 'sentinel'), 'outside');
    const keys: Uint8Array[] = [
      '../../../../escape', '..%2F..%2Fescape', '/etc/passwd', 'a/../../b', 'C:\\Windows\\escape', '\u0000nul', 'x'.repeat(2000),
    ].map((k) => new TextEncoder().encode(k));
    keys.push(new Uint8Array([0xff, 0xfe, 0x2e, 0x2e, 0x2f, 0x2e, 0x2e, 0x2f, 0xc3]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array(0));
    const check = async (label: string, s: { upsert(k: Uint8Array, v: string): Promise<void>; read(k: Uint8Array): Promise<Uint8Array | undefined> }): Promise<void> => {
      for (const [i, k] of keys.entries()) await s.upsert(k, `${label}-${i}`);
      for (const [i, k] of keys.entries()) expect(new TextDecoder().decode(await s.read(k)), `${label} key ${i}`).toBe(`${label}-${i}`);
    };
    const hot = await FasterKv.open({ log: { device: pathToFileURL(join(parent, 'root', 'faster')).href, pageSize: '8KiB' }, index: { buckets: 64 }, recover: false });
    await check('faster', hot.startSession());
    await hot.close();
    const cold = await ColdKv.open({ url: pathToFileURL(join(parent, 'root', 'cold')).href, log: { pageSize: '8KiB' }, index: { expectedKeys: 64 }, recover: false });
    await check('cold', cold.startSession());
    await cold.close();
    const f2 = await F2Kv.open({
      hot: { log: { device: pathToFileURL(join(parent, 'root', 'f2-hot')).href, pageSize: '8KiB' } },
      cold: { url: pathToFileURL(join(parent, 'root', 'f2-cold')).href, log: { pageSize: '8KiB' }, index: { expectedKeys: 64 } },
      checkpoint: { url: pathToFileURL(join(parent, 'root', 'f2-ck')).href },
      recover: false,
    });
    await check('f2', f2.startSession());
    await f2.compactHotLog();
    await check('f2-after-migration', f2.startSession());
    await f2.close();
    expect(walk(parent).filter((f) => !f.startsWith('root/')).sort()).toEqual(['sentinel']);
    // Object names are the store's own (addresses, tokens), never derived from record keys.
    const names = walk(join(parent, 'root')).join('\n');
    expect(names).not.toMatch(/escape|passwd|Windows/);
  });
});
