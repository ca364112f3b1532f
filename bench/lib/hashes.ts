/**
 * Candidate key hashes for the hot index (bench/hash.ts measures them). Each takes the key bytes
 * [0, length) and returns a 32-bit bucket hash; `tag()` then gives the 14-bit tag for the same key.
 * Single-lane hashes take the tag from the top 14 bits (bucket bits come from the bottom), so with
 * more than 2^18 buckets their tag and bucket bits overlap; two-lane hashes have a separate lane.
 * Written from the published algorithm descriptions (FNV, MurmurHash3, xxHash).
 */
import { hashKey, lastTag as keyHashTag } from '../../src/core/key-hash.js';

export interface HashCandidate {
  readonly name: string;
  readonly description: string;
  /** Where the 14-bit tag comes from: the hash's top bits, a remix of the hash, or its own lane. */
  readonly tagSource: 'top 14 bits' | 'remix of hash' | 'own lane';
  hash(bytes: Uint8Array, length: number): number;
  /** Tag of the key hashed last, 14 bits. */
  tag(): number;
}

const TAG_SHIFT = 18;
let lastHash = 0;
let lastTag = 0;

function word(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** FNV-1a, 32 bits: one multiply per byte. */
export function fnv1a32(bytes: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  lastHash = h;
  return h;
}

/** MurmurHash3 x86_32, seed 0. */
export function murmur3_32(bytes: Uint8Array, length: number): number {
  let h = 0;
  const end4 = length & ~3;
  let i = 0;
  for (; i < end4; i += 4) {
    let k = Math.imul(word(bytes, i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < length) {
    let k = 0;
    for (let s = 0; i < length; i++, s += 8) k |= bytes[i]! << s;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h = fmix32(h ^ length);
  lastHash = h;
  return h;
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

/** xxHash32-style: four accumulators for 16-byte stripes, then 4-byte and 1-byte steps, avalanche. */
export function xxhash32(bytes: Uint8Array, length: number): number {
  let h: number;
  let i = 0;
  if (length >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    const limit = length - 16;
    while (i <= limit) {
      v1 = (v1 + Math.imul(word(bytes, i), P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), P1);
      v2 = (v2 + Math.imul(word(bytes, i + 4), P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), P1);
      v3 = (v3 + Math.imul(word(bytes, i + 8), P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), P1);
      v4 = (v4 + Math.imul(word(bytes, i + 12), P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), P1);
      i += 16;
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = P5;
  }
  h = (h + length) | 0;
  for (; i + 4 <= length; i += 4) {
    h = (h + Math.imul(word(bytes, i), P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
  }
  for (; i < length; i++) {
    h = (h + Math.imul(bytes[i]!, P5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  lastHash = h;
  return h;
}

/**
 * Two lanes of multiply-xorshift over 32-bit words: even words feed lane a, odd words lane b
 * (independent multiplies the CPU can overlap), then each lane is folded into the other and
 * avalanched. Lane a gives the bucket hash, lane b the tag.
 */
/** mx2: the 2-lane multiply-xorshift hash that src/core/key-hash.ts adopted (lane b = tag). */
export function mx2(bytes: Uint8Array, length: number): number {
  const h = hashKey(bytes, length);
  lastTag = keyHashTag();
  return h;
}

const topTag = (): number => (lastHash >>> TAG_SHIFT) & 0x3fff;
/** A tag from a second avalanche of the 32-bit hash: independent of the bucket bits up to the
 *  32-bit limit (two keys with equal hashes still share both), for one extra fmix. */
const remixTag = (): number => (fmix32(lastHash ^ 0x9e3779b9) >>> TAG_SHIFT) & 0x3fff;
const laneTag = (): number => lastTag;

export const CANDIDATES: readonly HashCandidate[] = [
  { name: 'fnv1a-32', description: 'FNV-1a 32-bit, byte at a time', tagSource: 'top 14 bits', hash: fnv1a32, tag: topTag },
  { name: 'murmur3-32', description: 'MurmurHash3 x86_32', tagSource: 'top 14 bits', hash: murmur3_32, tag: topTag },
  { name: 'murmur3+remix', description: 'MurmurHash3 x86_32, tag from a second fmix of the hash', tagSource: 'remix of hash', hash: murmur3_32, tag: remixTag },
  { name: 'mx2', description: '2-lane multiply-xorshift over 32-bit words (lane b = tag)', tagSource: 'own lane', hash: mx2, tag: laneTag },
  { name: 'xxhash32', description: 'xxHash32-style (4 accumulators for >= 16 B)', tagSource: 'top 14 bits', hash: xxhash32, tag: topTag },
];
