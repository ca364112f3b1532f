import { createHash } from 'node:crypto';
import { mkdtemp, rm, readdir, readFile, writeFile, mkdir, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, CorruptionError, PreconditionFailedError } from '../../src/core/errors.js';
import { crc32c } from '../../src/core/checksum.js';
import { LOCAL_OBJECT_HEADER_BYTES, LocalFsObjectStore } from '../../src/devices/local-fs-object-store.js';
import { describeObjectLogDeviceConformance, describeObjectStoreConformance } from './object-store-conformance.js';
import { runCasWorkers } from './local-fs-cas-workers.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'f2kv-lfs-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describeObjectStoreConformance('local directory', async () => LocalFsObjectStore.open(await freshDir()), { pagedListing: false });

describeObjectLogDeviceConformance('local directory', async () => {
  const dir = await freshDir();
  return { store: await LocalFsObjectStore.open(dir), reopen: () => LocalFsObjectStore.open(dir) };
});

describe('LocalFsObjectStore', () => {
  it('refuses a missing directory with a ConfigError naming it, unless asked to create it', async () => {
    const missing = join(await freshDir(), 'not', 'there');
    const err = await LocalFsObjectStore.open(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(missing);
    const store = await LocalFsObjectStore.open(missing, { createIfMissing: true });
    await store.put('a', new Uint8Array([1]));
    expect(await store.list('')).toEqual(['a']);
  });

  it('refuses a relative path', async () => {
    await expect(LocalFsObjectStore.open('relative/dir')).rejects.toBeInstanceOf(ConfigError);
  });

  it('leaves no temp files or locks behind and never lists its own files', async () => {
    const dir = await freshDir();
    const store = await LocalFsObjectStore.open(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k/${i}`, new Uint8Array(100))));
    await Promise.allSettled(Array.from({ length: 5 }, () => store.put('x', new Uint8Array(1), { ifNoneMatch: '*' })));
    expect(await readdir(join(dir, '.f2kv-tmp'))).toEqual([]);
    expect(await readdir(join(dir, '.f2kv-locks'))).toEqual([]);
    expect((await store.list('')).some((k) => k.includes('.f2kv'))).toBe(false);
    await expect(store.put('.f2kv-tmp/x', new Uint8Array(1))).rejects.toThrow(/reserved/);
  });

  it('an identical rewrite survives a reopen with a new etag (generation in the object header)', async () => {
    const dir = await freshDir();
    const a = await LocalFsObjectStore.open(dir);
    const e1 = await a.put('m', new Uint8Array([1, 2, 3]));
    const b = await LocalFsObjectStore.open(dir);
    expect((await b.head('m'))?.etag).toBe(e1.etag);
    const e2 = await b.put('m', new Uint8Array([1, 2, 3]), { ifMatch: e1.etag });
    expect(e2.etag).not.toBe(e1.etag);
    await expect(a.put('m', new Uint8Array([9]), { ifMatch: e1.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('tags content with its CRC-32C and length (the put\'s own CRC when it has one), and still reads objects tagged with an MD5', async () => {
    const dir = await freshDir();
    const store = await LocalFsObjectStore.open(dir);
    const bytes = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff);
    const { etag } = await store.put('computed', bytes);
    const header = (await readFile(join(dir, 'computed'))).subarray(0, LOCAL_OBJECT_HEADER_BYTES);
    expect(header.readUInt32LE(16)).toBe(crc32c(bytes));
    expect(header.readBigUInt64LE(20)).toBe(5000n);
    expect(etag.startsWith(`"${header.subarray(16, 32).toString('hex')}-`)).toBe(true);
    // A CRC the caller already has is used as it is (no pass over the bytes on the event loop).
    await store.put('given', bytes, undefined, { crc32c: 0x12345678 });
    expect((await readFile(join(dir, 'given'))).readUInt32LE(16)).toBe(0x12345678);
    // An object written by an earlier version (MD5 in the tag): read, head and compare-and-swap work.
    const old = Buffer.alloc(LOCAL_OBJECT_HEADER_BYTES);
    old.write('F2KVOBJ1', 0, 'latin1');
    old.writeBigUInt64LE(7n, 8);
    createHash('md5').update(bytes).digest().copy(old, 16);
    await writeFile(join(dir, 'old'), Buffer.concat([old, bytes]));
    expect(Buffer.from(await store.get('old')).equals(Buffer.from(bytes))).toBe(true);
    const oldEtag = (await store.head('old'))!.etag;
    expect(oldEtag).toBe(`"${old.subarray(16, 32).toString('hex')}-7"`);
    await store.put('old', new Uint8Array([1]), { ifMatch: oldEtag });
    expect(await store.get('old')).toEqual(new Uint8Array([1]));
  });

  it('reports a file that is not an f2kv object as corruption', async () => {
    const dir = await freshDir();
    const store = await LocalFsObjectStore.open(dir);
    await writeFile(join(dir, 'foreign'), 'hello');
    await expect(store.get('foreign')).rejects.toBeInstanceOf(CorruptionError);
  });

  it('breaks a stale lock left by a dead process, and waits for a live one', async () => {
    const dir = await freshDir();
    const store = await LocalFsObjectStore.open(dir, { staleLockMs: 60_000 });
    await store.put('k', new Uint8Array([1]));
    const { createHash } = await import('node:crypto');
    const lockPath = join(dir, '.f2kv-locks', `${createHash('sha1').update('k').digest('hex')}.lock`);
    await mkdir(join(dir, '.f2kv-locks'), { recursive: true });
    // a lock of a process that no longer exists on this host
    const { hostname } = await import('node:os');
    await writeFile(lockPath, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), token: 'dead' }));
    await store.put('k', new Uint8Array([2]));
    expect(await store.get('k')).toEqual(new Uint8Array([2]));
    // an old lock of another host is broken by age
    await writeFile(lockPath, JSON.stringify({ pid: 1, host: 'elsewhere', token: 'old' }));
    const old = new Date(Date.now() - 120_000);
    await utimes(lockPath, old, old);
    await store.put('k', new Uint8Array([3]));
    // a fresh lock of a live process (ours, as seen by another store) makes the writer wait
    await writeFile(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), token: 'live' }));
    const waiting = await LocalFsObjectStore.open(dir, { lockTimeoutMs: 300 });
    await expect(waiting.put('k', new Uint8Array([4]))).rejects.toThrow(/timed out .*lock/);
    await rm(lockPath);
    await waiting.put('k', new Uint8Array([4]));
  });

  it('compare-and-swap and create-if-absent stay exclusive across processes', async () => {
    const dir = await freshDir();
    const { counter, creates } = await runCasWorkers(dir, 4, 15);
    expect(counter).toBe(4 * 15);
    expect(creates).toBe(1);
  }, 120_000);
});
