import { describe, expect, it } from 'vitest';
import { MemHashIndex } from '../../src/hot/mem-hash-index.js';
import { ConfigError, CorruptionError } from '../../src/core/errors.js';

describe('MemHashIndex', () => {
  it('keeps one entry per (bucket, tag), spilling into overflow buckets', () => {
    const index = new MemHashIndex(4);
    const handles = new Map<number, number>();
    for (let tag = 0; tag < 40; tag++) {
      const h = index.findOrCreateEntry(1, tag);
      index.setEntryAddress(h, 1000 + tag * 8);
      handles.set(tag, h);
    }
    for (let tag = 0; tag < 40; tag++) {
      const h = index.findEntry(1, tag);
      expect(index.entryAddress(h)).toBe(1000 + tag * 8);
      expect(index.findOrCreateEntry(5, tag)).toBe(h); // same bucket (5 & 3 === 1)
    }
    expect(index.findEntry(2, 0)).toBe(-1);
    expect(index.stats().overflowBuckets).toBeGreaterThanOrEqual(5);
    index.setEntryAddress(handles.get(3)!, 2 ** 40 + 64);
    expect(index.entryAddress(index.findEntry(1, 3))).toBe(2 ** 40 + 64);
  });

  it('round-trips a snapshot and detects damage', () => {
    const index = new MemHashIndex(64);
    for (let i = 0; i < 1000; i++) index.setEntryAddress(index.findOrCreateEntry(i * 2654435761, i & 0x3fff), 64 + i * 8);
    const bytes = index.snapshot((a) => a);
    const copy = MemHashIndex.fromSnapshot(bytes, 'test');
    for (let i = 0; i < 1000; i++) expect(copy.entryAddress(copy.findEntry(i * 2654435761, i & 0x3fff))).toBe(64 + i * 8);
    bytes[100]! ^= 1;
    expect(() => MemHashIndex.fromSnapshot(bytes, 'test-object')).toThrow(CorruptionError);
    expect(() => MemHashIndex.fromSnapshot(bytes.subarray(0, 50), 'test-object')).toThrow(/test-object/);
  });

  it('rejects a bucket count that is not a power of two', () => {
    expect(() => new MemHashIndex(3)).toThrow(ConfigError);
  });
});
