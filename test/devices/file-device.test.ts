import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, F2Error } from '../../src/core/errors.js';
import { FileDevice } from '../../src/devices/file-device.js';
import { NullDevice } from '../../src/devices/null-device.js';
import { openStorageDevice } from '../../src/devices/open-storage-device.js';
import { describeStorageDeviceConformance, expectSameBytes, randomBytes } from './object-store-conformance.js';

const SEGMENT = 64 * 1024;
const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'f2kv-fdev-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describeStorageDeviceConformance(
  'FileDevice',
  async () => {
    const dir = await freshDir();
    return { open: () => FileDevice.open(dir, { segmentSize: SEGMENT }) };
  },
  { truncationUnit: SEGMENT },
);

describe('FileDevice', () => {
  it('names a missing directory in a ConfigError, and creates it only when asked', async () => {
    const missing = join(await freshDir(), 'nope');
    const err = await FileDevice.open(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(missing);
    const d = await FileDevice.open(missing, { createIfMissing: true, segmentSize: SEGMENT });
    await d.close();
  });

  it('names an unwritable directory', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits; a path under a regular file is unusable for everyone
      const file = join(await freshDir(), 'plain-file');
      await writeFile(file, 'x');
      const err = await FileDevice.open(join(file, 'sub')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(file);
      return;
    }
    const dir = await freshDir();
    await chmod(dir, 0o500);
    const err = await FileDevice.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(dir);
  });

  it('splits writes at segment boundaries into segment files and deletes whole segments on truncation', async () => {
    const dir = await freshDir();
    const d = await FileDevice.open(dir, { segmentSize: SEGMENT });
    const data = randomBytes(SEGMENT * 3 + 10, 40);
    await d.write(100, data);
    await d.sync();
    expect((await readdir(dir)).sort()).toEqual([0, 1, 2, 3].map((i) => `segment-${String(i).padStart(10, '0')}.f2log`));
    expectSameBytes(await d.read(SEGMENT - 50, 100), data.subarray(SEGMENT - 150, SEGMENT - 50));
    await d.truncateUntil(SEGMENT * 2 + 5);
    expect(await readdir(dir)).toHaveLength(2);
    await d.close();
  });

  it('rejects a segment size below 4 KiB', async () => {
    await expect(FileDevice.open(await freshDir(), { segmentSize: 100 })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('NullDevice', () => {
  it('accepts writes, counts them, and refuses reads with a clear error', async () => {
    const d = new NullDevice();
    expect(d.persistent).toBe(false);
    await d.write(64, new Uint8Array(100));
    await d.sync();
    expect(d.stats()).toMatchObject({ writes: 1, bytesWritten: 100 });
    const err = await d.read(64, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(F2Error);
    expect((err as Error).message).toMatch(/memory-only/);
    await d.close();
  });
});

describe('openStorageDevice', () => {
  it('maps memory:// to NullDevice and file:/// to FileDevice with its segment size', async () => {
    expect(await openStorageDevice('memory://')).toBeInstanceOf(NullDevice);
    const dir = await freshDir();
    const d = await openStorageDevice(`file://${dir}`, { segmentSize: SEGMENT });
    expect(d).toBeInstanceOf(FileDevice);
    expect((d as FileDevice).segmentSize).toBe(SEGMENT);
    await d.write(0, new Uint8Array(10));
    await d.close();
  });

  it('rejects malformed URLs with a ConfigError naming the part', async () => {
    await expect(openStorageDevice('ftp://x')).rejects.toThrow(/scheme "ftp"/);
    await expect(openStorageDevice('file://relative/dir')).rejects.toThrow(/absolute/);
    await expect(openStorageDevice('s3:///prefix')).rejects.toThrow(/bucket is missing/);
  });
});
