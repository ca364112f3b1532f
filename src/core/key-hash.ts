/**
 * Key hashing: two 32-bit lanes computed in one pass over the key bytes, four bytes at a time
 * with Math.imul and rotations, finished with the murmur3 avalanche. Lane A picks the bucket
 * (its low bits), lane B gives the 14-bit tag, so tag and bucket bits are independent however
 * large the table grows. The hash is returned as lane A; lane B is read with lastTag() right
 * after, which avoids allocating a pair (bench/hash.ts measures the candidates).
 */
let tagOut = 0;

export const TAG_BITS = 14;
export const TAG_MASK = (1 << TAG_BITS) - 1;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Hash of bytes[0, length): lane A as an int32; lane B's tag is then available from lastTag(). */
export function hashKey(bytes: Uint8Array, length: number): number {
  let a = 0x2545f491 ^ length;
  let b = 0x9e3779b9 ^ Math.imul(length, 0x27d4eb2f);
  let i = 0;
  const end4 = length & ~3;
  while (i < end4) {
    const w = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    a = Math.imul(a ^ w, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ w, 0x1b873593);
    b = (b << 13) | (b >>> 19);
    a = Math.imul(a, 5) + 0xe6546b64;
    b = b + a;
    i += 4;
  }
  if (i < length) {
    let w = 0;
    for (let s = 0; i < length; i++, s += 8) w |= bytes[i]! << s;
    a = Math.imul(a ^ w, 0xcc9e2d51);
    b = Math.imul(b ^ w, 0x1b873593) + a;
  }
  a = fmix(a ^ b);
  b = fmix(b + Math.imul(a, 0x9e3779b1));
  tagOut = (b >>> 18) & TAG_MASK;
  return a;
}

/** The tag of the key hashed last by hashKey. */
export function lastTag(): number {
  return tagOut;
}
