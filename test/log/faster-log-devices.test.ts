/**
 * FasterLog on the real devices: FileDevice in a temp directory (commit records as files beside
 * the segments) and ObjectLogDevice over memory and local-directory object stores (commit records
 * as objects in the device's store).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/core/errors.js';
import { FileDevice } from '../../src/devices/file-device.js';
import { LocalFsObjectStore } from '../../src/devices/local-fs-object-store.js';
import { MemoryObjectStore } from '../../src/devices/memory-object-store.js';
import { ObjectLogDevice } from '../../src/devices/object-log-device.js';
import type { ObjectStore } from '../../src/devices/object-store.js';
import { FasterLog, type FasterLogEntry } from '../../src/log/faster-log.js';

const dec = new TextDecoder();
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2kv-flog-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 131 + i * 17) & 0xff;
  return b;
}

async function collect(it: AsyncIterable<FasterLogEntry>): Promise<FasterLogEntry[]> {
  const out: FasterLogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('FasterLog on FileDevice (file:// URL)', () => {
  it('commits, recovers after a crash, keeps the commit record in the device directory', async () => {
    const dir = join(tempDir(), 'log'); // created by open
    const url = `file://${dir}`;
    const opts = { device: url, pageSize: 1024, memorySize: 4096, segmentSize: 4096 };
    const log = await FasterLog.open(opts);
    expect(log.device).toBeInstanceOf(FileDevice);
    const addrs: number[] = [];
    for (let i = 0; i < 100; i++) addrs.push(await log.appendAsync(bytesOf(30 + (i % 50), i)));
    const until = await log.commit();
    for (let i = 0; i < 20; i++) await log.appendAsync(bytesOf(64, 500 + i)); // lost in the crash
    await log.abandon();
    const files = readdirSync(dir);
    expect(files).toContain('faster-log-commit.0');
    expect(files.some((f) => /^segment-\d+\.f2log$/.test(f))).toBe(true);

    const again = await FasterLog.open(opts);
    expect(again.tailAddress).toBe(until);
    const all = await collect(again.scan());
    expect(all.map((e) => e.address)).toEqual(addrs);
    all.forEach((e, i) => expect(e.bytes).toEqual(bytesOf(30 + (i % 50), i)));
    again.append('continued');
    await again.truncateUntil(addrs[80]!);
    await again.commit(); // frees whole segments below begin's page
    expect(readdirSync(dir)).not.toContain('segment-0000000000.f2log');
    await again.close();

    const third = await FasterLog.open(opts);
    const rest = await collect(third.scan());
    expect(rest[0]!.address).toBe(addrs[80]);
    expect(dec.decode(rest.at(-1)!.bytes)).toBe('continued');
    await third.close();
  });

  it('a flipped byte in a segment file is a CorruptionError naming the address', async () => {
    const dir = tempDir();
    const opts = { device: `file://${dir}`, pageSize: 1024, memorySize: 2048, segmentSize: 65536 };
    const log = await FasterLog.open(opts);
    const addrs: number[] = [];
    for (let i = 0; i < 40; i++) addrs.push(await log.appendAsync(bytesOf(100, i)));
    await log.close();
    const victim = addrs[5]!;
    const seg = join(dir, 'segment-0000000000.f2log');
    const buf = readFileSync(seg);
    buf[victim + 20]! ^= 0x40;
    writeFileSync(seg, buf);
    const again = await FasterLog.open(opts);
    await expect(again.read(victim)).rejects.toThrow(new RegExp(`CorruptionError|address ${victim}`));
    const err = await again.read(victim).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(String(err)).toContain(`address ${victim}`);
    expect(await again.read(addrs[6]!)).toEqual(bytesOf(100, 6));
    await again.close();
  });

  it('a damaged newest commit file falls back to the previous commit', async () => {
    const dir = tempDir();
    const opts = { device: `file://${dir}`, pageSize: 1024, memorySize: 4096 };
    const log = await FasterLog.open(opts);
    log.append('first');
    const first = await log.commit();
    log.append('second');
    await log.commit(); // commit #2 → slot 1
    await log.abandon();
    const file = join(dir, 'faster-log-commit.1');
    const buf = readFileSync(file);
    buf[buf.length - 30]! ^= 0x08; // inside the 64-byte record, after the store's own header
    writeFileSync(file, buf);
    const again = await FasterLog.open(opts);
    expect(again.committedUntilAddress).toBe(first);
    expect((await collect(again.scan())).map((e) => dec.decode(e.bytes))).toEqual(['first']);
    await again.close();
  });
});

async function objectDeviceCase(store: ObjectStore): Promise<void> {
  const deviceOptions = { objectSize: 4096, blockSize: 512 };
  const device = await ObjectLogDevice.open(store, deviceOptions);
  const log = await FasterLog.open({ device, pageSize: 4096, memorySize: 16384 });
  const addrs: number[] = [];
  for (let i = 0; i < 300; i++) addrs.push(await log.appendAsync(bytesOf(20 + (i % 90), i)));
  const until = await log.commit();
  expect((await store.list('')).filter((k) => k.startsWith('faster-log-commit.'))).toEqual(['faster-log-commit.0']);
  for (let i = 0; i < 50; i++) await log.appendAsync(bytesOf(100, 900 + i));
  await log.abandon();
  await device.close(); // uploads the uncommitted tail too: recovery must still ignore it

  const device2 = await ObjectLogDevice.open(store, deviceOptions);
  const again = await FasterLog.open({ device: device2, pageSize: 4096, memorySize: 16384 });
  expect(again.tailAddress).toBe(until);
  const all = await collect(again.scan());
  expect(all.map((e) => e.address)).toEqual(addrs);
  all.forEach((e, i) => expect(e.bytes).toEqual(bytesOf(20 + (i % 90), i)));
  for (const i of [0, 17, 150, 299]) expect(await again.read(addrs[i]!)).toEqual(bytesOf(20 + (i % 90), i));
  const next = again.append('after');
  expect(next).toBe(until);
  await again.truncateUntil(addrs[200]!);
  await again.close();
  await device2.close();

  const device3 = await ObjectLogDevice.open(store, deviceOptions);
  const third = await FasterLog.open({ device: device3, pageSize: 4096, memorySize: 16384 });
  const rest = await collect(third.scan());
  expect(rest.map((e) => e.address)).toEqual([...addrs.slice(200), next]);
  expect(device3.extent().begin).toBeGreaterThan(0);
  await third.close();
  await device3.close();
}

describe('FasterLog on ObjectLogDevice', () => {
  it('over a memory object store', async () => {
    await objectDeviceCase(new MemoryObjectStore());
  });

  it('over a local-directory object store', async () => {
    const store = await LocalFsObjectStore.open(tempDir());
    await objectDeviceCase(store);
    await store.close();
  });

  it('with commit records in a separate store given by URL', async () => {
    const store = new MemoryObjectStore();
    const device = await ObjectLogDevice.open(store, { objectSize: 4096, blockSize: 512 });
    const dir = tempDir();
    const log = await FasterLog.open({ device, pageSize: 4096, memorySize: 16384, commit: { url: `file://${dir}/commits`, key: 'mylog/commit' } });
    log.append('x');
    await log.close();
    await device.close();
    expect(readdirSync(join(dir, 'commits', 'mylog'))).toContain('commit.0');
    expect((await store.list('')).some((k) => k.includes('commit'))).toBe(false);
  });
});
