import { describe, expect, it } from 'vitest';
import { crc32c, crc32cCombine, crc32cImplementation, crc32cJs, nativeCrc32cReady } from '../../src/core/checksum.js';

/** A bit-at-a-time CRC-32C: the definition, to check both implementations against. */
function crc32cBitwise(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c loader', () => {
  it('settles on an implementation (native when @node-rs/crc32 loads, else JS) that agrees with the definition', async () => {
    const used = await nativeCrc32cReady;
    expect(used).toBe(crc32cImplementation());
    const seed = 0x5eed;
    let x = seed;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    for (const size of [0, 1, 7, 8, 9, 100, 1023, 1024, 1025, 4096, 65_537]) {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = next();
      const want = crc32cBitwise(bytes);
      expect(crc32c(bytes), `size ${size} (${used})`).toBe(want);
      expect(crc32cJs(bytes), `size ${size} (js)`).toBe(want);
      // Sub-ranges and continuation across calls, on either side of the native threshold.
      const mid = size >> 1;
      expect(crc32c(bytes, mid, size, crc32c(bytes, 0, mid)), `split ${size}`).toBe(want);
      expect(crc32c(bytes, 1, size), `offset 1 of ${size}`).toBe(size > 0 ? crc32cBitwise(bytes.subarray(1)) : 0);
    }
  });
});

describe('crc32cCombine', () => {
  it('gives the CRC of a concatenation from the CRCs of its parts, for any split (seeded, printed)', () => {
    const seed = Number(process.env['F2KV_TEST_SEED'] ?? 0xc0b1);
    console.log(`crc32cCombine seed=${seed} (set F2KV_TEST_SEED to reproduce)`);
    let x = seed >>> 0;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    for (const size of [0, 1, 5, 8, 64, 1000, 4096, 65_536 + 3, 300_000]) {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = next();
      const want = crc32cBitwise(bytes);
      for (const cut of [0, 1, size >> 3, size >> 1, size - 1, size].filter((c) => c >= 0 && c <= size)) {
        expect(crc32cCombine(crc32c(bytes, 0, cut), crc32c(bytes, cut, size), size - cut), `size ${size} cut ${cut}`).toBe(want);
      }
      // A seeded CRC (continued from a prefix) is the combine of the prefix's CRC and the unseeded one.
      const prefix = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(crc32cCombine(crc32c(prefix), crc32c(bytes), size)).toBe(crc32c(bytes, 0, size, crc32c(prefix)));
    }
  });
});
