import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/core/checksum.js';
import { parseSize, formatBytes } from '../../src/core/size.js';
import { hashKey, lastTag, TAG_MASK } from '../../src/core/key-hash.js';
import { LightEpoch } from '../../src/core/epoch.js';
import { ConfigError, AssertionFailedError } from '../../src/core/errors.js';
import { alignRecordSize, writeRecordHeader, recordPrevious, recordFlags, FLAG_TOMBSTONE, sealRecord, verifyRecord } from '../../src/core/record-layout.js';

describe('crc32c', () => {
  it('matches the standard check value and continues across calls', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32c(bytes)).toBe(0xe3069283);
    expect(crc32c(bytes, 4, 9, crc32c(bytes, 0, 4))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe('parseSize', () => {
  it('accepts bytes and unit strings, rejects the rest naming the option', () => {
    expect(parseSize('x', 4096)).toBe(4096);
    expect(parseSize('x', '64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('x', '4 KiB')).toBe(4096);
    expect(parseSize('x', '1GB')).toBe(1e9);
    expect(() => parseSize('log.memorySize', 'lots')).toThrow(/log\.memorySize: cannot parse size "lots"/);
    expect(() => parseSize('x', -1)).toThrow(ConfigError);
    expect(formatBytes(1536)).toBe('1.50 KiB');
  });
});

describe('hashKey', () => {
  it('spreads sequential keys evenly over buckets and tags', () => {
    const buckets = 1 << 12;
    const counts = new Uint32Array(buckets);
    const tags = new Uint32Array(TAG_MASK + 1);
    const key = new Uint8Array(8);
    const view = new DataView(key.buffer);
    const n = buckets * 64;
    for (let i = 0; i < n; i++) {
      view.setUint32(0, i, true);
      counts[hashKey(key, 8) & (buckets - 1)]!++;
      tags[lastTag()]!++;
    }
    let chi = 0;
    for (const c of counts) chi += (c - 64) ** 2 / 64;
    // chi-square with 4095 degrees of freedom: mean 4095, sd ~90.
    expect(chi).toBeLessThan(4095 + 6 * 90);
    expect(Math.min(...tags)).toBeGreaterThan(0);
  });

  it('depends on every byte and on the length', () => {
    const a = new Uint8Array(13);
    const h0 = hashKey(a, 13);
    for (let i = 0; i < 13; i++) {
      a[i] = 1;
      expect(hashKey(a, 13)).not.toBe(h0);
      a[i] = 0;
    }
    expect(hashKey(a, 12)).not.toBe(h0);
  });
});

describe('LightEpoch', () => {
  it('runs an action only after operations protected before it release', () => {
    const epoch = new LightEpoch();
    const e1 = epoch.protect();
    let ran = 0;
    epoch.bumpWithAction(() => ran++);
    const e2 = epoch.protect(); // protected after the bump: does not hold the action back
    expect(ran).toBe(0);
    epoch.release(e1);
    expect(ran).toBe(1);
    epoch.release(e2);
    epoch.bumpWithAction(() => ran++);
    expect(ran).toBe(2);
    expect(() => epoch.release(e2)).toThrow(AssertionFailedError);
  });
});

describe('record layout', () => {
  it('stores 48-bit previous addresses with flags and detects a changed byte', () => {
    const u8 = new Uint8Array(256);
    const u32 = new Uint32Array(u8.buffer);
    const size = alignRecordSize(5, 9);
    expect(size).toBe(40);
    const prev = 2 ** 47 - 8;
    writeRecordHeader(u32, 2, prev, FLAG_TOMBSTONE, 5, 9, size);
    expect(recordPrevious(u32, 2)).toBe(prev);
    expect(recordFlags(u32, 2) & FLAG_TOMBSTONE).toBe(FLAG_TOMBSTONE);
    sealRecord(u8, u32, 8);
    expect(verifyRecord(u8, u32, 8)).toBe(true);
    u8[8 + 30]! ^= 1;
    expect(verifyRecord(u8, u32, 8)).toBe(false);
  });
});
