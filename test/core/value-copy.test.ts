/**
 * copyValue: every returned value holds its own bytes, whatever its size class (on-heap, slab,
 * own ArrayBuffer), across slab boundaries, and a value written by the caller changes nothing else.
 */
import { describe, expect, it } from 'vitest';
import { copyValue } from '../../src/core/value-copy.js';
import { FasterKv } from '../../src/index.js';

describe('copyValue', () => {
  it('returns independent copies of every size, across many slabs', () => {
    const src = new Uint8Array(8192).map((_, i) => (i * 31 + 7) & 0xff);
    const copies: { start: number; v: Uint8Array }[] = [];
    for (let n = 0; n < 3000; n++) {
      const length = [0, 5, 16, 17, 64, 65, 100, 700, 2048, 2049, 5000][n % 11]!;
      const start = (n * 97) % (src.length - length);
      const v = copyValue(src, start, length);
      expect(v.length).toBe(length);
      copies.push({ start, v });
    }
    // Scribble over every copy after all were made: none may see another's writes.
    for (const { v } of copies) v.fill(0xee);
    let wrong = 0;
    for (const { start, v } of copies) {
      if (!v.every((b) => b === 0xee)) wrong++;
      if (v.length > 0 && src[start] !== ((start * 31 + 7) & 0xff)) wrong++; // the source is untouched
      const again = copyValue(src, start, v.length);
      for (let i = 0; i < again.length; i++) if (again[i] !== src[start + i]) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('a value read from the store and modified by the caller does not change the store or other values', async () => {
    const store = await FasterKv.open({ log: { device: 'memory://', memorySize: '1MiB', pageSize: '64KiB' } });
    const s = store.startSession();
    const value = (i: number): Uint8Array => new Uint8Array(100).fill(i);
    for (let i = 0; i < 200; i++) await s.upsert(`k${i}`, value(i));
    const read = [];
    for (let i = 0; i < 200; i++) read.push((await s.read(`k${i}`))!);
    for (const v of read) v.fill(0);
    for (let i = 0; i < 200; i++) expect(s.readSync(`k${i}`)).toEqual(value(i));
    await store.close();
  });
});
